"""Bodies are capped before they are parsed: a client cannot make the gateway read megabytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starcard_gateway.body_limit import MAX_BODY_BYTES

from tests.support.gateway import TenantCaller

pytestmark = pytest.mark.integration

TOO_LARGE = b'{"message": "' + b"x" * MAX_BODY_BYTES + b'"}'


async def test_a_body_over_the_cap_is_refused_before_it_is_read(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    answer = await gateway.post(
        "/v1/loyalty/milestones",
        content=TOO_LARGE,
        headers={**anna.headers, "Content-Type": "application/json"},
    )

    assert answer.status_code == 413
    assert str(MAX_BODY_BYTES) in answer.json()["detail"]
    assert (await gateway.get("/v1/loyalty/settings", headers=anna.headers)).json()[
        "milestones"
    ] == []


async def test_a_streamed_body_over_the_cap_is_refused_too(
    gateway: httpx.AsyncClient, anna: TenantCaller
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(TOO_LARGE), 8192):
            yield TOO_LARGE[start : start + 8192]

    answer = await gateway.post(
        "/v1/loyalty/milestones",
        content=chunks(),
        headers={**anna.headers, "Content-Type": "application/json"},
    )

    assert answer.status_code == 413
    assert str(MAX_BODY_BYTES) in answer.json()["detail"]
