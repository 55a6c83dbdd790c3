"""The events exchanged over the Redis event bus, with their wire names and JSON bodies.

Agents and managers share these names and field layouts (spec/events.md); the transport
(stream entries and pub/sub messages) lives in `envelope.py` and `event_dispatcher/`.
"""

from ai.backend.manager.events.base import Event
from ai.backend.manager.events.registry import EVENT_TYPES, event_type

__all__ = ["EVENT_TYPES", "Event", "event_type"]
