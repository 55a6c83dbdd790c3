"""The scheduling loop: wake up, run one pass per resource group with pending sessions, hand
the scheduled sessions to the launcher, sweep sessions stuck in transient states.

Kueue-style: `run_once()` reads as numbered steps, each timed. The clock is injected so tests
control time; the pure decision is `sokovan.scheduler.planner.plan`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ai.backend.manager.data.session import StatusChange
from ai.backend.manager.metrics.scheduler import SchedulerMetrics
from ai.backend.manager.repositories.scheduler import SchedulerRepository
from ai.backend.manager.repositories.session import SessionRepository
from ai.backend.manager.sokovan.launcher import SessionLauncher
from ai.backend.manager.sokovan.scheduler.planner import plan
from ai.backend.manager.types import SessionStatus

log = logging.getLogger(__name__)

ChangeListener = Callable[[list[StatusChange]], Awaitable[None]]


@dataclass(frozen=True)
class SchedulerTimings:
    """How often the loop runs and when a session counts as stuck (seconds)."""

    interval: float = 2.0
    sweep_interval: float = 10.0
    prepare_timeout: float = 300.0
    create_timeout: float = 600.0
    terminate_timeout: float = 120.0


class SchedulingCoordinator:
    def __init__(
        self,
        *,
        scheduler: SchedulerRepository,
        sessions: SessionRepository,
        launcher: SessionLauncher,
        on_changes: ChangeListener,
        metrics: SchedulerMetrics,
        timings: SchedulerTimings = SchedulerTimings(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._scheduler = scheduler
        self._sessions = sessions
        self._launcher = launcher
        self._on_changes = on_changes
        self._metrics = metrics
        self._timings = timings
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._cursors: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        """Schedule soon: a session was enqueued or resources were freed."""
        self._wakeup.set()

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._schedule_loop(), name="sokovan-schedule"),
                asyncio.create_task(self._sweep_loop(), name="sokovan-sweep"),
            ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _schedule_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._timings.interval)
            self._wakeup.clear()
            try:
                await self.run_once()
            except Exception:
                log.exception("scheduling pass failed")

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self._timings.sweep_interval)
            try:
                await self.sweep()
            except Exception:
                log.exception("sweeping stuck sessions failed")

    async def run_once(self) -> int:
        """1. find groups with pending sessions; 2. plan and apply per group; 3. launch."""
        started = time.perf_counter()
        groups = await self._scheduler.resource_groups_with_pending()
        results = await asyncio.gather(*(self._run_group(g) for g in groups))
        scheduled = sum(results)
        self._metrics.observe_operation(
            "schedule", success=True, duration=time.perf_counter() - started, count=1
        )
        return scheduled

    async def _run_group(self, resource_group: str) -> int:
        started = time.perf_counter()
        ok = False
        try:
            result = await self._scheduler.run_pass(
                resource_group,
                plan,
                now=self._clock(),
                roundrobin_cursor=self._cursors.get(resource_group, 0),
            )
            ok = True
        finally:
            self._metrics.observe_phase(
                resource_group, "schedule", success=ok, duration=time.perf_counter() - started
            )
        if not result.locked:
            return 0
        self._cursors[resource_group] = result.roundrobin_cursor
        if result.scheduled or result.pending:
            log.debug(
                "resource group %s: %d pending, %d scheduled, %d deferred, %d lost to a race",
                resource_group,
                result.pending,
                len(result.scheduled),
                result.deferred,
                result.lost_race,
            )
        await self._on_changes(result.changes)
        if result.scheduled:
            self._launcher.spawn(
                self._launcher.prepare(result.scheduled), f"prepare-{resource_group}"
            )
        if result.lost_race:
            self.wake()
        return len(result.scheduled)

    async def sweep(self) -> None:
        """Time out sessions stuck in a transient status, so none hangs forever."""
        now = self._clock()
        t = self._timings
        stuck_preparing = await self._sessions.sessions_stuck(
            [
                SessionStatus.SCHEDULED,
                SessionStatus.PREPARING,
                SessionStatus.PULLING,
                SessionStatus.PREPARED,
            ],
            now - timedelta(seconds=t.prepare_timeout),
        )
        stuck_creating = await self._sessions.sessions_stuck(
            [SessionStatus.CREATING, SessionStatus.RESTARTING],
            now - timedelta(seconds=t.create_timeout),
        )
        for session_id in [*stuck_preparing, *stuck_creating]:
            session = await self._sessions.get(session_id)
            if session is None:
                continue
            log.warning("session %s stuck in %s: giving up on it", session_id, session.status.name)
            await self._launcher.abandon(session, f"timed out in {session.status.name}")
        stuck_terminating = await self._sessions.sessions_stuck(
            [SessionStatus.TERMINATING], now - timedelta(seconds=t.terminate_timeout)
        )
        for session_id in stuck_terminating:
            session = await self._sessions.get(session_id)
            if session is not None:
                log.warning("session %s stuck in TERMINATING: forcing it", session_id)
                await self._launcher.terminate(session, reason="terminate-timeout", forced=True)
