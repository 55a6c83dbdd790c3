"""The event bus over Redis: produce (anycast, broadcast), consume and subscribe."""

from ai.backend.manager.event_dispatcher.delivery import Delivery, current_delivery
from ai.backend.manager.event_dispatcher.dispatcher import (
    DispatcherOptions,
    EventDispatcher,
    EventHandler,
)
from ai.backend.manager.event_dispatcher.producer import (
    BROADCAST_CHANNEL,
    EVENT_STREAM,
    EventProducer,
)

__all__ = [
    "BROADCAST_CHANNEL",
    "EVENT_STREAM",
    "Delivery",
    "DispatcherOptions",
    "EventDispatcher",
    "EventHandler",
    "EventProducer",
    "current_delivery",
]
