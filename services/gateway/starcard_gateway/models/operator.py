"""The operator router's models: registering tenants and issuing their API keys."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from starcard_events.envelope import TENANT_ID_PATTERN
from starcard_events.limits import MAX_NAME_LENGTH, TEXT_PATTERN
from starcard_loyalty.api import MAX_TIME_ZONE_LENGTH

from starcard_gateway.models.time_settings import ZONE_PATTERN
from starcard_gateway.tenants import Tenant


class TenantCreate(BaseModel):
    """A tenant's name, and its id unless the id is to be made from the name (which then needs
    a letter or digit of the Latin alphabet)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["tenant_id"], "properties": {"tenant_id": {"type": "string"}}},
                {"properties": {"name": {"pattern": "[A-Za-z0-9]"}}},
            ]
        },
    )

    name: str = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=TEXT_PATTERN,
        description="The business's name.",
        examples=["Anna Massage"],
    )
    tenant_id: str | None = Field(
        default=None,
        json_schema_extra={"pattern": TENANT_ID_PATTERN},
        description="Lowercase letters, digits, '-' and '_'; derived from the name when omitted.",
        examples=["anna-massage"],
    )
    time_zone: str | None = Field(
        default=None,
        max_length=MAX_TIME_ZONE_LENGTH,
        json_schema_extra={"pattern": ZONE_PATTERN},
        description="The business's IANA time zone (its days begin at midnight there); UTC when "
        "omitted. The tenant can change it later (`/v1/settings/time`).",
        examples=["Europe/London"],
    )


class TenantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    tenant_id: str = Field(description="The tenant's id, carried by every record and key.")
    name: str = Field(description="The business's name.")
    created_at: datetime = Field(description="When the tenant was registered.")


class TenantsPublic(BaseModel):
    data: list[TenantPublic] = Field(description="Every tenant, by id.")
    count: int = Field(description="How many tenants there are.")

    @classmethod
    def from_tenants(cls, tenants: list[Tenant]) -> TenantsPublic:
        return cls(data=[TenantPublic.model_validate(t) for t in tenants], count=len(tenants))


class ApiKeyPublic(BaseModel):
    tenant_id: str = Field(description="The tenant the key speaks for.")
    api_key: str = Field(
        description="Send as `Authorization: Bearer <key>`. Shown once: only its hash is kept."
    )


class TenantCreatedPublic(BaseModel):
    tenant: TenantPublic = Field(description="The new tenant.")
    api_key: str = Field(
        description="The tenant's first API key. Shown once: only its hash is kept."
    )

    @classmethod
    def from_created(cls, tenant: Tenant, api_key: str) -> TenantCreatedPublic:
        return cls(tenant=TenantPublic.model_validate(tenant), api_key=api_key)
