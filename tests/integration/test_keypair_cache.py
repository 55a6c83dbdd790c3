"""The keypair credential cache: copies kept in each process, dropped everywhere on a change.

Two caches on one Redis stand for two manager processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from ai.backend.manager.clients.redis.connection import RedisConnection, close_redis, open_redis
from ai.backend.manager.config.shared import HostPort, RedisConfig
from ai.backend.manager.data.keypair import KeypairCredential
from ai.backend.manager.defs import REDIS_LIVE_DB
from ai.backend.manager.repositories.keypair import KeypairCache

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _credential(access_key: str, *, active: bool = True) -> KeypairCredential:
    return KeypairCredential(
        access_key=access_key,
        secret_key="secret",
        is_active=active,
        is_admin=False,
        resource_policy="default",
        rate_limit=1000,
        user_uuid=uuid.uuid4(),
        user_email="someone@example.com",
        user_role="user",
        user_status="active",
        domain_name="default",
    )


async def _eventually(check: Callable[[], Awaitable[bool]], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest_asyncio.fixture(loop_scope="session")
async def redis(redis_port: int) -> AsyncIterator[RedisConnection]:
    conn = open_redis(RedisConfig(addr=HostPort(host="127.0.0.1", port=redis_port)), REDIS_LIVE_DB)
    try:
        yield conn
    finally:
        await close_redis(conn)


@pytest_asyncio.fixture(loop_scope="session")
async def two_processes(redis: RedisConnection) -> AsyncIterator[tuple[KeypairCache, KeypairCache]]:
    first, second = KeypairCache(redis, ttl=30), KeypairCache(redis, ttl=30)
    for cache in (first, second):
        cache.start()
        async with asyncio.timeout(5):
            await cache.wait_listening()
    try:
        yield first, second
    finally:
        await first.stop()
        await second.stop()


async def test_a_copy_serves_reads_without_redis(
    two_processes: tuple[KeypairCache, KeypairCache], redis: RedisConnection
) -> None:
    first, _ = two_processes
    access_key = f"AK{uuid.uuid4().hex[:12]}"
    await first.put(_credential(access_key))
    await redis.delete(f"keypair.credential.{access_key}")
    found = await first.get(access_key)  # the copy: Redis no longer has it
    assert found is not None and found.access_key == access_key


async def test_an_invalidation_in_one_process_drops_the_copies_of_the_others(
    two_processes: tuple[KeypairCache, KeypairCache],
) -> None:
    first, second = two_processes
    access_key = f"AK{uuid.uuid4().hex[:12]}"
    await first.put(_credential(access_key))
    assert await second.get(access_key) is not None  # read through Redis, copied
    await first.invalidate(access_key)
    assert await first.get(access_key) is None  # at once where it was changed

    async def dropped() -> bool:
        return await second.get(access_key) is None

    await _eventually(dropped)


async def test_without_the_channel_no_copies_are_kept(redis: RedisConnection) -> None:
    cache = KeypairCache(redis, ttl=30)  # never started: hears no invalidations
    assert not cache.listening
    access_key = f"AK{uuid.uuid4().hex[:12]}"
    await cache.put(_credential(access_key))
    await redis.delete(f"keypair.credential.{access_key}")
    assert await cache.get(access_key) is None  # nothing kept in the process


async def test_a_read_racing_an_invalidation_keeps_no_copy(
    two_processes: tuple[KeypairCache, KeypairCache], redis: RedisConnection
) -> None:
    first, second = two_processes
    access_key = f"AK{uuid.uuid4().hex[:12]}"
    await first.put(_credential(access_key))
    generation = second._generation
    await first.invalidate("some-other-key")  # any invalidation heard meanwhile ...

    async def heard() -> bool:
        return second._generation != generation

    await _eventually(heard)
    second._local_put(_credential(access_key, active=False), generation)  # ... voids the read
    assert second._local_get(access_key) is None
