"""The demo's referral feed does what `starcard demo` says it does, through Kafka."""

from __future__ import annotations

from collections import Counter

import pytest
from starcard_cli.demo import DEMO_TENANT_ID, DEMO_TENANT_NAME, REFERRALS_START, publish
from starcard_cli.referral_demo import REFERRERS, build_referral_feed, prepare_referrals
from starcard_events import examples

from tests.support.referrals import ReferralsStack, referrals_stack
from tests.support.stack import eventually

pytestmark = pytest.mark.integration


async def test_the_referral_demo_gives_the_stages_credits_and_codes_it_announces(
    fresh_database: str, kafka_bootstrap: str, topic_prefix: str
) -> None:
    async with referrals_stack(fresh_database, kafka_bootstrap, topic_prefix) as stack:
        stack.commands.open_programme(DEMO_TENANT_ID, DEMO_TENANT_NAME)
        links = prepare_referrals(stack.commands, DEMO_TENANT_ID, REFERRALS_START)
        assert prepare_referrals(stack.commands, DEMO_TENANT_ID, REFERRALS_START) == links
        feed = build_referral_feed(DEMO_TENANT_ID, links, seed=7, starts=REFERRALS_START)
        again = build_referral_feed(DEMO_TENANT_ID, links, seed=7, starts=REFERRALS_START)
        assert [r.event for r in feed.records] == [r.event for r in again.records]
        records = [
            (stack.settings.topic(r.topic), r.key, examples.encode(r.event)) for r in feed.records
        ]
        await publish(records, kafka_bootstrap)
        await publish(records, kafka_bootstrap)  # a second run publishes the same records

        def as_announced() -> None:
            assert _current_stages(stack) == Counter(
                {
                    "invited": feed.invited,
                    "booked": feed.booked,
                    "completed": feed.completed,
                }
            )
            assert len(stack.facts("ReferralRefused")) == feed.refused
            assert len(stack.facts("CreditIssued")) == feed.completed
            assert len(stack.facts("WelcomeCodeIssued")) == feed.booked + feed.completed

        await eventually(as_announced, within=60)
        assert set(links) == set(REFERRERS)


def _current_stages(stack: ReferralsStack) -> Counter[str]:
    """Each referral's latest stage: a visitor until they book, then the referred client."""
    order = {"invited": 0, "booked": 1, "completed": 2}
    latest: dict[str, str] = {}
    tied: set[str] = set()
    for fact in stack.facts("ReferralStageChanged"):
        who = fact["referred_client_id"] or fact["visitor_id"]
        if latest.get(who) is None or order[fact["stage"]] > order[latest[who]]:
            latest[who] = fact["stage"]
    for referee_fact in stack.facts("ReferralStageChanged"):
        if referee_fact["referred_client_id"] is not None:
            tied.add(referee_fact["referred_client_id"])
    visitors_who_booked = {f"visitor-{client.removeprefix('friend-')}" for client in tied}
    return Counter(stage for who, stage in latest.items() if who not in visitors_who_booked)
