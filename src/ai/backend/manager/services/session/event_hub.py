"""Session lifecycle events for the clients watching them (SSE `GET /events/session`).

Every manager process subscribes to the broadcast channel, so each process sees every session's
events whichever manager or agent produced them. The relays below turn those broadcast events into
the events clients know (`session_started`, `kernel_pulling`, `session_success`, ...) and publish
them into this process's `SessionEventHub`, which fans them out to the streams it serves.

The hub never blocks a publisher: each subscription has a bounded queue and a slow client loses
its oldest events rather than holding up the others.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from ai.backend.manager.data.session import SessionRecord
from ai.backend.manager.event_dispatcher.fanout import KeyedFanout, Subscription
from ai.backend.manager.events.base import Event
from ai.backend.manager.events.kernel import (
    KernelCancelledEvent,
    KernelCreatingEvent,
    KernelEvent,
    KernelPreparingEvent,
    KernelPullingEvent,
    KernelStartedEvent,
    KernelTerminatedEvent,
    KernelTerminatingEvent,
)
from ai.backend.manager.events.session import (
    SchedulingEvent,
    SessionFailureEvent,
    SessionResultEvent,
    SessionSuccessEvent,
)
from ai.backend.manager.types import (
    SESSION_TERMINAL_STATUSES,
    KernelStatus,
    SessionResult,
    SessionStatus,
)

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE: Final = 256


class EventScope(enum.StrEnum):
    """The `scope` filter of the SSE endpoint."""

    SESSION = "session"
    KERNEL = "kernel"


SESSION_SUCCESS: Final = "session_success"
SESSION_FAILURE: Final = "session_failure"
RESULT_EVENT_NAMES: Final = frozenset({SESSION_SUCCESS, SESSION_FAILURE})


def session_event_name(status: SessionStatus | str) -> str:
    """The client event name of a session status transition.

    PENDING is reported as `session_enqueued` and RUNNING as `session_started` (the names the
    reference uses); every other status is `session_` + its lower-cased name.
    """
    name = status.name if isinstance(status, SessionStatus) else status.upper()
    if name == SessionStatus.RUNNING.name:
        return "session_started"
    if name == SessionStatus.PENDING.name:
        return "session_enqueued"
    return f"session_{name.lower()}"


# `session_terminated`, `session_cancelled`, `session_error`.
TERMINAL_EVENT_NAMES: Final = frozenset(session_event_name(s) for s in SESSION_TERMINAL_STATUSES)


@dataclass(frozen=True, slots=True)
class SessionStreamEvent:
    """One event as a client sees it, before the stream adds the session's identity."""

    name: str
    session_id: uuid.UUID
    scope: EventScope
    # A SessionStatus name for session events, a KernelStatus name for kernel events.
    status: str | None = None
    reason: str = ""
    exit_code: int | None = None
    kernel_id: uuid.UUID | None = None

    @property
    def is_result(self) -> bool:
        """A batch session's outcome (`session_success` / `session_failure`)."""
        return self.name in RESULT_EVENT_NAMES

    @property
    def is_terminal(self) -> bool:
        """The session reached a status it never leaves."""
        return self.name in TERMINAL_EVENT_NAMES


type SessionEventSubscription = Subscription[SessionStreamEvent]


class SessionEventHub(KeyedFanout[SessionStreamEvent]):
    """In-process publish/subscribe of session events, keyed by session id."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        super().__init__(lambda event: event.session_id, queue_size=queue_size)


# --- relays from the broadcast channel ---------------------------------------------------------


class BroadcastSubscriber(Protocol):
    """What the relays need of the event dispatcher: its broadcast subscription."""

    def subscribe[E: Event](
        self, event_cls: type[E], handler: Callable[[str, E], Awaitable[None]]
    ) -> None: ...


_KERNEL_STATUS_OF: Final[dict[type[KernelEvent], KernelStatus]] = {
    KernelPreparingEvent: KernelStatus.PREPARING,
    KernelPullingEvent: KernelStatus.PULLING,
    KernelCreatingEvent: KernelStatus.CREATING,
    KernelStartedEvent: KernelStatus.RUNNING,
    KernelTerminatingEvent: KernelStatus.TERMINATING,
    KernelTerminatedEvent: KernelStatus.TERMINATED,
    KernelCancelledEvent: KernelStatus.CANCELLED,
}


def event_from_scheduling(event: SchedulingEvent) -> SessionStreamEvent:
    return SessionStreamEvent(
        name=session_event_name(event.status_transition),
        session_id=event.session_id,
        scope=EventScope.SESSION,
        status=event.status_transition.upper(),
        reason=event.reason,
    )


def event_from_result(event: SessionResultEvent) -> SessionStreamEvent:
    exit_code = event.exit_code
    if isinstance(event, SessionSuccessEvent) and exit_code < 0:
        exit_code = 0  # the CLI exits with `exitCode`: a success must not look like a failure
    return SessionStreamEvent(
        name=event.name,
        session_id=event.session_id,
        scope=EventScope.SESSION,
        reason=str(event.reason),
        exit_code=exit_code,
    )


def event_from_kernel(event: KernelEvent) -> SessionStreamEvent:
    exit_code = getattr(event, "exit_code", None)
    return SessionStreamEvent(
        name=event.name,
        session_id=event.session_id,
        scope=EventScope.KERNEL,
        status=_KERNEL_STATUS_OF[type(event)].name,
        reason=str(getattr(event, "reason", "")),
        exit_code=exit_code if isinstance(exit_code, int) else None,
        kernel_id=event.kernel_id,
    )


class SessionEventRelays:
    """Broadcast handlers that publish the client view of each event into the hub."""

    def __init__(self, hub: SessionEventHub) -> None:
        self._hub = hub

    async def on_scheduling(self, source: str, event: SchedulingEvent) -> None:
        self._hub.publish(event_from_scheduling(event))

    async def on_result(self, source: str, event: SessionResultEvent) -> None:
        self._hub.publish(event_from_result(event))

    async def on_kernel(self, source: str, event: KernelEvent) -> None:
        self._hub.publish(event_from_kernel(event))


def register_session_event_relays(
    dispatcher: BroadcastSubscriber, hub: SessionEventHub
) -> SessionEventRelays:
    """Feed `hub` from the broadcast events: status transitions, batch results, kernel events."""
    relays = SessionEventRelays(hub)
    dispatcher.subscribe(SchedulingEvent, relays.on_scheduling)
    dispatcher.subscribe(SessionSuccessEvent, relays.on_result)
    dispatcher.subscribe(SessionFailureEvent, relays.on_result)
    for kernel_event_cls in _KERNEL_STATUS_OF:
        dispatcher.subscribe(kernel_event_cls, relays.on_kernel)
    return relays


# --- when a watcher has seen the end ------------------------------------------------------------


def _exit_code_in(status_data: Mapping[str, Any] | None) -> int | None:
    if not status_data:
        return None
    for holder in (status_data.get("kernel"), status_data):
        if isinstance(holder, Mapping):
            code = holder.get("exit_code")
            if isinstance(code, int) and not isinstance(code, bool):
                return code
    return None


def final_events(session: SessionRecord) -> list[SessionStreamEvent]:
    """What a watcher of a session that has already ended is told: its outcome, then its end."""
    if session.status not in SESSION_TERMINAL_STATUSES:
        return []
    events: list[SessionStreamEvent] = []
    exit_code = _exit_code_in(session.status_data)
    if session.result == SessionResult.SUCCESS:
        events.append(
            SessionStreamEvent(
                name=SESSION_SUCCESS,
                session_id=session.id,
                scope=EventScope.SESSION,
                exit_code=exit_code if exit_code is not None else 0,
            )
        )
    elif session.result == SessionResult.FAILURE:
        events.append(
            SessionStreamEvent(
                name=SESSION_FAILURE,
                session_id=session.id,
                scope=EventScope.SESSION,
                exit_code=exit_code if exit_code is not None else 1,
            )
        )
    events.append(
        SessionStreamEvent(
            name=session_event_name(session.status),
            session_id=session.id,
            scope=EventScope.SESSION,
            status=session.status.name,
            reason=session.status_info or "",
            exit_code=exit_code,
        )
    )
    return events


class StreamCompletion:
    """Decides when a watcher has seen the end of a session.

    The end is a terminal status (TERMINATED, CANCELLED, ERROR). A batch session also reports
    its outcome (`session_success` / `session_failure`), which may come just before or just
    after its TERMINATED transition; so once one of the two arrived the stream waits up to
    `settle` seconds for the other before it gives up and ends anyway.
    """

    def __init__(self, *, expect_result: bool, settle: float) -> None:
        self._expect_result = expect_result
        self._settle = settle
        self._terminal: str | None = None
        self._result_seen = False
        self.deadline: float | None = None

    def observe(self, event: SessionStreamEvent, now: float) -> None:
        if event.is_result:
            self._result_seen = True
        elif event.is_terminal:
            self._terminal = event.name
        else:
            return
        if self.deadline is None:
            self.deadline = now + self._settle

    def done(self, now: float) -> bool:
        if self._terminal is not None and (
            self._result_seen
            or not self._expect_result
            or self._terminal != session_event_name(SessionStatus.TERMINATED)
        ):
            return True
        return self.deadline is not None and now >= self.deadline
