"""Following one background task to its end: its last known state, then its live events.

The producer of a task keeps its last event in Redis (`bgtask.<task_id>`, a few minutes), so a
reader who arrives late still learns the state, and one who arrives after the end learns the
outcome. A reader subscribes first and reads that state second, so nothing published between
the two is lost. Broadcasts can still be missed (a Redis reconnect drops pub/sub messages), so
while waiting the reader looks at the stored state again every `recheck_interval` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Protocol

from ai.backend.manager.bgtask.hub import (
    BGTASK_EVENT_TYPES,
    BgtaskEventHub,
    BgtaskSubscription,
    is_final,
)
from ai.backend.manager.errors.bgtask import BackgroundTaskNotFound
from ai.backend.manager.errors.event import EventBusUnavailable, MalformedEvent
from ai.backend.manager.events.bgtask import BgtaskEvent, bgtask_cache_id
from ai.backend.manager.events.envelope import BroadcastEnvelope, decode_body

log = logging.getLogger(__name__)


class CachedEventReader(Protocol):
    async def fetch_cached(self, cache_id: str) -> BroadcastEnvelope | None: ...


async def read_task_state(reader: CachedEventReader, task_id: uuid.UUID) -> BgtaskEvent | None:
    """The last event stored for `task_id`, or None if nothing (readable) is stored."""
    envelope = await reader.fetch_cached(bgtask_cache_id(task_id))
    if envelope is None:
        return None
    event_cls = BGTASK_EVENT_TYPES.get(envelope.name)
    if event_cls is None:
        log.warning("the stored state of task %s is an unknown event %r", task_id, envelope.name)
        return None
    try:
        event = decode_body(event_cls, envelope.payload)
    except MalformedEvent as e:
        log.warning("the stored state of task %s is unreadable: %s", task_id, e)
        return None
    return event if event.task_id == task_id else None


class TaskFollower:
    """Use as `async with follow_task(...) as follower:`; then iterate `follower.events()`."""

    def __init__(
        self,
        hub: BgtaskEventHub,
        reader: CachedEventReader,
        task_id: uuid.UUID,
        *,
        recheck_interval: float,
    ) -> None:
        self.task_id = task_id
        self._hub = hub
        self._reader = reader
        self._recheck_interval = recheck_interval
        self._subscription: BgtaskSubscription | None = None
        self.initial: BgtaskEvent | None = None

    async def __aenter__(self) -> TaskFollower:
        self._subscription = self._hub.subscribe(self.task_id)
        try:
            self.initial = await read_task_state(self._reader, self.task_id)
        except BaseException:
            self._subscription.close()
            raise
        if self.initial is None:
            self._subscription.close()
            raise BackgroundTaskNotFound(f"No background task {self.task_id}")
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._subscription is not None:
            self._subscription.close()

    async def _recheck(self) -> tuple[bool, BgtaskEvent | None]:
        """(whether the stored state could be read, the state)."""
        try:
            return True, await read_task_state(self._reader, self.task_id)
        except EventBusUnavailable as e:
            log.warning("cannot re-read the state of task %s: %s", self.task_id, e)
            return False, None

    async def events(self) -> AsyncIterator[BgtaskEvent | None]:
        """The stored state, then each event until the final one; None marks a quiet interval.

        Ends early (without a final event) if the process is stopping or the stored state
        expired while the task said nothing.
        """
        subscription = self._subscription
        assert subscription is not None and self.initial is not None, "use `async with` first"
        yield self.initial
        if is_final(self.initial):
            return
        while True:
            try:
                event = await asyncio.wait_for(subscription.get(), self._recheck_interval)
            except TimeoutError:
                readable, stored = await self._recheck()
                if readable and stored is None:
                    log.warning("the state of task %s expired before its end", self.task_id)
                    return
                if stored is not None and is_final(stored):
                    yield stored
                    return
                yield None
                continue
            if event is None:
                return
            yield event
            if is_final(event):
                return


def follow_task(
    hub: BgtaskEventHub,
    reader: CachedEventReader,
    task_id: uuid.UUID,
    *,
    recheck_interval: float = 5.0,
) -> TaskFollower:
    """Follow `task_id`; entering raises BackgroundTaskNotFound if nothing is known of it."""
    return TaskFollower(hub, reader, task_id, recheck_interval=recheck_interval)


class TaskEvents:
    """The hub and the stored states together: what a reader of task events needs."""

    def __init__(
        self, hub: BgtaskEventHub, reader: CachedEventReader, *, recheck_interval: float = 5.0
    ) -> None:
        self.hub = hub
        self._reader = reader
        self._recheck_interval = recheck_interval

    def follow(self, task_id: uuid.UUID, *, recheck_interval: float | None = None) -> TaskFollower:
        return follow_task(
            self.hub,
            self._reader,
            task_id,
            recheck_interval=recheck_interval or self._recheck_interval,
        )

    async def state(self, task_id: uuid.UUID) -> BgtaskEvent | None:
        return await read_task_state(self._reader, task_id)
