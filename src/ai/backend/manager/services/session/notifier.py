"""Fan out session status changes: to local waiters, to every manager (a broadcast `scheduling`
event that feeds SSE streams), and to whoever must react (the scheduler, when slots free up)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ai.backend.manager.data.session import SessionSpec, StatusChange
from ai.backend.manager.event_dispatcher.producer import EventProducer
from ai.backend.manager.events.session import SchedulingEvent
from ai.backend.manager.repositories.session import SessionRepository
from ai.backend.manager.services.session.waiter import SessionStatusWaiter
from ai.backend.manager.types import SESSION_TERMINAL_STATUSES, SessionStatus

log = logging.getLogger(__name__)


class SessionChangeNotifier:
    def __init__(
        self,
        *,
        sessions: SessionRepository,
        events: EventProducer,
        waiter: SessionStatusWaiter,
        source: str,
    ) -> None:
        self._sessions = sessions
        self._events = events
        self._waiter = waiter
        self._source = source
        self._freed_listeners: list[Callable[[], None]] = []
        self._enqueued_listeners: list[Callable[[], None]] = []
        self._changed_listeners: list[Callable[[], Awaitable[None]]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def on_resources_freed(self, listener: Callable[[], None]) -> None:
        self._freed_listeners.append(listener)

    def on_enqueued(self, listener: Callable[[], None]) -> None:
        self._enqueued_listeners.append(listener)

    def on_changed(self, listener: Callable[[], Awaitable[None]]) -> None:
        """Awaited once per batch of status changes (allocations may have changed)."""
        self._changed_listeners.append(listener)

    async def publish(self, changes: list[StatusChange]) -> None:
        if not changes:
            return
        self._waiter.notify(changes)
        for changed in self._changed_listeners:
            try:
                await changed()
            except Exception:
                log.exception("a session-change listener failed")
        if any(c.after in SESSION_TERMINAL_STATUSES for c in changes):
            for listener in self._freed_listeners:
                listener()
        events = [
            SchedulingEvent(
                session_id=change.session_id,
                creation_id="",
                status_transition=change.after.name,
                reason=change.reason or "",
            )
            for change in changes
        ]
        try:
            await self._events.broadcast_many(events, source=self._source)
        except Exception as e:
            # Losing notifications must never fail the status changes themselves.
            log.warning("could not broadcast %d scheduling events: %s", len(events), e)

    def enqueued(self, session: SessionSpec) -> None:
        for listener in self._enqueued_listeners:
            listener()
        event = SchedulingEvent(
            session_id=session.session_id,
            creation_id=session.creation_id or "",
            status_transition=SessionStatus.PENDING.name,
            reason="enqueued",
        )
        task = asyncio.create_task(self._broadcast(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _broadcast(self, event: SchedulingEvent) -> None:
        try:
            await self._events.broadcast(event, source=self._source)
        except Exception as e:
            # Losing a notification must never fail the status change itself.
            log.warning("could not broadcast %s for %s: %s", event.name, event.session_id, e)
