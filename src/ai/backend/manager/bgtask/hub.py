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

from collections.abc import Awaitable, Callable
from typing import Final, Protocol

from ai.backend.manager.event_dispatcher.fanout import KeyedFanout, Subscription
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


type BgtaskSubscription = Subscription[BgtaskEvent]


class BgtaskEventHub(KeyedFanout[BgtaskEvent]):
    """The events of background tasks, keyed by task id."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        super().__init__(lambda event: event.task_id, queue_size=queue_size)


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
