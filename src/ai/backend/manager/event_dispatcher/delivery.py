"""What a handler may want to know about the delivery it is running for.

Handlers are called as `handler(source, event)`; the dispatcher also sets `current_delivery()`
for the duration of the call, so handlers that order events by production time can read it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from ai.backend.manager.events.envelope import EventMetadata

type DeliveryKind = Literal["anycast", "broadcast"]


@dataclass(frozen=True, slots=True)
class Delivery:
    name: str
    source: str
    kind: DeliveryKind
    # When the event entered the bus (epoch seconds): the stream entry's id for anycast (the
    # first entry's id for a retried event), the receipt time for broadcast.
    produced_at: float
    entry_id: str | None = None
    retry_count: int = 0
    metadata: EventMetadata | None = None


_current: ContextVar[Delivery | None] = ContextVar("event_delivery", default=None)


def current_delivery() -> Delivery | None:
    return _current.get()


def produced_at_or_now() -> float:
    """The current event's production time, or now outside of an event handler."""
    delivery = _current.get()
    return delivery.produced_at if delivery is not None else time.time()


def stream_id_time(entry_id: str) -> float:
    """The epoch time (s) encoded in a stream entry id `<ms>-<seq>`."""
    return int(entry_id.partition("-")[0]) / 1000.0


@contextmanager
def delivery_scope(delivery: Delivery) -> Iterator[Delivery]:
    """Make `delivery` the current one while a handler runs."""
    token = _current.set(delivery)
    try:
        yield delivery
    finally:
        _current.reset(token)
