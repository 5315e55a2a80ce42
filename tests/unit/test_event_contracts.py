"""The wire contract: what a booking platform may publish, and what an operator reads on error."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from starcard_events import (
    AppointmentCompleted,
    BookingCancelled,
    BookingCreated,
    ClientCheckedIn,
    ClientRegistered,
    ClientUpdated,
    InvalidEvent,
    LinkVisited,
    Money,
    parse_booking_event,
    parse_referral_visit,
)
from starcard_events import jsonschema as schema_files
from starcard_events.clock import Day
from starcard_events.facts import MilestoneReached, RewardIssued
from starcard_events.limits import (
    MAX_AMOUNT_MINOR,
    MAX_COUNT,
    MAX_MESSAGE_LENGTH,
    MAX_PERCENT,
    MINUTES_PER_DAY,
)
from starcard_events.notifications import NotificationRequested

pytestmark = pytest.mark.unit


def envelope(event_type: str, data: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid4()),
        "type": event_type,
        "schema_version": 1,
        "occurred_at": "2025-03-01T14:30:00Z",
        "tenant_id": "serene-massage",
        "data": data,
    } | overrides


def booking(**overrides: Any) -> dict[str, Any]:
    return {
        "booking_id": "bk-1001",
        "client_id": "cl-42",
        "service": {
            "id": "svc-deep-60",
            "name": "Deep tissue massage",
            "category": "massage",
            "kind": "appointment",
        },
        "starts_at": "2025-03-01T13:30:00+00:00",
        "duration_minutes": 60,
        "list_price": {"amount_minor": 6500, "currency": "GBP"},
        "price": {"amount_minor": 6500, "currency": "GBP"},
        "payment_method": "card",
    } | overrides


def client(**overrides: Any) -> dict[str, Any]:
    return {
        "client_id": "cl-42",
        "email": "ada@example.com",
        "phone": "+44 7700 900123",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "birthday": {"month": 2, "day": 29},
        "labels": [{"name": "Friend", "percentage": 10}],
    } | overrides


def wire(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


def reason_for_booking_event(event: dict[str, Any] | bytes | None) -> str:
    raw = event if event is None or isinstance(event, bytes) else wire(event)
    with pytest.raises(InvalidEvent) as caught:
        parse_booking_event(raw)
    return caught.value.reason


VALID_BOOKING_TOPIC_EVENTS = [
    pytest.param(envelope("ClientRegistered", client()), ClientRegistered, id="ClientRegistered"),
    pytest.param(envelope("ClientUpdated", client(email=None)), ClientUpdated, id="ClientUpdated"),
    pytest.param(
        envelope(
            "BookingCreated",
            booking(
                price={"amount_minor": 5850, "currency": "GBP"},
                discounts=[{"kind": "promo_code", "percentage": 10, "code": "SPRING10"}],
                back_to_back_group="b2b-7",
                provider_id="therapist-3",
                referral_code="ref_Ada42xyz",
            ),
        ),
        BookingCreated,
        id="BookingCreated",
    ),
    pytest.param(
        envelope("BookingCancelled", {"booking_id": "bk-1001", "client_id": "cl-42"}),
        BookingCancelled,
        id="BookingCancelled",
    ),
    pytest.param(
        envelope("AppointmentCompleted", booking(duration_minutes=75)),
        AppointmentCompleted,
        id="AppointmentCompleted",
    ),
    pytest.param(
        envelope(
            "ClientCheckedIn", {"booking_id": "bk-2", "client_id": "cl-42", "class_id": "yoga-9"}
        ),
        ClientCheckedIn,
        id="ClientCheckedIn",
    ),
]


@pytest.mark.parametrize(("event", "model"), VALID_BOOKING_TOPIC_EVENTS)
def test_a_valid_event_of_each_booking_topic_type_parses_to_its_model(
    event: dict[str, Any], model: type
) -> None:
    parsed = parse_booking_event(wire(event))

    assert isinstance(parsed, model)
    assert str(parsed.event_id) == event["event_id"]


def test_a_valid_link_visit_parses() -> None:
    event = envelope(
        "LinkVisited",
        {"referral_code": "ref_Ada42xyz", "visitor_id": "v-123", "landing": "/book?ref=1"},
    )

    parsed = parse_referral_visit(wire(event))

    assert isinstance(parsed, LinkVisited)
    assert parsed.data.referral_code == "ref_Ada42xyz"


def test_a_completion_carries_everything_the_loyalty_rules_need_without_a_join() -> None:
    parsed = parse_booking_event(wire(envelope("AppointmentCompleted", booking())))

    assert isinstance(parsed, AppointmentCompleted)
    assert parsed.data.list_price == parsed.data.price == Money(amount_minor=6500, currency="GBP")
    assert parsed.data.discounts == []


def test_a_naive_occurred_at_is_refused() -> None:
    event = envelope("BookingCreated", booking(), occurred_at="2025-03-01T14:30:00")

    assert reason_for_booking_event(event).startswith("occurred_at: Input should have timezone")


def test_an_occurred_at_with_an_offset_is_normalised_to_utc() -> None:
    event = envelope("BookingCreated", booking(), occurred_at="2025-03-01T15:30:00+01:00")

    parsed = parse_booking_event(wire(event))

    assert parsed.occurred_at == datetime(2025, 3, 1, 14, 30, tzinfo=UTC)
    assert parsed.occurred_at.tzinfo is UTC


def test_negative_money_is_refused_naming_the_field() -> None:
    event = envelope("BookingCreated", booking(list_price={"amount_minor": -1, "currency": "GBP"}))

    assert reason_for_booking_event(event) == (
        "data.list_price.amount_minor: Input should be greater than or equal to 0"
    )


@pytest.mark.parametrize("amount", [65.0, 64.99, "6500", True])
def test_money_is_only_an_integer_of_minor_units(amount: object) -> None:
    event = envelope("BookingCreated", booking(price={"amount_minor": amount, "currency": "GBP"}))

    assert (
        reason_for_booking_event(event)
        == "data.price.amount_minor: Input should be a valid integer"
    )


@pytest.mark.parametrize("currency", ["gbp", "GB", "POUND"])
def test_a_currency_is_three_uppercase_letters(currency: str) -> None:
    event = envelope("BookingCreated", booking(price={"amount_minor": 1, "currency": currency}))

    assert reason_for_booking_event(event).startswith("data.price.currency: String should match")


def test_a_price_in_another_currency_than_the_list_price_is_refused() -> None:
    event = envelope("BookingCreated", booking(price={"amount_minor": 6500, "currency": "EUR"}))

    assert reason_for_booking_event(event) == (
        "data: Value error, price currency EUR differs from list_price currency GBP"
    )


def test_a_discount_in_another_currency_than_the_list_price_is_refused() -> None:
    discount = {"kind": "manual", "amount": {"amount_minor": 500, "currency": "USD"}}
    event = envelope("BookingCreated", booking(discounts=[discount]))

    assert "discounts[0].amount currency USD differs" in reason_for_booking_event(event)


def test_a_discount_without_an_amount_or_a_percentage_is_refused() -> None:
    event = envelope("BookingCreated", booking(discounts=[{"kind": "eco"}]))

    assert reason_for_booking_event(event) == (
        "data.discounts[0]: Value error, a discount needs an amount, a percentage, or both"
    )


def test_an_unknown_event_type_gets_its_own_reason() -> None:
    event = envelope("PaymentTaken", booking())

    assert reason_for_booking_event(event) == "unknown event type 'PaymentTaken'"


def test_an_unknown_link_event_type_gets_its_own_reason() -> None:
    event = envelope("LinkShared", {})

    with pytest.raises(InvalidEvent, match="unknown event type 'LinkShared'"):
        parse_referral_visit(wire(event))


def test_an_unsupported_schema_version_gets_its_own_reason() -> None:
    event = envelope("AppointmentCompleted", {"shape": "of version 2"}, schema_version=2)

    assert reason_for_booking_event(event) == (
        "unsupported schema_version 2 for AppointmentCompleted"
    )


def test_malformed_json_gets_its_own_reason() -> None:
    assert reason_for_booking_event(b"{not json") == (
        "malformed JSON: key must be a string at line 1 column 2"
    )


@pytest.mark.parametrize("raw", [None, b""])
def test_an_empty_record_is_refused(raw: bytes | None) -> None:
    assert reason_for_booking_event(raw) == "empty record"


def test_a_record_without_a_type_is_refused_naming_the_field() -> None:
    event = envelope("BookingCreated", booking())
    del event["type"]

    assert reason_for_booking_event(event) == "type: Field required"


def test_a_missing_field_is_named() -> None:
    data = booking()
    del data["duration_minutes"]

    reason = reason_for_booking_event(envelope("AppointmentCompleted", data))

    assert reason == "data.duration_minutes: Field required"


def test_every_problem_is_listed_and_the_reason_stays_short() -> None:
    data = booking(discounts=[{"kind": "nonsense"}] * 40)
    del data["client_id"]

    reason = reason_for_booking_event(envelope("BookingCreated", data))

    assert reason.startswith(
        "data.client_id: Field required; data.discounts[0].kind: Input should be"
    )
    assert len(reason) <= 500


def test_an_unknown_field_is_refused_so_a_typo_is_not_lost() -> None:
    event = envelope("BookingCreated", booking(referal_code="ref_Ada42xyz"))

    assert reason_for_booking_event(event) == "data.referal_code: Extra inputs are not permitted"


def test_a_tenant_id_cannot_contain_the_key_separator() -> None:
    event = envelope("BookingCreated", booking(), tenant_id="serene:massage")

    assert reason_for_booking_event(event).startswith("tenant_id: String should match pattern")


def test_a_birthday_must_be_a_real_day_but_29_february_is_one() -> None:
    event = envelope("ClientRegistered", client(birthday={"month": 4, "day": 31}))

    assert reason_for_booking_event(event) == "data.birthday: Value error, April has no day 31"


def test_a_blank_email_means_no_email_on_file() -> None:
    parsed = parse_booking_event(wire(envelope("ClientUpdated", client(email=" "))))

    assert isinstance(parsed, ClientUpdated)
    assert parsed.data.email is None


def test_an_address_without_an_at_sign_is_not_an_email() -> None:
    event = envelope("ClientRegistered", client(email="ada.example.com"))

    assert reason_for_booking_event(event).startswith("data.email: String should match pattern")


def test_a_label_with_a_percentage_or_an_amount_is_a_label_discount() -> None:
    labels = [
        {"name": "Friend", "percentage": 10},
        {"name": "Staff", "amount": {"amount_minor": 1000, "currency": "GBP"}},
        {"name": "Newsletter"},
    ]

    parsed = parse_booking_event(wire(envelope("ClientRegistered", client(labels=labels))))

    assert isinstance(parsed, ClientRegistered)
    assert [label.is_discount for label in parsed.data.labels] == [True, True, False]


def test_the_json_schema_files_are_not_stale() -> None:
    assert schema_files.stale_files() == [], "run: uv run python -m starcard_events.jsonschema"


def test_a_changed_missing_or_orphaned_schema_file_is_reported_stale(tmp_path: Path) -> None:
    schema_files.write(tmp_path)
    (tmp_path / "BookingCreated.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "LinkVisited.json").unlink()
    (tmp_path / "Retired.json").write_text("{}\n", encoding="utf-8")

    assert schema_files.stale_files(tmp_path) == [
        "BookingCreated.json",
        "LinkVisited.json",
        "Retired.json",
    ]


def test_every_field_of_every_event_is_described_for_integrators() -> None:
    undescribed = [
        f"{name}.{definition_name}.{field}"
        for name, schema in schema_files.generate().items()
        for definition_name, definition in [(name, schema), *schema.get("$defs", {}).items()]
        for field, spec in definition.get("properties", {}).items()
        if "description" not in spec
    ]

    assert undescribed == []


@given(
    st.builds(
        Money,
        amount_minor=st.integers(min_value=0, max_value=MAX_AMOUNT_MINOR),
        currency=st.from_regex(r"\A[A-Z]{3}\Z"),
    )
)
def test_any_money_round_trips_through_json(money: Money) -> None:
    assert Money.model_validate_json(money.model_dump_json()) == money


def test_an_absurdly_long_unknown_type_still_gives_a_short_reason() -> None:
    reason = reason_for_booking_event(envelope("X" * 5000, {}))

    assert reason.startswith("unknown event type 'XXX")
    assert len(reason) <= 500


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"duration_minutes": MINUTES_PER_DAY + 1}, "data.duration_minutes"),
        ({"duration_minutes": 0}, "data.duration_minutes"),
        (
            {"price": {"amount_minor": MAX_AMOUNT_MINOR + 1, "currency": "GBP"}},
            "data.price.amount_minor",
        ),
        ({"booking_id": "b" * 129}, "data.booking_id"),
        ({"client_id": "cl\x0042"}, "data.client_id"),
        (
            {"service": {"id": "s", "name": "x" * 201, "kind": "appointment"}},
            "data.service.name",
        ),
        (
            {"service": {"id": "s", "name": "Deep\x00tissue", "kind": "appointment"}},
            "data.service.name",
        ),
        (
            {"discounts": [{"kind": "promo_code", "percentage": 101}]},
            "data.discounts[0].percentage",
        ),
    ],
)
def test_a_booking_out_of_bounds_is_refused_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    reason = reason_for_booking_event(envelope("AppointmentCompleted", booking(**overrides)))

    assert reason.startswith(f"{field}:")


def test_a_cancellation_reason_is_bounded_text() -> None:
    cancelled = {"booking_id": "bk-1", "client_id": "cl-42"}
    too_long = envelope("BookingCancelled", {**cancelled, "reason": "x" * 501})
    control = envelope("BookingCancelled", {**cancelled, "reason": "no\x07show"})

    assert reason_for_booking_event(too_long).startswith("data.reason:")
    assert reason_for_booking_event(control).startswith("data.reason:")
    parse_booking_event(wire(envelope("BookingCancelled", {**cancelled, "reason": ""})))


@pytest.mark.parametrize(
    ("fact", "data"),
    [
        (
            MilestoneReached,
            {"client_id": "cl-42", "milestone_id": "fifth", "session_count": MAX_COUNT + 1},
        ),
        (
            RewardIssued,
            {
                "client_id": "cl-42",
                "milestone_id": "fifth",
                "code": "LOYAL-ABCDEFGH",
                "discount_percent": MAX_PERCENT + 1,
                "expires_at": "2026-03-01T00:00:00Z",
            },
        ),
        (
            NotificationRequested,
            {
                "notification_id": str(uuid4()),
                "client_id": "cl-42",
                "kind": "reward_issued",
                "tenant_name": "Anna Massage",
                "message": "x" * (MAX_MESSAGE_LENGTH + 1),
            },
        ),
        (
            NotificationRequested,
            {
                "notification_id": str(uuid4()),
                "client_id": "cl-42",
                "kind": "reward_issued",
                "tenant_name": "Anna Massage",
                "message": "   ",
            },
        ),
    ],
)
def test_a_published_fact_out_of_bounds_is_refused(
    fact: type[BaseModel], data: dict[str, Any]
) -> None:
    event = envelope(fact.__name__, data)

    with pytest.raises(ValidationError):
        fact.model_validate(event)


@pytest.mark.parametrize("zone", ["Europe", "America", "localtime", "posixrules", "Mars/Base", ""])
def test_a_tick_whose_zone_is_no_place_is_refused_as_invalid(zone: str) -> None:
    with pytest.raises(ValidationError, match="time_zone"):
        Day(date="2026-03-14", time_zone=zone)


def test_a_tick_in_a_places_zone_parses() -> None:
    assert Day(date="2026-03-14", time_zone="Pacific/Auckland").time_zone == "Pacific/Auckland"
