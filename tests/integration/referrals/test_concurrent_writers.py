"""Aggregates several processes write: a referrer's credit account and a welcome code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from starcard_kernel.refusals import CurrencyMismatch
from starcard_loyalty.domain.errors import CodeAlreadyRedeemed
from starcard_referrals.app import SCHEMA
from starcard_referrals.application import ReferralsService
from starcard_referrals.domain.credits import CreditAccount
from starcard_referrals.domain.ids import credit_account_id, referee_id
from starcard_referrals.domain.referee import Referee
from starcard_referrals.domain.values import RewardValue
from starcard_runtime.batching import UnitOfWork
from starcard_runtime.service import build_application
from starcard_runtime.settings import RuntimeSettings

pytestmark = pytest.mark.integration

TENANT = "anna-massage"
T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture
def services(fresh_database: str) -> Iterator[tuple[ReferralsService, ReferralsService]]:
    """Two processes of the referrals service on one database (two partitions' owners)."""
    settings = RuntimeSettings(DATABASE_URL=fresh_database)
    first = build_application(ReferralsService, settings, SCHEMA)
    second = build_application(ReferralsService, settings, SCHEMA)
    first.open_programme(TENANT, "Anna")
    first.change_settings(TENANT, reward=RewardValue.of_amount(1000, "GBP"), reward_referred=True)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def refer(service: ReferralsService, friend: str, hours: int) -> None:
    """A friend of Ada books through her link and comes in, in one batch of `service`."""
    code = service.link_for(TENANT, "ada", T0).code
    unit = UnitOfWork(service)
    at = T0 + timedelta(hours=hours)
    service.record_booking(unit, TENANT, friend, f"{friend}-1", at, code=code)
    service.record_completion(unit, TENANT, friend, f"{friend}-1", at, paid=True)
    commit(service, unit)


def commit(service: ReferralsService, unit: UnitOfWork) -> None:
    """Save what a batch changed and keep it cached, as the partition consumer does."""
    service.save(*unit.aggregates.values())
    for aggregate in unit.aggregates.values():
        service.working_set.put(aggregate)


def spend(service: ReferralsService, booking_id: str, reported: int) -> int:
    unit = UnitOfWork(service)
    use = service.apply_credit_from_booking(
        unit, TENANT, "ada", booking_id, T0 + timedelta(days=2),
        price_minor=4500, currency="GBP", reported_minor=reported,
    )  # fmt: skip
    commit(service, unit)
    return use.amount_minor


def test_credit_issued_by_another_process_is_seen_by_a_cached_account(
    services: tuple[ReferralsService, ReferralsService],
) -> None:
    ada_partition, friends_partition = services
    refer(friends_partition, "zoe", 1)
    assert spend(ada_partition, "ada-1", 1000) == 1000  # Ada's account is now cached, empty
    refer(friends_partition, "yan", 2)  # another process gives her £10 more

    assert spend(ada_partition, "ada-2", 1000) == 1000
    account: CreditAccount = ada_partition.repository.get(credit_account_id(TENANT, "ada"))
    assert not account.available().any
    assert sorted(account.uses) == ["ada-1", "ada-2"]


def test_a_welcome_code_offered_in_another_currency_is_refused_and_not_used_up(
    services: tuple[ReferralsService, ReferralsService],
) -> None:
    service, _ = services
    refer(service, "zoe", 1)
    referee: Referee = service.repository.get(referee_id(TENANT, "zoe"))
    code = referee.welcome_code
    assert code is not None
    with pytest.raises(CurrencyMismatch):
        service.redeem_code(
            TENANT, "zoe", code=code, booking_id="zoe-2", amount_minor=5000, currency="EUR", at=T0
        )
    redeemed = service.redeem_code(
        TENANT, "zoe", code=code, booking_id="zoe-2", amount_minor=5000, currency="GBP", at=T0
    )
    assert (redeemed.discount_minor, redeemed.total_minor) == (1000, 4000)
    with pytest.raises(CodeAlreadyRedeemed):
        service.redeem_code(
            TENANT, "zoe", code=code, booking_id="zoe-3", amount_minor=5000, currency="GBP", at=T0
        )
