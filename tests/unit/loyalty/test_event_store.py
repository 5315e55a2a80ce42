"""Every loyalty event is stored and replayed by eventsourcing's default JSON transcoder."""

from uuid import UUID

import pytest
from eventsourcing.application import Application
from starcard_loyalty.domain.client import ClientLoyalty
from starcard_loyalty.domain.ids import programme_id
from starcard_loyalty.domain.programme import LoyaltyProgramme

from .factories import CLIENT, LIST_PRICE, TENANT, appointment, day, milestone, programme

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
    )
    record.record_appointment(
        appointment(
            "b1", visit_key="group-1", price_minor=LIST_PRICE - 1, discounts=["back_to_back"]
        ),
        programme().rules(),
    )
    record.record_appointment(appointment("b2", occurred_at=day(2)), programme().rules())
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
