"""Following a background task from its stored state and the in-process hub (no servers)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from ai.backend.manager.bgtask import BgtaskEventHub, follow_task
from ai.backend.manager.errors.bgtask import BackgroundTaskNotFound
from ai.backend.manager.events.bgtask import (
    BgtaskDoneEvent,
    BgtaskEvent,
    BgtaskFailedEvent,
    BgtaskUpdatedEvent,
)
from ai.backend.manager.events.envelope import BroadcastEnvelope


class FakeStore:
    """The `bgtask.<id>` keys of Redis, in memory."""

    def __init__(self) -> None:
        self.states: dict[str, BroadcastEnvelope] = {}

    def put(self, event: BgtaskEvent) -> None:
        self.states[event.cache_id] = BroadcastEnvelope.of(event, source="test")

    async def fetch_cached(self, cache_id: str) -> BroadcastEnvelope | None:
        return self.states.get(cache_id)


def _updated(task_id: uuid.UUID, n: float) -> BgtaskUpdatedEvent:
    return BgtaskUpdatedEvent(task_id=task_id, current_progress=n, total_progress=3, message="")


async def test_an_unknown_task_is_not_found() -> None:
    hub = BgtaskEventHub()
    with pytest.raises(BackgroundTaskNotFound):
        async with follow_task(hub, FakeStore(), uuid.uuid4()):
            pass
    assert hub.subscriber_count() == 0


async def test_a_finished_task_yields_its_outcome_only() -> None:
    hub, store, task_id = BgtaskEventHub(), FakeStore(), uuid.uuid4()
    store.put(BgtaskFailedEvent(task_id=task_id, message="no"))
    async with follow_task(hub, store, task_id) as follower:
        seen = [e async for e in follower.events()]
    assert seen == [BgtaskFailedEvent(task_id=task_id, message="no")]
    assert hub.subscriber_count() == 0


async def test_live_events_follow_the_stored_state_until_the_end() -> None:
    hub, store, task_id = BgtaskEventHub(), FakeStore(), uuid.uuid4()
    store.put(_updated(task_id, 0))
    async with follow_task(hub, store, task_id, recheck_interval=5) as follower:
        hub.publish(_updated(uuid.uuid4(), 9))  # another task's: not ours
        hub.publish(_updated(task_id, 1))
        hub.publish(BgtaskDoneEvent(task_id=task_id, message="ok"))
        hub.publish(_updated(task_id, 2))  # after the end: never read
        seen = [e async for e in follower.events()]
    assert seen == [
        _updated(task_id, 0),
        _updated(task_id, 1),
        BgtaskDoneEvent(task_id=task_id, message="ok"),
    ]


async def test_a_missed_final_broadcast_is_found_in_the_stored_state() -> None:
    hub, store, task_id = BgtaskEventHub(), FakeStore(), uuid.uuid4()
    store.put(_updated(task_id, 0))
    async with follow_task(hub, store, task_id, recheck_interval=0.05) as follower:
        seen: list[BgtaskEvent | None] = []
        async for event in follower.events():
            seen.append(event)
            if len(seen) == 2:
                # the end happened, but its broadcast never reached this process
                store.put(BgtaskDoneEvent(task_id=task_id, message="ok"))
    assert seen[0] == _updated(task_id, 0)
    assert seen[1] is None  # a quiet interval
    assert seen[-1] == BgtaskDoneEvent(task_id=task_id, message="ok")


async def test_the_stream_ends_when_the_stored_state_expires() -> None:
    hub, store, task_id = BgtaskEventHub(), FakeStore(), uuid.uuid4()
    store.put(_updated(task_id, 0))
    async with follow_task(hub, store, task_id, recheck_interval=0.05) as follower:
        store.states.clear()
        seen = await asyncio.wait_for(_collect(follower.events()), 5)
    assert seen == [_updated(task_id, 0)]


async def test_closing_the_hub_ends_followers() -> None:
    hub, store, task_id = BgtaskEventHub(), FakeStore(), uuid.uuid4()
    store.put(_updated(task_id, 0))
    async with follow_task(hub, store, task_id, recheck_interval=5) as follower:
        hub.close()
        seen = await asyncio.wait_for(_collect(follower.events()), 5)
    assert seen == [_updated(task_id, 0)]


async def _collect(events: AsyncIterator[BgtaskEvent | None]) -> list[BgtaskEvent | None]:
    return [e async for e in events]
