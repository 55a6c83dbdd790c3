"""Session lifetime and idle timeout: end the sessions that outlive their keypair policy.

Every interval one manager (whichever takes the advisory lock) reads the RUNNING sessions whose
policy has a `max_session_lifetime` or an `idle_timeout`, decides with `expiry()` and terminates
the expired ones through the launcher with the reason recorded as their `status_info`:
`idle-session-lifetime` or `idle-timeout` (the reference's kernel lifecycle reasons).

Idle means no access: the session API touches `session.{id}.last_access` (Redis live DB, epoch
seconds) on every execute/RPC-like call; a session never touched counts from its start. Batch
sessions are never idle (they run unattended) but do have a lifetime. A policy `idle_timeout`
below zero means "the cluster default": etcd `config/idle/checkers/network_timeout/threshold`
(e.g. `10m`), 10 minutes when unset.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.data.session import SessionRecord
from ai.backend.manager.repositories.idle.repository import IdleCandidate, IdleRepository
from ai.backend.manager.services.session.creation import parse_duration_seconds
from ai.backend.manager.types import SessionTypes

log = logging.getLogger(__name__)

REASON_IDLE_TIMEOUT: Final = "idle-timeout"
REASON_SESSION_LIFETIME: Final = "idle-session-lifetime"
NETWORK_TIMEOUT_KEY: Final = "config/idle/checkers/network_timeout/threshold"
DEFAULT_NETWORK_TIMEOUT: Final = 600
# A last-access mark outlives any sensible idle timeout, then goes away with its session.
_LAST_ACCESS_TTL: Final = 7 * 24 * 3600


def last_access_key(session_id: uuid.UUID) -> str:
    return f"session.{session_id}.last_access"


class SessionAccessTracker:
    """The `session.{id}.last_access` marks in the Redis live database."""

    def __init__(self, redis: RedisConnection, *, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock

    async def touch(self, session_id: uuid.UUID) -> None:
        await self._redis.set(
            last_access_key(session_id), f"{self._clock():.06f}", ex=_LAST_ACCESS_TTL
        )

    async def last_access(self, session_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, datetime]:
        if not session_ids:
            return {}
        raw = await self._redis.mget([last_access_key(s) for s in session_ids])
        result: dict[uuid.UUID, datetime] = {}
        for session_id, value in zip(session_ids, raw, strict=True):
            if value is None:
                continue
            try:
                seconds = float(value)
            except ValueError:
                continue
            if seconds > 0:
                result[session_id] = datetime.fromtimestamp(seconds, UTC)
        return result


def expiry(
    candidate: IdleCandidate,
    *,
    now: datetime,
    last_access: datetime | None,
    default_idle_timeout: int,
) -> str | None:
    """The reason to terminate the session now, or None while it may keep running."""
    lifetime = candidate.max_session_lifetime
    if lifetime > 0 and now >= candidate.started_at + timedelta(seconds=lifetime):
        return REASON_SESSION_LIFETIME
    if candidate.session_type == SessionTypes.BATCH:
        return None
    timeout = candidate.idle_timeout if candidate.idle_timeout >= 0 else default_idle_timeout
    if timeout <= 0:
        return None
    baseline = max(candidate.started_at, last_access) if last_access else candidate.started_at
    if now >= baseline + timedelta(seconds=timeout):
        return REASON_IDLE_TIMEOUT
    return None


class ConfigReader(Protocol):
    async def get(self, key: str) -> str | None: ...


class SessionFinder(Protocol):
    async def get(self, session_id: uuid.UUID) -> SessionRecord | None: ...


class SessionTerminator(Protocol):
    async def terminate(self, session: SessionRecord, *, reason: str, forced: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class Expired:
    session_id: uuid.UUID
    reason: str


class IdleChecker:
    """The periodic check; `run_once()` is one round, `start()`/`stop()` the loop around it."""

    def __init__(
        self,
        *,
        repository: IdleRepository,
        tracker: SessionAccessTracker,
        sessions: SessionFinder,
        terminator: SessionTerminator,
        etcd: ConfigReader,
        interval: float = 10.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repository = repository
        self._tracker = tracker
        self._sessions = sessions
        self._terminator = terminator
        self._etcd = etcd
        self._interval = interval
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    @property
    def tracker(self) -> SessionAccessTracker:
        return self._tracker

    async def _default_idle_timeout(self) -> int:
        try:
            raw = await self._etcd.get(NETWORK_TIMEOUT_KEY)
        except Exception as e:  # an etcd hiccup must not stop the checker
            log.warning("cannot read %s: %s", NETWORK_TIMEOUT_KEY, e)
            return DEFAULT_NETWORK_TIMEOUT
        if not raw:
            return DEFAULT_NETWORK_TIMEOUT
        try:
            return parse_duration_seconds(raw)
        except ValueError:
            log.warning("ignoring %s = %r: not a duration", NETWORK_TIMEOUT_KEY, raw)
            return DEFAULT_NETWORK_TIMEOUT

    async def run_once(self) -> list[Expired]:
        """Terminate what has expired; an empty list when another manager holds the round."""
        async with self._repository.exclusive() as mine:
            if not mine:
                return []
            candidates = await self._repository.running_with_limits()
            if not candidates:
                return []
            accessed = await self._tracker.last_access([c.session_id for c in candidates])
            default_timeout = await self._default_idle_timeout()
            now = self._clock()
            expired = [
                Expired(c.session_id, reason)
                for c in candidates
                if (
                    reason := expiry(
                        c,
                        now=now,
                        last_access=accessed.get(c.session_id),
                        default_idle_timeout=default_timeout,
                    )
                )
                is not None
            ]
            for item in expired:
                record = await self._sessions.get(item.session_id)
                if record is None:
                    continue
                log.info("terminating session %s: %s", item.session_id, item.reason)
                await self._terminator.terminate(record, reason=item.reason, forced=False)
            return expired

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("idle check failed; retrying in %.0f s", self._interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="idle-checker")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
