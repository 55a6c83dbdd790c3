"""The lost-checker: report agents whose heartbeats stopped as `agent_terminated(agent-lost)`.

Every manager runs one; a short Redis lock (SET NX PX in the stream-lock DB) lets only one of
them scan per interval. Reporting twice is harmless: the handler ignores an agent that is
already LOST or that sent a heartbeat meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from redis.exceptions import RedisError

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.errors.base import BackendAIError
from ai.backend.manager.event_dispatcher.producer import EventProducer
from ai.backend.manager.events.agent import AgentTerminatedEvent
from ai.backend.manager.events.types import AgentExitReason
from ai.backend.manager.repositories.agent import AgentLastSeen

log = logging.getLogger(__name__)

LIVENESS_LOCK_KEY: Final = "manager.agent_liveness_check"


class AgentLivenessChecker:
    def __init__(
        self,
        last_seen: AgentLastSeen,
        producer: EventProducer,
        *,
        node_id: str,
        heartbeat_timeout: float = 40.0,
        interval: float | None = None,
        initial_delay: float | None = None,
        lock_redis: RedisConnection | None = None,
        redis_timeout: float = 5.0,
        backlog_since: Callable[[], Awaitable[float | None]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`interval` defaults to a quarter of the timeout. The first scan waits
        `initial_delay` (default: the timeout), so that after a manager restart agents get a
        chance to heartbeat before being declared lost.

        `backlog_since` tells when the oldest event the managers have not handled yet was
        produced: while they lag behind the stream, silence is measured up to that moment
        rather than up to now, so heartbeats still queued do not make agents look lost. The
        allowance is at most one more timeout, so a stuck backlog cannot hide a dead agent."""
        self._last_seen = last_seen
        self._producer = producer
        self._node_id = node_id
        self._timeout = heartbeat_timeout
        self._interval = interval if interval is not None else heartbeat_timeout / 4
        self._initial_delay = initial_delay if initial_delay is not None else heartbeat_timeout
        self._lock_redis = lock_redis
        self._redis_timeout = redis_timeout
        self._backlog_since = backlog_since
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="agent-liveness-check")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        await asyncio.sleep(self._initial_delay)
        while True:
            try:
                await self.check_once()
            except Exception:
                log.exception("the agent liveness check failed")
            await asyncio.sleep(self._interval)

    async def _acquire_turn(self) -> bool:
        if self._lock_redis is None:
            return True
        # Held a little less than an interval, so the next scan (by anyone) is not blocked.
        lease_ms = max(1, int(self._interval * 900))
        try:
            async with asyncio.timeout(self._redis_timeout):
                acquired = await self._lock_redis.set(
                    LIVENESS_LOCK_KEY, self._node_id, nx=True, px=lease_ms
                )
        except (TimeoutError, RedisError, OSError) as e:
            log.warning("cannot take the liveness-check lock, scanning anyway: %s", e)
            return True
        return bool(acquired)

    async def _events_handled_until(self) -> float:
        now = self._clock()
        if self._backlog_since is None:
            return now
        backlog = await self._backlog_since()
        if backlog is None or backlog >= now:
            return now
        if now - backlog > 1.0:
            log.info("the managers are %.1f s behind the event stream", now - backlog)
        return max(backlog, now - self._timeout)

    async def check_once(self) -> list[str]:
        """Report every agent silent for longer than the timeout; returns their ids."""
        if not await self._acquire_turn():
            return []
        now = await self._events_handled_until()
        stale = sorted(
            agent_id
            for agent_id, seen in (await self._last_seen.get_all()).items()
            if now - seen > self._timeout
        )
        for agent_id in stale:
            log.warning(
                "agent %s sent no heartbeat for more than %.0f s; reporting it lost",
                agent_id,
                self._timeout,
            )
            try:
                await self._producer.anycast(
                    AgentTerminatedEvent(reason=AgentExitReason.AGENT_LOST), source=agent_id
                )
            except BackendAIError as e:
                log.warning("could not report agent %s lost: %s", agent_id, e)
        return stale
