"""Request signing against a real manager, database, Redis and etcd."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa

from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.user import users
from tests.integration.conftest import RunningManager
from tests.signing import (
    ADMIN_ACCESS_KEY,
    USER_ACCESS_KEY,
    USER_SECRET_KEY,
    signed_headers,
)

PROBLEM_BASE = "https://api.backend.ai/probs/"


async def _get(
    http: aiohttp.ClientSession, manager: RunningManager, path: str, **sign: Any
) -> tuple[int, Any]:
    headers = signed_headers("GET", path, host=manager.host, **sign)
    async with http.get(manager.base_url + path, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None)


async def test_version_negotiation_is_public(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    async with http.get(manager.base_url + "/") as resp:
        assert resp.status == 200
        assert await resp.json() == {"version": "v9.20250722", "manager": "26.9.6"}


async def test_valid_signature_is_accepted(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    status, body = await _get(http, manager, "/auth/test")
    assert status == 200
    assert body == {"authorized": "yes", "echo": ""}


async def test_raw_path_with_encoded_query_is_signed_as_sent(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    path = "/auth/test?name=my+sess&x=%ED%95%9C&scope=*"
    headers = signed_headers("GET", path, host=manager.host)
    async with http.get(manager.base_url + path, headers=headers, allow_redirects=False) as resp:
        assert resp.status == 200, await resp.text()


async def test_signed_content_type_without_multipart_boundary(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    headers = signed_headers(
        "GET", "/auth/test", host=manager.host, content_type="multipart/form-data"
    )
    headers["Content-Type"] = "multipart/form-data; boundary=----abc"
    async with http.get(manager.base_url + "/auth/test", headers=headers) as resp:
        assert resp.status == 200


async def test_wrong_secret_key_is_refused_with_problem_document(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    status, body = await _get(http, manager, "/auth/test", secret_key="wrong-secret")
    assert status == 401
    assert body["type"] == PROBLEM_BASE + "auth-failed"
    assert body["title"]
    assert "Signature mismatch" in body["msg"]


async def test_unknown_access_key_is_refused(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    status, body = await _get(http, manager, "/auth/test", access_key="AKNOSUCHKEY000000000")
    assert status == 401
    assert body["type"] == PROBLEM_BASE + "auth-failed"


@pytest.mark.parametrize("minutes", [20, -20])
async def test_skewed_date_is_refused(
    http: aiohttp.ClientSession, manager: RunningManager, minutes: int
) -> None:
    status, body = await _get(http, manager, "/auth/test", skew=timedelta(minutes=minutes))
    assert status == 401
    assert "clock skew" in body["msg"]


async def test_small_skew_is_tolerated(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    status, _ = await _get(http, manager, "/auth/test", skew=timedelta(minutes=10))
    assert status == 200


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda h: h.update(Authorization="Bearer something"), "Malformed Authorization"),
        (lambda h: h.pop("Date"), "Date"),
        (lambda h: h.update(Date="not a date"), "Cannot parse the request date"),
        (lambda h: h.pop("X-BackendAI-Version"), "X-BackendAI-Version"),
    ],
)
async def test_bad_auth_headers_are_400_problems(
    http: aiohttp.ClientSession, manager: RunningManager, mutate: Any, fragment: str
) -> None:
    headers = signed_headers("GET", "/auth/test", host=manager.host)
    mutate(headers)
    async with http.get(manager.base_url + "/auth/test", headers=headers) as resp:
        body = await resp.json(content_type=None)
        assert resp.status == 400
        assert resp.content_type == "application/problem+json"
        assert body["type"] == PROBLEM_BASE + "invalid-auth-params"
        assert fragment in body["msg"]


async def test_anonymous_call_to_protected_route_is_401(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    async with http.get(manager.base_url + "/auth/test") as resp:
        assert resp.status == 401
        assert (await resp.json(content_type=None))["type"] == PROBLEM_BASE + "auth-failed"


@pytest_asyncio.fixture
async def restore_user_account(manager: RunningManager) -> AsyncIterator[None]:
    yield
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(keypairs)
            .where(keypairs.c.access_key == USER_ACCESS_KEY)
            .values(is_active=True)
        )
        await conn.execute(
            sa.update(users).where(users.c.email == "user@lablup.com").values(status="active")
        )
    await manager.root.auth.invalidate_keypairs(USER_ACCESS_KEY)


async def test_inactive_keypair_is_refused_at_once(
    http: aiohttp.ClientSession, manager: RunningManager, restore_user_account: None
) -> None:
    creds = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}
    assert (await _get(http, manager, "/auth/test", **creds))[0] == 200  # now cached
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(keypairs)
            .where(keypairs.c.access_key == USER_ACCESS_KEY)
            .values(is_active=False)
        )
    await manager.root.auth.invalidate_keypairs(USER_ACCESS_KEY)
    status, body = await _get(http, manager, "/auth/test", **creds)
    assert status == 401
    assert "inactive" in body["msg"]


async def test_inactive_user_is_refused(
    http: aiohttp.ClientSession, manager: RunningManager, restore_user_account: None
) -> None:
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(users).where(users.c.email == "user@lablup.com").values(status="inactive")
        )
    await manager.root.auth.invalidate_keypairs(USER_ACCESS_KEY)
    status, body = await _get(
        http, manager, "/auth/test", access_key=USER_ACCESS_KEY, secret_key=USER_SECRET_KEY
    )
    assert status == 401
    assert "inactive" in body["msg"]


async def test_usage_is_recorded_in_batches(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    async with manager.root.db.connect() as conn:
        before = await conn.scalar(
            sa.select(keypairs.c.num_queries).where(keypairs.c.access_key == ADMIN_ACCESS_KEY)
        )
    for _ in range(3):
        assert (await _get(http, manager, "/auth/test"))[0] == 200
    await manager.root.keypair_usage.flush()
    async with manager.root.db.connect() as conn:
        row = (
            await conn.execute(
                sa.select(keypairs.c.num_queries, keypairs.c.last_used).where(
                    keypairs.c.access_key == ADMIN_ACCESS_KEY
                )
            )
        ).one()
    assert row.num_queries >= (before or 0) + 3
    assert row.last_used is not None
