"""Referrals through the real path: Kafka in, the event store, facts and emails out on Kafka."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.application import AggregateNotFoundError
from starcard_events import examples
from starcard_events.topics import BOOKING_EVENTS, REFERRAL_VISITS, referral_visit_key
from starcard_referrals.domain.credits import CreditAccount
from starcard_referrals.domain.ids import credit_account_id, referee_id
from starcard_referrals.domain.programme import Delivery, Trigger
from starcard_referrals.domain.referee import Referee
from starcard_referrals.domain.values import RewardValue
from starcard_runtime.dead_letters import DeadLetterStore

from tests.support.referrals import ReferralsStack, referrals_stack
from tests.support.stack import eventually

pytestmark = pytest.mark.integration

TENANT, OTHER = "anna-massage", "brook-spa"
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TEN_POUNDS = RewardValue.of_amount(1000, "GBP")


@pytest.fixture
async def stack(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> AsyncIterator[ReferralsStack]:
    async with referrals_stack(fresh_database, kafka_bootstrap, topic_prefix) as running:
        for tenant in (TENANT, OTHER):
            running.commands.open_programme(tenant, tenant.replace("-", " ").title())
            running.commands.change_settings(tenant, reward=TEN_POUNDS)
        yield running


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def visit(code: str, visitor: str, hours: float = 0, tenant: str = TENANT) -> dict[str, Any]:
    return examples.link_visited(tenant, at(hours), referral_code=code, visitor_id=visitor)


def booking(client: str, code: str | None, hours: float = 1, **extra: Any) -> dict[str, Any]:
    extra.setdefault("booking_id", f"{client}-first")
    return examples.booking_created(
        TENANT, at(hours), client_id=client, referral_code=code, **extra
    )


def completion(client: str, hours: float = 48, **extra: Any) -> dict[str, Any]:
    extra.setdefault("booking_id", f"{client}-first")
    return examples.appointment_completed(TENANT, at(hours), client_id=client, **extra)


def referee(stack: ReferralsStack, client: str, tenant: str = TENANT) -> Referee:
    """The client's referral record; an AssertionError (so `eventually` retries) until it is."""
    try:
        found: Referee = stack.commands.repository.get(referee_id(tenant, client))
    except AggregateNotFoundError:
        raise AssertionError(f"no record of {client} yet") from None
    return found


def account(stack: ReferralsStack, client: str, tenant: str = TENANT) -> CreditAccount | None:
    try:
        found: CreditAccount = stack.commands.repository.get(credit_account_id(tenant, client))
    except AggregateNotFoundError:
        return None
    return found


def stages_of(stack: ReferralsStack, referrer: str) -> list[tuple[str | None, str | None, str]]:
    return sorted(
        (
            (fact["referred_client_id"], fact["visitor_id"], fact["stage"])
            for fact in stack.facts("ReferralStageChanged")
            if fact["referrer_client_id"] == referrer
        ),
        key=lambda row: (row[2] != "invited", row[2] == "completed"),
    )


def emails(stack: ReferralsStack, kind: str) -> list[dict[str, Any]]:
    return [notice for notice in stack.facts("NotificationRequested") if notice["kind"] == kind]


async def test_every_arrival_order_ends_completed_with_each_stage_published_once(
    stack: ReferralsStack,
) -> None:
    parts = ("visit", "booking", "completion")
    orders = list(itertools.permutations(parts))
    for n, order in enumerate(orders):
        code = stack.commands.link_for(TENANT, f"referrer-{n}", at(0)).code
        friend = f"friend-{n}"
        made = {
            "visit": visit(code, f"visitor-{n}"),
            "booking": booking(friend, code, referral_visitor_id=f"visitor-{n}"),
            "completion": completion(friend),
        }
        for part in order:
            await stack.publish(made[part])

    def all_completed() -> None:
        for n in range(len(orders)):
            assert referee(stack, f"friend-{n}").stage == "completed", orders[n]
            assert stages_of(stack, f"referrer-{n}") == [
                (None, f"visitor-{n}", "invited"),
                (f"friend-{n}", None, "booked"),
                (f"friend-{n}", None, "completed"),
            ], orders[n]

    await eventually(all_completed)


async def test_a_completion_carrying_the_code_books_and_completes_at_once(
    stack: ReferralsStack,
) -> None:
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(completion("zoe", referral_code=code))

    await eventually(lambda: _assert(referee(stack, "zoe").stage == "completed"))


async def test_an_unpaid_completion_does_not_complete_the_referral(stack: ReferralsStack) -> None:
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(
        booking("zoe", code),
        completion("zoe", price_minor=0, discounts=[examples.discount("gift_card", 6000)]),
        completion("zoe", hours=24 * 8, booking_id="zoe-second"),
    )

    def completed_by_the_paid_one() -> None:
        found = referee(stack, "zoe")
        assert (found.stage, found.completed_at) == ("completed", at(24 * 8))

    await eventually(completed_by_the_paid_one)


async def test_credit_on_completion_by_default_and_emailed_to_the_referrer(
    stack: ReferralsStack,
) -> None:
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(booking("zoe", code))
    await eventually(lambda: _assert(referee(stack, "zoe").stage == "booked"))
    assert account(stack, "ada") is None

    await stack.publish(completion("zoe"))

    def credited() -> None:
        credits = account(stack, "ada")
        assert credits is not None
        assert credits.available().amounts == {"GBP": 1000}
        issued = only(stack.facts("CreditIssued"))
        assert issued["value"] == {
            "amount": {"amount_minor": 1000, "currency": "GBP"},
            "percent": None,
        }
        email = only(emails(stack, "referral_credit"))
        assert (email["client_id"], email["discount_amount"]["amount_minor"]) == ("ada", 1000)

    await eventually(credited)


async def test_credit_on_first_booking_when_the_trigger_says_so(stack: ReferralsStack) -> None:
    stack.commands.change_settings(TENANT, trigger=Trigger.FIRST_BOOKING)
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(booking("zoe", code))

    def credited_at_booking() -> None:
        credits = account(stack, "ada")
        assert credits is not None
        assert credits.available().amounts == {"GBP": 1000}
        assert referee(stack, "zoe").stage == "booked"

    await eventually(credited_at_booking)


async def test_the_referred_client_gets_a_welcome_code_as_soon_as_they_book(
    stack: ReferralsStack,
) -> None:
    stack.commands.change_settings(TENANT, reward_referred=True)
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(booking("zoe", code))

    def welcomed() -> None:
        issued = only(stack.facts("WelcomeCodeIssued"))
        assert issued["client_id"] == "zoe"
        assert issued["code"].startswith("REF-")
        email = only(emails(stack, "referral_welcome"))
        assert (email["client_id"], email["code"]) == ("zoe", issued["code"])

    await eventually(welcomed)
    quote = stack.commands.quote_code(
        TENANT,
        "zoe",
        code=stack.facts("WelcomeCodeIssued")[0]["code"],
        booking_id="zoe-first",
        amount_minor=6000,
        currency="GBP",
        at=at(2),
    )
    assert (quote.discount_minor, quote.total_minor) == (1000, 5000)


async def test_manual_delivery_alerts_the_business_and_credits_nobody(
    stack: ReferralsStack,
) -> None:
    stack.commands.change_settings(
        TENANT, delivery=Delivery.ALERT, alert_email="owner@anna.example"
    )
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(booking("zoe", code), completion("zoe"))

    def alerted() -> None:
        due = only(stack.facts("ReferralRewardDue"))
        assert (due["client_id"], due["referred_client_id"]) == ("ada", "zoe")
        email = only(emails(stack, "referral_alert"))
        assert email["business_email"] == "owner@anna.example"

    await eventually(alerted)
    assert account(stack, "ada") is None
    assert stack.facts("CreditIssued") == []


async def test_own_link_and_existing_clients_make_no_referral_and_say_why(
    stack: ReferralsStack,
) -> None:
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(
        visit(code, "ada"),
        booking("ada", code, booking_id="ada-again"),
        completion("bo", hours=-24 * 60, booking_id="bo-old"),
        booking("bo", code, hours=2, booking_id="bo-new"),
        completion("bo", hours=72, booking_id="bo-new"),
    )

    def refused() -> None:
        reasons = sorted(
            (fact["referred_client_id"], fact["reason"]) for fact in stack.facts("ReferralRefused")
        )
        assert reasons == [("ada", "self_referral"), ("bo", "existing_client")]

    await eventually(refused)
    assert referee(stack, "bo").stage is None
    assert stages_of(stack, "ada") == []
    assert account(stack, "ada") is None


async def test_duplicates_and_re_sends_give_one_credit_and_one_welcome_code(
    stack: ReferralsStack,
) -> None:
    stack.commands.change_settings(TENANT, reward_referred=True)
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    feed = [visit(code, "v1"), booking("zoe", code), completion("zoe")]
    resent = [{**event, "event_id": str(__import__("uuid").uuid4())} for event in feed]
    await stack.publish(*feed, *feed, *resent)

    def once() -> None:
        credits = account(stack, "ada")
        assert credits is not None
        assert credits.available().amounts == {"GBP": 1000}
        assert len(stack.facts("WelcomeCodeIssued")) == 1
        assert len(emails(stack, "referral_welcome")) == 1
        assert len(emails(stack, "referral_credit")) == 1
        assert len(stages_of(stack, "ada")) == 3

    await eventually(once)


async def test_credit_is_used_once_at_checkout_and_by_the_booking_that_reports_it(
    stack: ReferralsStack,
) -> None:
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(booking("zoe", code), completion("zoe"))
    await eventually(lambda: _assert(account(stack, "ada") is not None))

    use = stack.commands.apply_credit(
        TENANT, "ada", booking_id="ada-b7", amount_minor=4500, currency="GBP", at=at(100)
    )
    again = stack.commands.apply_credit(
        TENANT, "ada", booking_id="ada-b7", amount_minor=4500, currency="GBP", at=at(101)
    )
    assert use == again
    assert use.amount_minor == 1000
    # The platform's booking event reports the same credit on the same booking: nothing more.
    await stack.publish(
        examples.booking_created(
            TENANT,
            at(100),
            client_id="ada",
            booking_id="ada-b7",
            price_minor=3500,
            list_price_minor=4500,
            discounts=[examples.discount("referral_credit", 1000)],
        )
    )

    def applied_once() -> None:
        applied = only(stack.facts("CreditApplied"))
        assert (applied["booking_id"], applied["amount"]["amount_minor"]) == ("ada-b7", 1000)
        credits = account(stack, "ada")
        assert credits is not None
        assert not credits.available().any

    await eventually(applied_once)


async def test_a_booking_reporting_credit_uses_it_without_a_checkout(
    stack: ReferralsStack,
) -> None:
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(booking("zoe", code), completion("zoe"))
    await eventually(lambda: _assert(account(stack, "ada") is not None))
    await stack.publish(
        examples.booking_created(
            TENANT,
            at(200),
            client_id="ada",
            booking_id="ada-b9",
            price_minor=5400,
            list_price_minor=6000,
            discounts=[examples.discount("referral_credit", 600)],
        )
    )

    def partly_used() -> None:
        credits = account(stack, "ada")
        assert credits is not None
        assert credits.available().amounts == {"GBP": 400}

    await eventually(partly_used)


async def test_poison_visits_are_dead_lettered_and_the_consumer_carries_on(
    stack: ReferralsStack,
) -> None:
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    key = referral_visit_key(TENANT, code)
    await stack.publish_raw(REFERRAL_VISITS, b"{not json", key)
    await stack.publish(visit("unknown-code-123", "v0"))
    await stack.publish(visit(code, "v9", tenant="nobody-here"))
    await stack.publish_raw(BOOKING_EVENTS, b"{also not json", b"x:y")
    await stack.publish(visit(code, "v1"))

    await eventually(lambda: _assert(len(stages_of(stack, "ada")) == 1))

    def dead_lettered() -> None:
        letters = DeadLetterStore(stack.settings.database_url).list()
        reasons = sorted(letter.reason for letter in letters)
        assert len(reasons) == 3, reasons
        assert any(reason.startswith("malformed JSON") for reason in reasons)
        assert any("unknown referral code" in reason for reason in reasons)
        assert any("unknown tenant" in reason for reason in reasons)
        assert all(letter.record.topic.endswith(REFERRAL_VISITS) for letter in letters)

    await eventually(dead_lettered)


def _assert(condition: bool) -> None:
    assert condition


def only(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The one item; an AssertionError (so `eventually` retries) while there is not exactly one."""
    assert len(items) == 1, items
    return items[0]


async def test_a_percentage_only_credit_discount_uses_that_share_of_the_price(
    stack: ReferralsStack,
) -> None:
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    for n in range(5):  # five friends: £50 of credit
        await stack.publish(
            booking(f"friend{n}", code, booking_id=f"f{n}"),
            completion(f"friend{n}", booking_id=f"f{n}"),
        )

    def fifty_pounds() -> None:
        credits = account(stack, "ada")
        assert credits is not None
        assert credits.available().amounts == {"GBP": 5000}

    await eventually(fifty_pounds)
    reported = {"kind": "referral_credit", "percentage": "12.5"}
    await stack.publish(
        examples.booking_created(
            TENANT, at(300), client_id="ada", booking_id="ada-b1", price_minor=5250,
            list_price_minor=6000, discounts=[reported],
        )
    )  # fmt: skip

    def twelve_and_a_half_percent_used() -> None:
        credits = account(stack, "ada")
        assert credits is not None
        assert credits.available().amounts == {"GBP": 5000 - 750}

    await eventually(twelve_and_a_half_percent_used)


async def test_an_event_that_cannot_be_published_is_skipped_and_the_rest_flow(
    stack: ReferralsStack,
) -> None:
    # A client id the wire contract refuses (only the gateway validates client ids).
    odd = stack.commands.link_for(TENANT, "Jane Smith", at(0)).code
    code = stack.commands.link_for(TENANT, "ada", at(0)).code
    await stack.publish(visit(odd, "v-odd"), visit(code, "v-ada"))
    await stack.publish(booking("zoe", code))

    def the_rest_published() -> None:
        assert [stage for _, _, stage in stages_of(stack, "ada")] == ["invited", "booked"]

    await eventually(the_rest_published)
