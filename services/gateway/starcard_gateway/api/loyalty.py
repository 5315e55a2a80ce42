"""The tenant's loyalty settings and the loyalty read models, under ``/v1/loyalty``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import psycopg
from fastapi import HTTPException, Path, Query, status
from starcard_events.envelope import EXTERNAL_ID_PATTERN
from starcard_projections.attendance import attendance_count, client_tags, reached_milestones
from starcard_projections.loyalty import client_card, client_summary, most_loyal

from starcard_gateway.deps import LoyaltyDep, ReadConnDep, TenantDep, tenant_router
from starcard_gateway.errors import refusal
from starcard_gateway.models.common import MAX_OFFSET, MAX_PAGE_SIZE, ErrorPublic
from starcard_gateway.models.loyalty import (
    ClientSummaryPublic,
    CountDiscountedSessions,
    CountDiscountedSessionsPublic,
    LoyalClientsPublic,
    LoyaltyCardPublic,
    LoyaltySettingsPublic,
    MilestoneActivity,
    MilestoneFields,
    MilestonePublic,
    MilestonesPublic,
)

UNKNOWN_MILESTONE = refusal(404, "No such milestone in the tenant's programme.")
REFUSED_MILESTONE = refusal(409, "Another milestone fires at that count and length.")
NO_CARD = refusal(404, "No card: the tenant has no active milestone.")

ClientIdPath = Annotated[
    str, Path(pattern=EXTERNAL_ID_PATTERN, description="The tenant's id for the client.")
]
MilestoneIdPath = Annotated[
    str, Path(pattern=EXTERNAL_ID_PATTERN, description="The milestone's id, as it was added.")
]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")]
PageOffset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]

router = tenant_router("/v1/loyalty", "loyalty")


@router.get("/settings", summary="The loyalty settings: counting toggle and milestones")
def read_settings(tenant_id: TenantDep, loyalty: LoyaltyDep) -> LoyaltySettingsPublic:
    return LoyaltySettingsPublic.from_programme(loyalty.programme(tenant_id))


@router.put(
    "/settings/count-discounted-sessions",
    summary='Turn "Count membership and package sessions" on or off',
)
def set_count_discounted_sessions(
    body: CountDiscountedSessions, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> CountDiscountedSessionsPublic:
    loyalty.set_count_discounted_sessions(tenant_id, enabled=body.enabled)
    return CountDiscountedSessionsPublic(count_discounted_sessions=body.enabled)


@router.get("/milestones", summary="Every milestone, in the order clients reach them")
def list_milestones(tenant_id: TenantDep, loyalty: LoyaltyDep) -> MilestonesPublic:
    return MilestonesPublic.from_programme(loyalty.programme(tenant_id))


@router.post(
    "/milestones",
    status_code=status.HTTP_201_CREATED,
    summary="Add a milestone (active from the start)",
    responses=REFUSED_MILESTONE,
)
def add_milestone(
    body: MilestoneFields, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> MilestonePublic:
    return MilestonePublic.from_domain(loyalty.add_milestone(tenant_id, **body.model_dump()))


@router.put(
    "/milestones/{milestone_id}",
    summary="Edit a milestone's fields; clients who reached it keep their reward",
    responses={**UNKNOWN_MILESTONE, **REFUSED_MILESTONE},
)
def edit_milestone(
    milestone_id: MilestoneIdPath, body: MilestoneFields, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> MilestonePublic:
    milestone = loyalty.edit_milestone(tenant_id, milestone_id, **body.model_dump())
    return MilestonePublic.from_domain(milestone)


@router.patch(
    "/milestones/{milestone_id}",
    summary="Toggle a milestone active or inactive",
    responses=UNKNOWN_MILESTONE,
)
def set_milestone_active(
    milestone_id: MilestoneIdPath,
    body: MilestoneActivity,
    tenant_id: TenantDep,
    loyalty: LoyaltyDep,
) -> MilestonePublic:
    milestone = loyalty.set_milestone_active(tenant_id, milestone_id, active=body.active)
    return MilestonePublic.from_domain(milestone)


@router.delete(
    "/milestones/{milestone_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a milestone; its id is never used again",
    responses=UNKNOWN_MILESTONE,
)
def delete_milestone(
    milestone_id: MilestoneIdPath, tenant_id: TenantDep, loyalty: LoyaltyDep
) -> None:
    loyalty.delete_milestone(tenant_id, milestone_id)


@router.get("/clients", summary="Clients by stars, most loyal first")
def list_most_loyal_clients(
    tenant_id: TenantDep,
    conn: ReadConnDep,
    limit: PageSize = 50,
    offset: PageOffset = 0,
) -> LoyalClientsPublic:
    clients, count = most_loyal(conn, tenant_id, limit=limit, offset=offset, at=datetime.now(UTC))
    return LoyalClientsPublic.from_page(clients, count)


@router.get(
    "/clients/{client_id}",
    summary='One client\'s profile: stars for the "X stars" pill, attendance milestone, tags',
    responses={404: {"model": ErrorPublic, "description": "Starcard has no record of the client."}},
)
def read_client_summary(
    client_id: ClientIdPath, tenant_id: TenantDep, conn: ReadConnDep
) -> ClientSummaryPublic:
    summary = client_summary(conn, tenant_id, client_id)
    if summary is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"No loyalty record of client {client_id!r}."
        )
    return ClientSummaryPublic.from_parts(
        summary,
        attendance_count(conn, tenant_id, client_id),
        reached_milestones(conn, tenant_id, client_id),
        client_tags(conn, tenant_id, client_id),
    )


def loyalty_card(
    conn: psycopg.Connection[Any], tenant_id: str, client_id: str
) -> LoyaltyCardPublic:
    """The client's card as the tenant's dashboard and the client's portal show it."""
    card = client_card(conn, tenant_id, client_id, at=datetime.now(UTC))
    if card is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            "No loyalty card: clients see one once the business has an active milestone.",
        )
    return LoyaltyCardPublic.from_card(card)


@router.get(
    "/clients/{client_id}/card",
    summary="One client's loyalty card: stars toward the next reward, or the code to use",
    responses=NO_CARD,
)
def read_client_card(
    client_id: ClientIdPath, tenant_id: TenantDep, conn: ReadConnDep
) -> LoyaltyCardPublic:
    return loyalty_card(conn, tenant_id, client_id)
