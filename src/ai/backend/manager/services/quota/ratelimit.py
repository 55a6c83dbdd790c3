"""Per-keypair request rate limit: a sliding window kept in Redis, shared by every manager.

The window is a sliding window counter: one hash per keypair holds the count of the current
fixed window (`c`), the count of the one before (`p`) and which window is current (`w`). A request
is estimated against `p * (the part of the previous window still inside the sliding one) + c`;
this is exact for a steady rate and uses constant memory however high the limit (a log of every
request would hold millions of entries at a high limit). Each request costs one Redis round trip:
one Lua script reads, rolls over, decides and counts atomically, on Redis's own clock so managers
with skewed clocks still share one window. A refused request is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ai.backend.manager.clients.redis.connection import RedisConnection

WINDOW_SECONDS: Final = 15 * 60

# KEYS[1]: the keypair's hash; ARGV: window (ms), limit.
# Returns {allowed (0/1), the estimated count (rounded up), this request included when allowed}.
_SLIDING_WINDOW: Final = """
local key = KEYS[1]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = math.floor(now / window)
local state = redis.call('HMGET', key, 'w', 'c', 'p')
local w = tonumber(state[1]) or current
local c = tonumber(state[2]) or 0
local p = tonumber(state[3]) or 0
if w < current then
  if w == current - 1 then p = c else p = 0 end
  c = 0
end
local overlap = 1 - (now - current * window) / window
local estimate = p * overlap + c
local allowed = 0
if estimate + 1 <= limit then
  allowed = 1
  c = c + 1
  estimate = estimate + 1
end
local count = math.ceil(estimate)
redis.call('HSET', key, 'w', current, 'c', c, 'p', p)
redis.call('PEXPIRE', key, window * 2)
return {allowed, count}
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
        allowed, count = await self._script(
            keys=[self.key(access_key)], args=[self.window * 1000, limit]
        )
        return RateLimitState(allowed=bool(allowed), limit=limit, count=int(count))
