"""Wait for a session to reach a status, woken by this process's transitions and by polling
(another manager process may be the one that moves it)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection

from ai.backend.manager.data.session import StatusChange
from ai.backend.manager.types import SessionStatus

StatusReader = Callable[[uuid.UUID], Awaitable[SessionStatus | None]]


class SessionStatusWaiter:
    def __init__(self, read_status: StatusReader, *, poll_interval: float = 0.5) -> None:
        self._read_status = read_status
        self._poll_interval = poll_interval
        self._events: dict[uuid.UUID, set[asyncio.Event]] = defaultdict(set)

    def notify(self, changes: Collection[StatusChange]) -> None:
        for change in changes:
            for event in self._events.get(change.session_id, ()):
                event.set()

    async def wait(
        self, session_id: uuid.UUID, targets: Collection[SessionStatus], wait_seconds: float
    ) -> SessionStatus | None:
        """The status once it is one of `targets`, or the last seen status at the timeout."""
        event = asyncio.Event()
        self._events[session_id].add(event)
        status: SessionStatus | None = None
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_seconds):
                    while True:
                        status = await self._read_status(session_id)
                        if status is None or status in targets:
                            return status
                        event.clear()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(event.wait(), self._poll_interval)
            return status
        finally:
            self._events[session_id].discard(event)
            if not self._events[session_id]:
                del self._events[session_id]
