"""Per-keypair rate limit: headers on every signed answer, 429 past it, shared by managers."""

from __future__ import annotations

import asyncio
import secrets
import string
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from redis.exceptions import ConnectionError as RedisConnectionError

from ai.backend.manager.api.context import REQUEST_USER
from ai.backend.manager.api.middlewares.ratelimit import make_ratelimit_middleware
from ai.backend.manager.clients.redis.connection import close_redis, open_redis
from ai.backend.manager.defs import REDIS_RATE_LIMIT_DB
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.server import running_manager
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.quota.ratelimit import RateLimiter, RateLimitState
from tests.conftest import make_manager_config
from tests.integration.conftest import RunningManager
from tests.signing import USER_ACCESS_KEY, signed_headers

LIMIT = 5


@pytest_asyncio.fixture
async def limited_keypair(manager: RunningManager) -> AsyncIterator[dict[str, str]]:
    """A fresh keypair of user@lablup.com allowed LIMIT requests per window.

    A new access key each time, so neither the credential cache nor an earlier window leaks in.
    """
    access_key = "AKRL" + "".join(
        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)
    )
    secret_key = secrets.token_urlsafe(30)
    async with manager.root.db.begin() as conn:
        owner = (
            await conn.execute(
                sa.select(keypairs.c.user, keypairs.c.resource_policy).where(
                    keypairs.c.access_key == USER_ACCESS_KEY
                )
            )
        ).one()
        await conn.execute(
            sa.insert(keypairs).values(
                access_key=access_key,
                secret_key=secret_key,
                user=owner.user,
                resource_policy=owner.resource_policy,
                rate_limit=LIMIT,
            )
        )
    yield {"access_key": access_key, "secret_key": secret_key}
    async with manager.root.db.begin() as conn:
        await conn.execute(sa.delete(keypairs).where(keypairs.c.access_key == access_key))


async def get(
    http: aiohttp.ClientSession, manager: RunningManager, path: str, creds: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    headers = signed_headers("GET", path, host=manager.host, **creds)
    async with http.get(manager.base_url + path, headers=headers) as resp:
        return resp.status, dict(resp.headers), await resp.json(content_type=None)


async def test_every_signed_answer_carries_the_headers_and_the_limit_answers_429(
    http: aiohttp.ClientSession, manager: RunningManager, limited_keypair: dict[str, str]
) -> None:
    remaining = []
    for _ in range(LIMIT):
        status, headers, _ = await get(http, manager, "/auth", limited_keypair)
        assert status == 200
        assert headers["X-RateLimit-Limit"] == str(LIMIT)
        assert headers["X-RateLimit-Window"] == "900"
        remaining.append(int(headers["X-RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]

    status, headers, problem = await get(http, manager, "/auth", limited_keypair)
    assert status == 429
    assert problem["type"].endswith("too-many-requests")
    assert "Rate limit" in problem["title"] + problem.get("msg", "")
    assert headers["X-RateLimit-Remaining"] == "0"


async def test_an_error_answer_carries_the_headers_too(
    http: aiohttp.ClientSession, manager: RunningManager, limited_keypair: dict[str, str]
) -> None:
    status, headers, _ = await get(http, manager, "/session/no-such-session", limited_keypair)
    assert status == 404
    assert headers["X-RateLimit-Limit"] == str(LIMIT)
    assert headers["X-RateLimit-Remaining"] == str(LIMIT - 1)


async def test_anonymous_requests_are_not_counted(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    async with http.get(manager.base_url + "/") as resp:
        assert resp.status == 200
        assert "X-RateLimit-Limit" not in resp.headers


async def test_two_managers_share_one_window(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    manager_config: Any,
    limited_keypair: dict[str, str],
) -> None:
    second_config = make_manager_config(manager_config.db, manager_config.etcd.namespace)
    async with running_manager(second_config):
        svc = second_config.manager.service_addr
        second = RunningManager(
            root=manager.root,
            base_url=f"http://{svc.host}:{svc.port}",
            metrics_url="",
            host=f"{svc.host}:{svc.port}",
        )
        statuses = []
        for i in range(LIMIT + 2):
            status, _, _ = await get(http, manager if i % 2 else second, "/auth", limited_keypair)
            statuses.append(status)
    assert statuses == [200] * LIMIT + [429, 429]


async def test_the_window_slides_instead_of_resetting(manager: RunningManager) -> None:
    """Three per second: the fourth waits; a second later the previous second's requests
    still weigh in proportion to their overlap with the sliding window; two seconds later
    nothing is left of them."""
    redis = open_redis(manager.root.redis_config, REDIS_RATE_LIMIT_DB)
    try:
        limiter = RateLimiter(redis, key_prefix=f"test-{secrets.token_hex(4)}:", window=1)
        # start just after a window boundary, so the first three share one fixed window
        await asyncio.sleep(1 - (time.time() % 1) + 0.02)
        assert [(await limiter.consume("AK", 3)).allowed for _ in range(4)] == [
            True,
            True,
            True,
            False,
        ]
        await asyncio.sleep(1.0)  # ~2% into the next window: ~98% of the three still count
        assert not (await limiter.consume("AK", 3)).allowed
        await asyncio.sleep(0.7)  # ~72% in: the previous three weigh ~0.84, plus this one
        state = await limiter.consume("AK", 3)
        assert state.allowed and state.count == 2
        await asyncio.sleep(2.0)
        state = await limiter.consume("AK", 3)
        assert state.allowed and state.remaining == 2
    finally:
        await close_redis(redis)


async def test_an_unreachable_redis_lets_requests_through() -> None:
    """Fail open: the API keeps answering (without the headers) while Redis is away."""

    class Broken(RateLimiter):
        def __init__(self) -> None:
            self.window = 900

        async def consume(self, access_key: str, limit: int) -> RateLimitState:
            raise RedisConnectionError("connection refused")

    middleware = make_ratelimit_middleware(Broken())
    request = make_mocked_request("GET", "/auth")
    request[REQUEST_USER] = AuthenticatedUser(
        access_key="AKIANABBDUSEREXAMPLE",
        is_admin=False,
        resource_policy="default",
        rate_limit=5,
        user_uuid=uuid.uuid4(),
        email="user@lablup.com",
        role="user",
        domain_name="default",
    )

    async def handler(_: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True})

    response = await middleware(request, handler)
    assert response.status == 200
    assert "X-RateLimit-Limit" not in response.headers
