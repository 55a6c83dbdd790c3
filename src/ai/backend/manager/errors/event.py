"""Errors of the event bus."""

from __future__ import annotations

from ai.backend.manager.errors.base import BackendAIError


class EventError(BackendAIError):
    error_type = "event-error"
    error_title = "Event processing failed."
    error_domain = "event"


class MalformedEvent(EventError):
    """A stream entry, broadcast message or event body that does not fit the wire format."""

    error_type = "malformed-event"
    error_title = "Malformed event."


class EventBusUnavailable(EventError):
    """Redis, which carries the events, did not answer in time or refused the command."""

    status_code = 503
    error_type = "event-bus-unavailable"
    error_title = "The event bus is unavailable."
