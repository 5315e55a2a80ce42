"""A record is read to its topic's contract before any service reacts to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starcard_events import ClientRegistered, LinkVisited
from starcard_events.examples import client_registered, encode, link_visited
from starcard_runtime.contracts import BOOKINGS, CLOCK_TICKS, LINK_VISITS
from starcard_runtime.inbound import accept, accept_or_skip, rejecting
from starcard_runtime.records import InboundRecord, RecordRejected

pytestmark = pytest.mark.unit

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def record(value: bytes | None, key: bytes | None) -> InboundRecord:
    return InboundRecord("booking.events.v1", 0, 7, key, value, 0)


def ada_registered() -> bytes:
    return encode(client_registered("anna", AT, client_id="ada"))


def test_a_record_keyed_by_its_tenant_and_client_is_accepted() -> None:
    event = accept(record(ada_registered(), b"anna:ada"), BOOKINGS)

    assert isinstance(event, ClientRegistered)
    assert event.data.client_id == "ada"


def test_a_record_under_another_key_is_refused_naming_the_key_it_must_have() -> None:
    with pytest.raises(RecordRejected) as refused:
        accept(record(ada_registered(), b"anna:bo"), BOOKINGS)

    assert refused.value.reason == "record key must be 'anna:ada' (tenant_id:client_id)"


def test_a_link_visit_under_another_key_is_refused_without_naming_the_link_code() -> None:
    visit = encode(link_visited("anna", AT, referral_code="ADA-SECRET", visitor_id="v1"))

    with pytest.raises(RecordRejected) as refused:
        accept(record(visit, b"anna:OTHER"), LINK_VISITS)

    assert "ADA-SECRET" not in refused.value.reason
    assert isinstance(accept(record(visit, b"anna:ADA-SECRET"), LINK_VISITS), LinkVisited)


def test_a_record_that_is_not_an_event_is_refused_with_the_contracts_reason() -> None:
    with pytest.raises(RecordRejected) as refused:
        accept(record(b"{not json", b"anna:ada"), BOOKINGS)

    assert refused.value.reason.startswith("malformed JSON")


def test_a_service_that_does_not_own_the_topic_skips_what_its_owner_dead_letters() -> None:
    assert accept_or_skip(record(b"{not json", b"anna:ada"), BOOKINGS) is None
    assert accept_or_skip(record(ada_registered(), b"anna:bo"), BOOKINGS) is None
    assert accept_or_skip(record(ada_registered(), b"anna:ada"), BOOKINGS) is not None


def test_a_starcard_topic_record_is_refused_naming_its_type_and_the_field() -> None:
    with pytest.raises(RecordRejected) as refused:
        accept(record(b"{}", None), CLOCK_TICKS)

    assert refused.value.reason.startswith("invalid ClockTicked: ")


def test_a_domain_refusal_becomes_a_dead_letter_with_its_text_as_the_reason() -> None:
    class UnknownTenantError(Exception):
        pass

    with pytest.raises(RecordRejected) as refused, rejecting(UnknownTenantError):
        raise UnknownTenantError("unknown tenant 'zed'")

    assert refused.value.reason == "unknown tenant 'zed'"
