"""A Redis cache of `check-presets` answers, shared by every manager process.

An answer depends on what is allocated where, so each entry records the *usage version* it was
computed at, and anything that changes allocations or agent capacity bumps that version
(`invalidate`): a session changing status, an agent joining or leaving, a preset written. A
reader takes the version and its entry in one round trip and uses the entry only if the two
still agree. What no bump covers (an administrator changing a resource limit) ages out with
the entry's TTL.

Redis failing never fails a request: the answer is then computed from the database.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from ai.backend.manager.clients.redis.connection import RedisConnection

log = logging.getLogger(__name__)

_VERSION_KEY = "check_presets.usage_version"
_ENTRY_PREFIX = "check_presets.answer."


@dataclass(frozen=True, slots=True)
class CheckPresetsKey:
    access_key: str
    group: str | None
    scaling_group: str | None

    def redis_key(self) -> str:
        parts = (self.access_key, self.group or "", self.scaling_group or "")
        return _ENTRY_PREFIX + json.dumps(parts, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    # the usage version read with the entry: store a freshly computed answer under it
    version: int
    answer: dict[str, Any] | None


class CheckPresetsCache:
    def __init__(self, redis: RedisConnection, *, ttl: float) -> None:
        self._redis = redis
        self._ttl_ms = int(ttl * 1000)

    @property
    def enabled(self) -> bool:
        return self._ttl_ms > 0

    async def get(self, key: CheckPresetsKey) -> CachedAnswer | None:
        """The entry if it is still current; None when the cache cannot be read at all."""
        if not self.enabled:
            return None
        try:
            raw_version, raw_entry = await self._redis.mget(_VERSION_KEY, key.redis_key())
        except RedisError as e:
            log.warning("check-presets cache read failed, using the database: %s", e)
            return None
        version = int(raw_version or 0)
        if raw_entry is None:
            return CachedAnswer(version, None)
        entry = json.loads(raw_entry)
        if entry.get("version") != version:
            return CachedAnswer(version, None)
        answer = entry.get("answer")
        return CachedAnswer(version, answer if isinstance(answer, dict) else None)

    async def put(self, key: CheckPresetsKey, version: int, answer: dict[str, Any]) -> None:
        if not self.enabled:
            return
        entry = json.dumps({"version": version, "answer": answer}, separators=(",", ":"))
        try:
            await self._redis.set(key.redis_key(), entry, px=self._ttl_ms)
        except RedisError as e:
            log.warning("check-presets cache write failed: %s", e)

    async def invalidate(self) -> None:
        """Allocations or capacities changed: every cached answer is stale from now on."""
        if not self.enabled:
            return
        try:
            await self._redis.incr(_VERSION_KEY)
        except RedisError as e:
            log.warning("could not invalidate the check-presets cache: %s", e)
