"""Operator routes under ``/v1/operator``: tenants and their API keys, behind the admin key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from starcard_events.envelope import TENANT_ID_PATTERN

from starcard_gateway.deps import TenantRegistryDep, read_strictly, require_operator
from starcard_gateway.errors import REFUSED_REQUEST
from starcard_gateway.models.common import ErrorPublic
from starcard_gateway.models.operator import (
    ApiKeyPublic,
    TenantCreate,
    TenantCreatedPublic,
    TenantsPublic,
)

router = APIRouter(
    prefix="/v1/operator",
    tags=["operator"],
    dependencies=[Depends(require_operator), Depends(read_strictly)],
    responses={
        401: {"model": ErrorPublic, "description": "Missing or wrong admin key."},
        403: {"model": ErrorPublic, "description": "No admin key is configured."},
        **REFUSED_REQUEST,
    },
)


@router.post(
    "/tenants",
    status_code=status.HTTP_201_CREATED,
    summary="Register a tenant, open its loyalty and referral programmes, issue its first key",
    responses={409: {"model": ErrorPublic, "description": "The tenant id is taken."}},
)
def create_tenant(body: TenantCreate, tenants: TenantRegistryDep) -> TenantCreatedPublic:
    tenant, api_key = tenants.create_tenant(body.name, body.tenant_id, time_zone=body.time_zone)
    return TenantCreatedPublic.from_created(tenant, api_key)


@router.get("/tenants", summary="Every tenant")
def list_tenants(tenants: TenantRegistryDep) -> TenantsPublic:
    return TenantsPublic.from_tenants(tenants.list_tenants())


@router.post(
    "/tenants/{tenant_id}/keys",
    status_code=status.HTTP_201_CREATED,
    summary="Issue another API key for a tenant (to rotate one)",
    responses={404: {"model": ErrorPublic, "description": "No such tenant."}},
)
def issue_key(
    tenant_id: Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="The tenant's id.")],
    tenants: TenantRegistryDep,
) -> ApiKeyPublic:
    return ApiKeyPublic(tenant_id=tenant_id, api_key=tenants.issue_key(tenant_id))
