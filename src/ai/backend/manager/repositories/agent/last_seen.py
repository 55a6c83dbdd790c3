"""`agent.last_seen` in the live Redis DB: when each agent last sent a heartbeat.

Values are epoch seconds as decimal text. Writes only move a value forward, and removal can be
made conditional, so that events handled out of order never roll the mark back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Final

from redis.exceptions import RedisError

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.errors.base import ServiceUnavailable

LAST_SEEN_KEY: Final = "agent.last_seen"

_TOUCH_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (not current) or (tonumber(current) < tonumber(ARGV[2])) then
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    return 1
end
return 0
"""

_FORGET_IF_NOT_NEWER = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and tonumber(current) <= tonumber(ARGV[2]) then
    return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


class AgentLastSeen:
    def __init__(self, redis_live: RedisConnection, *, timeout: float = 5.0) -> None:
        self._redis = redis_live
        self._timeout = timeout

    async def _call[T](self, what: str, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except TimeoutError:
            raise ServiceUnavailable(f"Redis did not answer {what} in time") from None
        except (RedisError, OSError) as e:
            raise ServiceUnavailable(f"Redis refused {what}: {e}") from None

    async def touch(self, agent_id: str, at: float) -> bool:
        """Record a heartbeat sent at `at` unless a later one is already recorded."""
        result: Any = await self._call(
            "HSET agent.last_seen",
            self._redis.eval(  # type: ignore[no-untyped-call]
                _TOUCH_IF_NEWER, 1, LAST_SEEN_KEY, agent_id, f"{at:.6f}"
            ),
        )
        return bool(result)

    async def get(self, agent_id: str) -> float | None:
        raw = await self._call("HGET agent.last_seen", self._redis.hget(LAST_SEEN_KEY, agent_id))
        return None if raw is None else float(raw)

    async def get_all(self) -> dict[str, float]:
        raw = await self._call("HGETALL agent.last_seen", self._redis.hgetall(LAST_SEEN_KEY))
        seen: dict[str, float] = {}
        for key, value in raw.items():
            try:
                seen[key.decode()] = float(value)
            except (UnicodeDecodeError, ValueError):
                continue
        return seen

    async def forget(self, agent_id: str, *, not_after: float | None = None) -> bool:
        """Drop the mark; with `not_after`, only if it is not later than that time."""
        if not_after is None:
            deleted: Any = await self._call(
                "HDEL agent.last_seen", self._redis.hdel(LAST_SEEN_KEY, agent_id)
            )
        else:
            deleted = await self._call(
                "HDEL agent.last_seen",
                self._redis.eval(  # type: ignore[no-untyped-call]
                    _FORGET_IF_NOT_NEWER, 1, LAST_SEEN_KEY, agent_id, f"{not_after:.6f}"
                ),
            )
        return bool(deleted)
