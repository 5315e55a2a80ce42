"""The API does what its OpenAPI document says: schemathesis, with all its checks, against the
gateway served by uvicorn on a fresh database, as a tenant (API key), a client (portal token) and
the operator, so generated requests reach the logic behind the credentials.

Bounded and derandomized: a few examples per operation, the same ones every run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.hooks import HookContext
from starcard_gateway.app import create_app
from starcard_gateway.settings import GatewaySettings

from tests.integration.gateway.conftest import ADMIN_KEY, PORTAL_SECRET
from tests.support.databases import throwaway_database
from tests.support.processes import free_port

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 25
SEED = 20250301
# The health, readiness and metrics routes answer about the pipeline, not the request: left out.
OPS = ("/healthz", "/readyz")


@pytest.fixture(scope="module")
def module_database(database_url: str) -> Iterator[str]:
    """A fresh database shared by every operation's test in this module."""
    with throwaway_database(database_url) as url:
        yield url


def _settings(database_url: str) -> GatewaySettings:
    return GatewaySettings(
        DATABASE_URL=database_url,
        STARCARD_ADMIN_KEY=ADMIN_KEY,
        STARCARD_PORTAL_SECRET=PORTAL_SECRET,
    )


@pytest.fixture(scope="module")
def served_gateway(module_database: str) -> Iterator[str]:
    """The gateway under uvicorn on a free local port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(_settings(module_database)),
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def credentials(served_gateway: str) -> dict[str, str]:
    """Each security scheme's bearer: a tenant (with a milestone) and its API key, a portal
    token for one of its clients, and the operator's key."""
    with httpx.Client(base_url=served_gateway) as http:
        created = http.post(
            "/v1/operator/tenants",
            json={"name": "Anna Massage"},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert created.status_code == 201, created.text
        api_key = created.json()["api_key"]
        tenant = {"Authorization": f"Bearer {api_key}"}
        milestone = http.post(
            "/v1/loyalty/milestones",
            json={"session_count": 5, "message": "Thank you for your 5th visit!"},
            headers=tenant,
        )
        assert milestone.status_code == 201, milestone.text
        token = http.post("/v1/portal/tokens", json={"client_id": "ada"}, headers=tenant)
        assert token.status_code == 201, token.text
    return {"TenantKey": api_key, "PortalToken": token.json()["token"], "OperatorKey": ADMIN_KEY}


# The document only: building the app opens nothing until it starts serving.
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        "operations": [
            {
                # Whether a change holds together can depend on the settings already stored
                # (`delivery: alert` needs an `alert_email`, sent now or before): a schema-valid
                # change may be refused, 422 saying what to fix, which no schema can foresee.
                "include-path": "/v1/referrals/settings",
                "include-method": "PATCH",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "404", "409", "422"]
                    }
                },
            },
            {
                # Likewise the points settings: a rebooking bonus needs its window, expiry
                # after N days needs N, a service bonus a service or a category, sent now or
                # before; the refusal names what to fix.
                "include-path": "/v1/loyalty/points/settings",
                "include-method": "PATCH",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "404", "409", "422"]
                    }
                },
            },
            {
                # And the tier settings: tiers must climb from an entry of 0, each needing more
                # spend than the one below, with ids and names of their own and a stay threshold
                # at most the entry; no schema says so, and the refusal names every problem.
                "include-path": "/v1/loyalty/tiers/settings",
                "include-method": "PATCH",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "404", "409", "422"]
                    }
                },
            },
            {
                # And the package settings: a package must cover a service or a category and
                # cost less than its sessions bought singly, ids must be the catalogue's own, and
                # a replacement against a version since changed is refused; the refusal names
                # every problem.
                "include-path-regex": "^/v1/settings/packages",
                "include-method": "PUT",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "404", "409", "422"]
                    }
                },
            },
            {
                # And the time settings (also a new tenant's zone): whether a zone name of the
                # right shape is a zone the zone database knows, and whether quiet hours start
                # and end at different times, no schema says; the refusal names every problem.
                "include-path-regex": "^/v1/(settings/time|operator/tenants)$",
                "include-method-regex": "^(PATCH|POST)$",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "404", "409", "422"]
                    }
                },
            },
            {
                # And the campaigns' settings: re-engagement steps must rise, re-engagement needs
                # a booking link (and keeps it while on), the link must be an https address, and
                # the hold-out share and attribution window have bounds the campaigns service
                # keeps; the refusal names every problem.
                "include-path-regex": "^/v1/campaigns/",
                "include-method": "PATCH",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "404", "409", "422"]
                    }
                },
            },
            {
                # A bill's lines must share one currency, which a schema of each line cannot
                # say; a code offered with it may be refused as /quote refuses it.
                "include-path": "/v1/checkout/tier/quote",
                "include-method": "POST",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "404", "409", "410", "422"]
                    }
                },
            },
        ],
    }
)
schema = schemathesis.openapi.from_dict(
    create_app(_settings("postgresql://unused@127.0.0.1:1/unused")).openapi(), config=CONFIG
).exclude(path=list(OPS))


@schema.hook
def map_body(_context: HookContext, body: Any) -> Any:
    """Integers as JSON integers: `88`, never `88.0`.

    The API reads a JSON body strictly, as the event contracts do: an integer field takes an
    integer literal, and `88.0` is refused like `88.5` or `"88"`. JSON Schema cannot say so (to
    it `88.0` is an integer), so schemathesis spells some integers that way; they are sent as
    the integers they are.
    """
    return _integers_as_integers(body)


def _integers_as_integers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integers_as_integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integers_as_integers(item) for item in value]
    return value


def _bearer(case: Case[Any], credentials: dict[str, str]) -> dict[str, str]:
    """The Authorization header of the operation's security scheme; none for a case whose
    headers are the schema-violating part (a missing or blank Authorization), which would
    otherwise be sent with valid credentials and judged as if still invalid."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    if header is not None and header.mode is GenerationMode.NEGATIVE:
        return {}
    for requirement in case.operation.definition.raw.get("security", []):
        for scheme in requirement:
            return {"Authorization": f"Bearer {credentials[scheme]}"}
    return {}


@schema.parametrize()
def test_the_api_does_what_its_openapi_document_says(
    case: Case[Any], served_gateway: str, credentials: dict[str, str]
) -> None:
    case.call_and_validate(base_url=served_gateway, headers=_bearer(case, credentials))
