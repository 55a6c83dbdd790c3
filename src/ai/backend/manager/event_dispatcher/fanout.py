"""In-process fan-out of events to the readers of one key (a session, a background task).

Publishing never blocks: each subscription holds a bounded queue, and a reader that falls behind
loses its oldest events (counted in `dropped`) rather than holding up the publisher or the
other readers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Self


class Subscription[E]:
    """The events of one key for one reader; use as a context manager to unsubscribe.
    `get()` returns None once the subscription ended (closed, or the hub shut down)."""

    def __init__(self, hub: KeyedFanout[E], key: uuid.UUID, maxsize: int) -> None:
        self._hub = hub
        self.key = key
        self._queue: asyncio.Queue[E | None] = asyncio.Queue(maxsize)
        self._ended = False
        self.dropped = 0

    @property
    def ended(self) -> bool:
        return self._ended

    def _put_dropping_oldest(self, item: E | None) -> None:
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()
                self.dropped += 1

    def _offer(self, event: E) -> None:
        if not self._ended:
            self._put_dropping_oldest(event)

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._put_dropping_oldest(None)

    async def get(self) -> E | None:
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

    async def __aiter__(self) -> AsyncIterator[E]:
        while (event := await self.get()) is not None:
            yield event


class KeyedFanout[E]:
    """Publish/subscribe inside one process, keyed by the id `key_of` reads off an event."""

    def __init__(self, key_of: Callable[[E], uuid.UUID], *, queue_size: int) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be positive")
        self._key_of = key_of
        self._queue_size = queue_size
        self._subscribers: dict[uuid.UUID, set[Subscription[E]]] = {}
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def subscribe(self, key: uuid.UUID) -> Subscription[E]:
        subscription = Subscription(self, key, self._queue_size)
        if self._closed:
            subscription._end()
        else:
            self._subscribers.setdefault(key, set()).add(subscription)
        return subscription

    def publish(self, event: E) -> int:
        """Hand `event` to every reader of its key without waiting; returns how many."""
        readers = self._subscribers.get(self._key_of(event), ())
        for subscription in readers:
            subscription._offer(event)
        return len(readers)

    def subscriber_count(self, key: uuid.UUID | None = None) -> int:
        if key is not None:
            return len(self._subscribers.get(key, ()))
        return sum(len(group) for group in self._subscribers.values())

    def close(self) -> None:
        """End every subscription (their readers get None) and refuse new ones."""
        self._closed = True
        subscribers, self._subscribers = self._subscribers, {}
        for group in subscribers.values():
            for subscription in group:
                subscription._end()

    def _remove(self, subscription: Subscription[E]) -> None:
        group = self._subscribers.get(subscription.key)
        if group is None:
            return
        group.discard(subscription)
        if not group:
            del self._subscribers[subscription.key]
