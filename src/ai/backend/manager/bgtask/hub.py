"""Background task events inside one manager process, keyed by task id.

Every manager subscribes to the broadcast channel, so each one sees the progress of every
background task, whichever manager (or storage proxy, or agent) runs it. The relays registered
here hand those events to this process's hub, which fans them out to its readers: the SSE
streams of `/events/background-task` and the tasks that wait for another component's task.

Publishing never blocks: each subscription holds a bounded queue, and a reader that falls
behind loses its oldest progress updates (the final event is what matters, and it is also kept
in Redis for whoever missed it).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Final, Protocol, Self

from ai.backend.manager.events.base import Event
from ai.backend.manager.events.bgtask import (
    BgtaskCancelledEvent,
    BgtaskDoneEvent,
    BgtaskEvent,
    BgtaskFailedEvent,
    BgtaskPartialSuccessEvent,
    BgtaskUpdatedEvent,
)

DEFAULT_QUEUE_SIZE: Final = 64

BGTASK_EVENT_TYPES: Final[dict[str, type[BgtaskEvent]]] = {
    cls.name: cls
    for cls in (
        BgtaskUpdatedEvent,
        BgtaskDoneEvent,
        BgtaskFailedEvent,
        BgtaskCancelledEvent,
        BgtaskPartialSuccessEvent,
    )
}


def is_final(event: BgtaskEvent) -> bool:
    """Whether `event` is the last one of its task (done, failed, cancelled, partial)."""
    return not isinstance(event, BgtaskUpdatedEvent)


class BgtaskSubscription:
    """The events of one task for one reader; `get()` returns None once it ended."""

    def __init__(self, hub: BgtaskEventHub, task_id: uuid.UUID, maxsize: int) -> None:
        self._hub = hub
        self.task_id = task_id
        self._queue: asyncio.Queue[BgtaskEvent | None] = asyncio.Queue(maxsize)
        self._ended = False

    def _put(self, item: BgtaskEvent | None) -> None:
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()

    def _offer(self, event: BgtaskEvent) -> None:
        if not self._ended:
            self._put(event)

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._put(None)

    async def get(self) -> BgtaskEvent | None:
        if self._ended and self._queue.empty():
            return None
        return await self._queue.get()

    def close(self) -> None:
        self._hub._remove(self)
        self._end()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class BgtaskEventHub:
    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be positive")
        self._queue_size = queue_size
        self._subscribers: dict[uuid.UUID, set[BgtaskSubscription]] = {}
        self._closed = False

    def subscribe(self, task_id: uuid.UUID) -> BgtaskSubscription:
        subscription = BgtaskSubscription(self, task_id, self._queue_size)
        if self._closed:
            subscription._end()
        else:
            self._subscribers.setdefault(task_id, set()).add(subscription)
        return subscription

    def publish(self, event: BgtaskEvent) -> int:
        """Hand `event` to the readers of its task; returns how many there were."""
        readers = self._subscribers.get(event.task_id, ())
        for subscription in readers:
            subscription._offer(event)
        return len(readers)

    def subscriber_count(self, task_id: uuid.UUID | None = None) -> int:
        if task_id is not None:
            return len(self._subscribers.get(task_id, ()))
        return sum(len(group) for group in self._subscribers.values())

    def close(self) -> None:
        """End every subscription and refuse new ones (the process is stopping)."""
        self._closed = True
        subscribers, self._subscribers = self._subscribers, {}
        for group in subscribers.values():
            for subscription in group:
                subscription._end()

    def _remove(self, subscription: BgtaskSubscription) -> None:
        group = self._subscribers.get(subscription.task_id)
        if group is None:
            return
        group.discard(subscription)
        if not group:
            del self._subscribers[subscription.task_id]


class BroadcastSubscriber(Protocol):
    def subscribe[E: Event](
        self, event_cls: type[E], handler: Callable[[str, E], Awaitable[None]]
    ) -> None: ...


def register_bgtask_relays(dispatcher: BroadcastSubscriber, hub: BgtaskEventHub) -> None:
    """Feed `hub` with every `bgtask_*` broadcast, from any producer."""

    async def relay(source: str, event: BgtaskEvent) -> None:
        hub.publish(event)

    for event_cls in BGTASK_EVENT_TYPES.values():
        dispatcher.subscribe(event_cls, relay)
