"""A client's email on file: the latest client record wins, whatever order records arrive in."""

import pytest
from starcard_notifier.domain.ids import contact_id

from .factories import CLIENT, TENANT, at, contact, event_names

pytestmark = pytest.mark.unit


def test_a_contact_is_found_from_its_tenant_and_client() -> None:
    assert contact().id == contact_id(TENANT, CLIENT)
    assert contact_id(TENANT, CLIENT) != contact_id("another-studio", CLIENT)


def test_a_later_record_replaces_the_email() -> None:
    ada = contact("ada@example.com", as_of=at(0))

    ada.update("ada@new.example", at(10))

    assert ada.email == "ada@new.example"


def test_an_older_record_arriving_late_changes_nothing() -> None:
    ada = contact("ada@new.example", as_of=at(10))
    ada.collect_events()

    ada.update("ada@example.com", at(0))

    assert ada.email == "ada@new.example"
    assert event_names(ada) == []


def test_the_same_record_received_again_changes_nothing() -> None:
    ada = contact("ada@example.com", as_of=at(0))
    ada.collect_events()

    ada.update("ada@example.com", at(0))

    assert event_names(ada) == []


def test_an_update_without_an_email_removes_it() -> None:
    """ClientUpdated carries the full record: an email left out is an email removed."""
    ada = contact("ada@example.com", as_of=at(0))

    ada.update(None, at(10))

    assert ada.email is None


def test_an_unchanged_email_still_moves_the_time_on() -> None:
    """Otherwise a record older than the latest, arriving after it, could bring back an email
    the client had replaced."""
    ada = contact("ada@example.com", as_of=at(0))
    ada.update("ada@new.example", at(10))
    ada.update("ada@new.example", at(20))  # e.g. the phone number changed

    ada.update("ada@old.example", at(15))

    assert ada.email == "ada@new.example"


@pytest.mark.parametrize(
    "order",
    [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)],
)
def test_the_final_email_does_not_depend_on_arrival_order(order: tuple[int, int, int]) -> None:
    records = [("a@example.com", at(0)), (None, at(10)), ("c@example.com", at(20))]
    first, *rest = (records[i] for i in order)
    kept = contact(first[0], as_of=first[1])

    for email, as_of in rest:
        kept.update(email, as_of)

    assert kept.email == "c@example.com"
