"""The node statistics agents keep in Redis: DB 0 (statistics), key `{agent_id}`, a msgpack
map `{"node": {metric: {current, capacity, pct, ...}}, "devices": {...}}` rewritten every few
seconds with a short TTL (so a gone agent's statistics expire on their own).
"""

from __future__ import annotations

import asyncio
import base64
import enum
import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from redis.exceptions import RedisError

from ai.backend.manager.clients.agent.codec import safe_unpack
from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.data.agent import AgentLiveStat

log = logging.getLogger(__name__)


def _plain(value: Any) -> Any:
    """The agent's values as JSON can carry them (numbers it sent as decimals stay exact)."""
    match value:
        case Mapping():
            return {str(_plain(k)): _plain(v) for k, v in value.items()}
        case list() | tuple():
            return [_plain(v) for v in value]
        case Decimal() | uuid.UUID() | PurePath():
            return str(value)
        case datetime():
            return value.isoformat()
        case enum.Enum():
            return _plain(value.value)
        case bytes():
            return base64.b64encode(value).decode()
        case None | bool() | int() | float() | str():
            return value
    return repr(value)


class AgentLiveStats:
    def __init__(self, redis_stat: RedisConnection, *, timeout: float = 2.0) -> None:
        self._redis = redis_stat
        self._timeout = timeout

    async def read(self, agent_ids: Sequence[str]) -> dict[str, AgentLiveStat]:
        """The statistics of those agents that have any, in one round trip. Live figures are
        a courtesy of listings: when Redis does not answer, they are left out (and logged)."""
        if not agent_ids:
            return {}
        try:
            async with asyncio.timeout(self._timeout):
                raw: list[bytes | None] = await self._redis.mget(list(agent_ids))
        except (TimeoutError, RedisError, OSError) as e:
            log.warning("could not read the agents' live statistics: %r", e)
            return {}
        stats: dict[str, AgentLiveStat] = {}
        for agent_id, data in zip(agent_ids, raw, strict=True):
            if data is None:
                continue
            value = safe_unpack(data)
            if not isinstance(value, Mapping):
                log.warning("agent %s left undecodable statistics in Redis", agent_id)
                continue
            stats[agent_id] = AgentLiveStat(_plain(value))
        return stats
