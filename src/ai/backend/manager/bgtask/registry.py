"""Long-running work with an id that clients follow: start it, report progress, end it.

`BackgroundTaskRegistry.start(fn)` gives the task an id, publishes its first state before
returning (so a client told the id can always find it), and runs `fn` in the background.
Every state change is a `bgtask_*` broadcast whose last value stays in Redis under
`bgtask.<task_id>`: `bgtask_updated` for progress, then exactly one of `bgtask_done` (or
`bgtask_partial_success` when the task reports errors), `bgtask_failed` or `bgtask_cancelled`
(the manager stopped while the task ran). While a task runs its stored state is kept alive;
after its end the state is kept for `cache_ttl` seconds.

Nothing here knows what a task does: folder clones, image rescans and the like bring their own
function.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from ai.backend.manager.errors.base import BackendAIError
from ai.backend.manager.errors.event import EventBusUnavailable
from ai.backend.manager.events.base import Event
from ai.backend.manager.events.bgtask import (
    BgtaskCancelledEvent,
    BgtaskDoneEvent,
    BgtaskEvent,
    BgtaskFailedEvent,
    BgtaskPartialSuccessEvent,
    BgtaskUpdatedEvent,
    bgtask_cache_id,
)

log = logging.getLogger(__name__)

DEFAULT_CACHE_TTL: Final = 300
STARTED_MESSAGE: Final = "Task started"


class TaskEventPublisher(Protocol):
    """What the registry needs of the event producer."""

    async def broadcast_with_cache(
        self, event: Event, *, source: str, cache_id: str, ttl: int = ...
    ) -> None: ...

    async def refresh_cached(self, cache_ids: Sequence[str], ttl: int) -> None: ...


@dataclass(frozen=True, slots=True)
class TaskResult:
    """How a task ended well: a message, and the errors of the parts that failed, if any."""

    message: str = ""
    errors: tuple[str, ...] = ()


class TaskReporter:
    """Handed to a task function to report its progress."""

    def __init__(self, registry: BackgroundTaskRegistry, task_id: uuid.UUID) -> None:
        self._registry = registry
        self.task_id = task_id

    async def update(self, current: float, total: float, message: str = "") -> None:
        """Publish progress; a bus that is down loses the update, not the task."""
        event = BgtaskUpdatedEvent(
            task_id=self.task_id, current_progress=current, total_progress=total, message=message
        )
        try:
            await self._registry._publish(event)
        except EventBusUnavailable as e:
            log.warning("progress of task %s not published: %s", self.task_id, e)


type TaskFunction = Callable[[TaskReporter], Awaitable[TaskResult | str | None]]


def _failure_message(error: BaseException) -> str:
    if isinstance(error, BackendAIError):
        return error.msg or error.error_title
    return str(error) or type(error).__name__


def _cancelled(task_id: uuid.UUID) -> BgtaskCancelledEvent:
    return BgtaskCancelledEvent(
        task_id=task_id, message="The task was cancelled (the manager is stopping)"
    )


class BackgroundTaskRegistry:
    def __init__(
        self,
        events: TaskEventPublisher,
        *,
        source: str,
        cache_ttl: int = DEFAULT_CACHE_TTL,
        refresh_interval: float | None = None,
    ) -> None:
        if cache_ttl < 2:
            raise ValueError("cache_ttl must be at least 2 seconds")
        self._events = events
        self._source = source
        self._cache_ttl = cache_ttl
        self._refresh_interval = refresh_interval or cache_ttl / 3
        self._tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
        # tasks whose final event went out (or was attempted)
        self._ended: set[uuid.UUID] = set()
        self._refresher: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def running(self) -> frozenset[uuid.UUID]:
        return frozenset(self._tasks)

    async def _publish(self, event: BgtaskEvent) -> None:
        await self._events.broadcast_with_cache(
            event, source=self._source, cache_id=event.cache_id, ttl=self._cache_ttl
        )

    async def start(self, fn: TaskFunction, *, name: str) -> uuid.UUID:
        """Run `fn` as a new task and return its id once its first state is published.

        Raises EventBusUnavailable (503) without running anything if that state cannot be
        published: a client could never follow the task.
        """
        if self._closed:
            raise EventBusUnavailable("The manager is shutting down; no new tasks are started")
        task_id = uuid.uuid4()
        await self._publish(
            BgtaskUpdatedEvent(
                task_id=task_id, current_progress=0, total_progress=0, message=STARTED_MESSAGE
            )
        )
        task = asyncio.create_task(self._run(task_id, fn), name=f"bgtask:{name}:{task_id}")
        self._tasks[task_id] = task
        task.add_done_callback(lambda _: self._forget(task_id))
        if self._refresher is None:
            self._refresher = asyncio.create_task(self._refresh_loop(), name="bgtask-refresh")
        log.info("background task %s (%s) started", task_id, name)
        return task_id

    def _forget(self, task_id: uuid.UUID) -> None:
        self._tasks.pop(task_id, None)
        if not self._closed:  # shutdown() still needs to know which ones ended
            self._ended.discard(task_id)

    async def _run(self, task_id: uuid.UUID, fn: TaskFunction) -> None:
        final: BgtaskEvent
        try:
            outcome = await fn(TaskReporter(self, task_id))
        except asyncio.CancelledError:
            self._ended.add(task_id)
            with contextlib.suppress(Exception):
                await asyncio.shield(self._publish(_cancelled(task_id)))
            raise
        except Exception as e:
            log.warning("background task %s failed: %r", task_id, e)
            final = BgtaskFailedEvent(task_id=task_id, message=_failure_message(e))
        else:
            result = outcome if isinstance(outcome, TaskResult) else TaskResult(outcome or "")
            if result.errors:
                final = BgtaskPartialSuccessEvent(
                    task_id=task_id, message=result.message, errors=list(result.errors)
                )
            else:
                final = BgtaskDoneEvent(task_id=task_id, message=result.message)
        self._ended.add(task_id)
        try:
            await self._publish(final)
        except EventBusUnavailable as e:
            # Its stored state expires in time and followers give up: nothing better to do.
            log.error("the end of task %s (%s) was not published: %s", task_id, final.name, e)

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_interval)
            cache_ids = [bgtask_cache_id(task_id) for task_id in self._tasks]
            if not cache_ids:
                continue
            try:
                await self._events.refresh_cached(cache_ids, self._cache_ttl)
            except EventBusUnavailable as e:
                log.warning("cannot keep the state of running tasks: %s", e)

    async def wait(self, task_id: uuid.UUID) -> None:
        """Until the task `task_id` has ended (returns at once if it is not running here)."""
        task = self._tasks.get(task_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    async def shutdown(self, grace: float = 5.0) -> None:
        """Cancel the running tasks (each publishes `bgtask_cancelled`) and stop."""
        self._closed = True
        running = dict(self._tasks)
        tasks = list(running.values())
        if self._refresher is not None:
            tasks.append(self._refresher)
            self._refresher = None
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        # A task cancelled before it ever ran never got to say so.
        for task_id in running.keys() - self._ended:
            try:
                await self._publish(_cancelled(task_id))
            except EventBusUnavailable as e:
                log.warning("the cancellation of task %s was not published: %s", task_id, e)
