"""Who gets a campaign's SMS: a client with a phone who consented to SMS, and whose number has
not replied STOP (or replied START since), whatever the platform's records say later."""

import pytest
from starcard_notifier.domain.contact import Contact
from starcard_notifier.domain.ids import sms_opt_out_id
from starcard_notifier.domain.notification import (
    NO_PHONE_ON_FILE,
    NO_SMS_CONSENT,
    REPLIED_STOP,
)
from starcard_notifier.domain.recipient import AwaitContact, SendTo, Suppress, sms_recipient
from starcard_notifier.domain.sms_opt_out import Reply, SmsOptOut, phone_number, reply_in

from .factories import at, contact, event_names

pytestmark = pytest.mark.unit

PHONE = "+447700900123"


def consenting(phone: str | None = PHONE) -> Contact:
    return contact(phone=phone, sms_consent=True)


def opted_out(phone: str = PHONE) -> SmsOptOut:
    opt_out = SmsOptOut(phone=phone, at=at(0))
    opt_out.take(Reply.STOP, at(0), source="reply")
    return opt_out


def test_a_consenting_client_with_a_phone_gets_the_sms_at_that_phone() -> None:
    assert sms_recipient(consenting(), None) == SendTo(PHONE)


def test_a_client_without_consent_gets_no_sms() -> None:
    assert sms_recipient(contact(phone=PHONE, sms_consent=False), None) == Suppress(NO_SMS_CONSENT)


def test_a_client_without_a_phone_gets_no_sms() -> None:
    assert sms_recipient(consenting(phone=None), None) == Suppress(NO_PHONE_ON_FILE)


def test_a_client_not_heard_of_yet_is_waited_for() -> None:
    assert sms_recipient(None, None) == AwaitContact(NO_PHONE_ON_FILE)


def test_a_number_that_replied_stop_gets_no_sms() -> None:
    assert sms_recipient(consenting(), opted_out()) == Suppress(REPLIED_STOP)


def test_a_stop_holds_whatever_later_client_records_say() -> None:
    """The platform re-sends the record with the consent still set: the client's STOP wins."""
    client = consenting()
    client.update("ada@example.com", at(60), phone=PHONE, sms_consent=True)

    assert sms_recipient(client, opted_out()) == Suppress(REPLIED_STOP)


def test_a_number_that_replied_start_again_gets_sms_again() -> None:
    opt_out = opted_out()

    opt_out.take(Reply.START, at(10), source="reply")

    assert not opt_out.stopped
    assert sms_recipient(consenting(), opt_out) == SendTo(PHONE)


def test_a_stop_is_kept_on_the_number_whatever_its_punctuation() -> None:
    assert opted_out("+44 7700 900-123").id == opted_out(PHONE).id == sms_opt_out_id(PHONE)
    assert phone_number("(+44) 7700.900 123") == PHONE


def test_a_late_copy_of_an_older_reply_changes_nothing() -> None:
    opt_out = opted_out()
    opt_out.take(Reply.START, at(20), source="reply")
    opt_out.collect_events()

    opt_out.take(Reply.STOP, at(10), source="reply")

    assert not opt_out.stopped
    assert event_names(opt_out) == []


def test_a_reply_that_changes_nothing_records_nothing() -> None:
    opt_out = opted_out()
    opt_out.collect_events()

    opt_out.take(Reply.STOP, at(5), source="reply")

    assert event_names(opt_out) == []


@pytest.mark.parametrize(
    ("body", "meaning"),
    [
        ("STOP", Reply.STOP),
        (" stop\n", Reply.STOP),
        ("Unsubscribe", Reply.STOP),
        ("STOPALL", Reply.STOP),
        ("START", Reply.START),
        ("unstop", Reply.START),
        ("Yes", Reply.START),
        ("Please stop texting me", None),
        ("HELP", None),
        ("", None),
    ],
)
def test_only_a_whole_keyword_is_a_stop_or_a_start(body: str, meaning: Reply | None) -> None:
    assert reply_in(body) is meaning


def test_the_contact_keeps_the_phone_and_the_consent_of_the_latest_record() -> None:
    client = contact(phone=PHONE, sms_consent=True, as_of=at(10))

    client.update("ada@example.com", at(0), phone="+447700900999", sms_consent=False)
    assert (client.phone, client.sms_consent) == (PHONE, True)

    client.update("ada@example.com", at(20), phone=None, sms_consent=False)
    assert (client.phone, client.sms_consent) == (None, False)
