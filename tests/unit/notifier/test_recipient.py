"""Who a notification goes to: the client's address on file, or the business's own address."""

import pytest
from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.notification import NO_EMAIL_ON_FILE, Notification
from starcard_notifier.domain.recipient import AwaitContact, SendTo, Suppress, recipient

from .factories import contact, notification, referral_alert_request

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("kind", ["reward_issued", "referral_welcome", "referral_credit"])
def test_a_message_for_the_client_goes_to_their_address_on_file(kind: str) -> None:
    assert recipient(notification(kind=kind), contact("ada@example.com")) == SendTo(
        "ada@example.com"
    )


def test_a_client_without_an_email_is_suppressed() -> None:
    assert recipient(notification(), contact(None)) == Suppress(NO_EMAIL_ON_FILE)


def test_a_client_not_heard_of_yet_is_waited_for() -> None:
    assert recipient(notification(), None) == AwaitContact(NO_EMAIL_ON_FILE)


def test_a_message_for_the_client_never_goes_to_a_business_address() -> None:
    stray = notification(business_email="owner@serenity.example")

    assert recipient(stray, contact("ada@example.com")) == SendTo("ada@example.com")


def test_an_alert_goes_to_the_business_not_to_the_client() -> None:
    alert = Notification.request(referral_alert_request())

    assert alert.goes_to_the_business
    assert recipient(alert, contact("ada@example.com")) == SendTo("owner@serenity.example")


@pytest.mark.parametrize(
    "client",
    [None, contact(None), contact("ada@example.com")],
    ids=["not heard of", "no email", "with an email"],
)
def test_an_alert_does_not_depend_on_the_clients_record(client: Contact | None) -> None:
    alert = Notification.request(referral_alert_request())

    assert recipient(alert, client) == SendTo("owner@serenity.example")


def test_an_alert_without_a_business_email_is_suppressed_saying_so() -> None:
    alert = Notification.request(referral_alert_request(business_email=None))

    assert recipient(alert, contact("ada@example.com")) == Suppress("no business email on file")
