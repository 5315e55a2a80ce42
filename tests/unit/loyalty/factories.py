"""Small factories for loyalty domain tests: an appointment, a programme, a client's record."""

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.codes import (
    CODE_ALPHABET,
    CODE_LENGTH,
    LOYALTY_CODE_PREFIX,
    CodeGenerator,
)
from starcard_loyalty.domain.counting import Appointment, CountingRules, Milestone
from starcard_loyalty.domain.programme import LoyaltyProgramme

TENANT = "studio-1"
CLIENT = "client-1"
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
LIST_PRICE = 9000


def day(n: int) -> datetime:
    """The nth day of the test calendar."""
    return START + timedelta(days=n)


def appointment(
    booking_id: str = "b1",
    *,
    client_id: str = CLIENT,
    visit_key: str | None = None,
    minutes: int = 60,
    price_minor: int = LIST_PRICE,
    discounts: Iterable[str] = (),
    payment_method: str = "card",
    occurred_at: datetime = START,
    provider_id: str | None = "therapist-1",
) -> Appointment:
    """A full-price, 60-minute, card-paid appointment unless told otherwise."""
    return Appointment(
        booking_id=booking_id,
        client_id=client_id,
        visit_key=visit_key or booking_id,
        minutes=minutes,
        list_price_minor=LIST_PRICE,
        price_minor=price_minor,
        currency="EUR",
        discount_kinds=frozenset(discounts),
        payment_method=payment_method,
        occurred_at=occurred_at,
        provider_id=provider_id,
    )


def visits(
    count: int,
    *,
    first: int = 0,
    minutes: int = 60,
    discounts: Iterable[str] = (),
    payment_method: str = "card",
) -> list[Appointment]:
    """`count` separate visits on consecutive days, booking ids numbered from `first`."""
    return [
        appointment(
            f"b{n}",
            minutes=minutes,
            discounts=discounts,
            payment_method=payment_method,
            occurred_at=day(n),
        )
        for n in range(first, first + count)
    ]


def milestone(
    milestone_id: str = "fifth",
    session_count: int = 5,
    *,
    min_minutes: int = 0,
    discount_percent: int | None = None,
    message: str = "Thank you for coming back!",
) -> Milestone:
    """An active milestone, to hand to `programme`."""
    return Milestone(
        milestone_id=milestone_id,
        session_count=session_count,
        message=message,
        discount_percent=discount_percent,
        min_minutes=min_minutes,
        active=True,
    )


def programme(*milestones: Milestone, count_discounted: bool = False) -> LoyaltyProgramme:
    """A tenant's programme with these milestones added, its events already collected."""
    opened = LoyaltyProgramme(tenant_id=TENANT, name="Loyalty")
    for each in milestones:
        opened.add_milestone(
            each.milestone_id,
            each.session_count,
            each.message,
            each.discount_percent,
            each.min_minutes,
        )
    opened.set_count_discounted_sessions(count_discounted)
    opened.collect_events()
    return opened


def rules(*milestones: Milestone, count_discounted: bool = False) -> CountingRules:
    """The counting rules of a programme with these milestones."""
    return programme(*milestones, count_discounted=count_discounted).rules()


def client_loyalty() -> ClientLoyalty:
    """A fresh record for the test client, its "Started" event already collected."""
    started = ClientLoyalty(tenant_id=TENANT, client_id=CLIENT)
    started.collect_events()
    return started


def codes() -> CodeGenerator:
    """Well-formed codes in a known order: LOYAL-22222222, LOYAL-22222223, ..."""
    numbers = itertools.count()

    def next_code() -> str:
        number, characters = next(numbers), []
        for _ in range(CODE_LENGTH):
            number, digit = divmod(number, len(CODE_ALPHABET))
            characters.append(CODE_ALPHABET[digit])
        return LOYALTY_CODE_PREFIX + "".join(reversed(characters))

    return next_code


any_code = codes()
"""For tests that do not look at the codes: unique across the run, in no promised order."""


def reach(
    record: ClientLoyalty,
    each: Appointment,
    counting: CountingRules,
    new_code: CodeGenerator = any_code,
) -> list[Milestone]:
    """Record one appointment; the milestones it reached, in the order reached."""
    before = set(record.reached)
    record.record_appointment(each, counting, new_code)
    by_id = {milestone.milestone_id: milestone for milestone in counting.milestones}
    return [by_id[reached] for reached in record.reached if reached not in before]


def record_all(
    record: ClientLoyalty,
    appointments: Iterable[Appointment],
    counting: CountingRules,
    new_code: CodeGenerator = any_code,
) -> list[Milestone]:
    """Record each appointment in turn; the milestones reached along the way."""
    reached: list[Milestone] = []
    for each in appointments:
        reached += reach(record, each, counting, new_code)
    return reached


def new_events(aggregate: Aggregate) -> list[Any]:
    """The aggregate's pending events, collected (typed `Any`: their fields are generated)."""
    return list(aggregate.collect_events())


def event_names(aggregate: Aggregate) -> list[str]:
    """The names of the aggregate's pending events, collected."""
    return [type(each).__name__ for each in aggregate.collect_events()]
