"""Finding a tenant's single-use code (``starcard_kernel.codes``) in a service's event store.

A code's id follows from the code itself, so a code is found whichever tenant issued it; another
tenant's is then refused exactly like one never issued (`CodeNotFound`): a tenant never learns
that another tenant's code exists.
"""

from __future__ import annotations

from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application
from starcard_kernel.codes import SingleUseCode
from starcard_kernel.refusals import CodeNotFound

from starcard_runtime.batching import UnitOfWork

TCode = TypeVar("TCode", bound=SingleUseCode)


def stored_code(
    application: Application[Any], kind: type[TCode], tenant_id: str, code: str
) -> TCode:
    """The tenant's code as stored now (for a quote, which changes nothing)."""
    try:
        found: TCode = application.repository.get(kind.create_id(code))
    except AggregateNotFoundError:
        raise CodeNotFound(code) from None
    return _of_tenant(found, tenant_id, code)


def code_in_batch(
    unit: UnitOfWork, kind: type[TCode], tenant_id: str, code: str, *, fresh: bool = False
) -> TCode:
    """The tenant's code as the batch `unit` holds it (`fresh`: as stored, see `UnitOfWork.get`)."""
    return _of_tenant(unit.get(kind.create_id(code), kind, fresh=fresh), tenant_id, code)


def _of_tenant(found: TCode | None, tenant_id: str, code: str) -> TCode:
    if found is None or found.tenant_id != tenant_id:
        raise CodeNotFound(code)
    return found
