"""Every loyalty event is stored and replayed by eventsourcing's default JSON transcoder."""

from uuid import UUID

import pytest
from eventsourcing.application import Application
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.codes import DiscountCode, code_expiry
from starcard_loyalty.domain.ids import programme_id
from starcard_loyalty.domain.programme import LoyaltyProgramme

from .factories import (
    CLIENT,
    LIST_PRICE,
    TENANT,
    any_code,
    appointment,
    codes,
    day,
    milestone,
    programme,
)

pytestmark = pytest.mark.unit


def test_a_programme_survives_storing_and_replaying_every_kind_of_event() -> None:
    store: Application[UUID] = Application()
    tenant = LoyaltyProgramme(tenant_id=TENANT, name="Loyalty")
    tenant.add_milestone("fifth", 5, "Thanks!", None, 0)
    tenant.add_milestone("tenth", 10, "Thanks again!", 10, 0)
    tenant.edit_milestone("tenth", 10, "25% off", 25, 60)
    tenant.set_milestone_active("fifth", False)
    tenant.set_milestone_active("fifth", True)
    tenant.delete_milestone("tenth")
    tenant.set_count_discounted_sessions(True)

    store.save(tenant)

    assert store.repository.get(tenant.id) == tenant


def test_a_client_record_survives_storing_and_replaying_every_kind_of_event() -> None:
    store: Application[UUID] = Application()
    record = ClientLoyalty(tenant_id=TENANT, client_id=CLIENT)
    record.record_appointment(
        appointment("b0", visit_key="group-1", provider_id=None),
        programme(milestone("first", 1)).rules(),
        any_code,
    )
    record.record_appointment(
        appointment(
            "b1", visit_key="group-1", price_minor=LIST_PRICE - 1, discounts=["back_to_back"]
        ),
        programme().rules(),
        any_code,
    )
    record.record_appointment(appointment("b2", occurred_at=day(2)), programme().rules(), any_code)
    record.record_cancellation("b2", day(3))
    record.update_labels(True, day(4))

    store.save(record)

    replayed: ClientLoyalty = store.repository.get(record.id)
    assert replayed == record
    assert replayed.reached == {"first": day(0)}


def test_an_opened_programme_is_found_by_its_tenant() -> None:
    store: Application[UUID] = Application()
    store.save(LoyaltyProgramme(tenant_id=TENANT, name="Loyalty"))

    found: LoyaltyProgramme = store.repository.get(programme_id(TENANT))
    assert found.name == "Loyalty"


def test_a_client_record_survives_storing_and_replaying_every_kind_of_reward_event() -> None:
    store: Application[UUID] = Application()
    counting = programme(
        milestone("fifth", 2, discount_percent=10),
        milestone("message", 3),
        milestone("tenth", 4, discount_percent=25),
        milestone("fifteenth", 5, discount_percent=30),
    ).rules()
    new_code = codes()
    record = ClientLoyalty(tenant_id=TENANT, client_id=CLIENT)
    for n in range(5):
        record.record_appointment(appointment(f"b{n}", occurred_at=day(n)), counting, new_code)
    record.redeem_reward("LOYAL-22222222", "checkout-1", day(6), new_code)
    record.expire_reward(code_expiry(day(6)), new_code)

    store.save(record)

    replayed: ClientLoyalty = store.repository.get(record.id)
    assert replayed == record
    assert [queued.milestone_id for queued in replayed.queue] == []
    assert replayed.outstanding_code == "LOYAL-22222224"
    assert set(replayed.rewards) == {"fifth", "message", "tenth", "fifteenth"}


def test_a_discount_code_survives_storing_and_replaying_every_kind_of_event() -> None:
    store: Application[UUID] = Application()
    redeemed, expired = (
        DiscountCode(
            code=code,
            tenant_id=TENANT,
            client_id=CLIENT,
            discount_percent=10,
            milestone_id="fifth",
            issued_at=day(0),
            expires_at=code_expiry(day(0)),
        )
        for code in ("LOYAL-22222222", "LOYAL-22222223")
    )
    redeemed.redeem("checkout-1", CLIENT, day(1))
    expired.expire(code_expiry(day(0)))

    store.save(redeemed, expired)

    assert store.repository.get(redeemed.id) == redeemed
    assert store.repository.get(expired.id) == expired
