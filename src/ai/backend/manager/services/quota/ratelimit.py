"""Per-keypair request rate limit: a sliding window kept in Redis, shared by every manager.

Each request costs one Redis round trip: a Lua script drops the entries older than the window,
counts the rest and, when under the limit, records this request (a refused request is not
recorded, so a client that backs off gets its quota back as the window slides).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Final

from ai.backend.manager.clients.redis.connection import RedisConnection

WINDOW_SECONDS: Final = 15 * 60

# KEYS[1]: the window's sorted set; ARGV: now (ms), window (ms), limit, a unique member.
# Returns {allowed (0/1), count after this request}.
_SLIDING_WINDOW: Final = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  return {0, count}
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return {1, count + 1}
"""


@dataclass(frozen=True, slots=True)
class RateLimitState:
    allowed: bool
    limit: int
    count: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)


class RateLimiter:
    """The sliding windows of every keypair, in Redis database 1 (`REDIS_RATE_LIMIT_DB`)."""

    def __init__(
        self, redis: RedisConnection, *, key_prefix: str = "", window: int = WINDOW_SECONDS
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self.window = window
        self._script: Any = redis.register_script(_SLIDING_WINDOW)

    def key(self, access_key: str) -> str:
        return f"{self._prefix}keypair.{access_key}.rate_limit_window"

    async def consume(self, access_key: str, limit: int) -> RateLimitState:
        now_ms = int(time.time() * 1000)
        allowed, count = await self._script(
            keys=[self.key(access_key)],
            args=[now_ms, self.window * 1000, limit, f"{now_ms}:{uuid.uuid4().hex[:12]}"],
        )
        return RateLimitState(allowed=bool(allowed), limit=limit, count=int(count))
