"""Session events: results and batch execution from agents; lifecycle from the manager."""

from __future__ import annotations

import uuid
from typing import ClassVar

from ai.backend.manager.events.base import Event
from ai.backend.manager.events.types import KernelLifecycleEventReason, LifecycleReason


class SessionEvent(Event):
    session_id: uuid.UUID


class SessionCreationEvent(SessionEvent):
    """Common shape of the events keyed by the client's creation id."""

    creation_id: str
    reason: LifecycleReason = KernelLifecycleEventReason.UNKNOWN


class SessionEnqueuedEvent(SessionCreationEvent):
    name: ClassVar[str] = "session_enqueued"


class SessionCheckingPreconditionEvent(SessionCreationEvent):
    name: ClassVar[str] = "session_checking_precondition"


class SessionStartedEvent(SessionCreationEvent):
    name: ClassVar[str] = "session_started"


class SessionCancelledEvent(SessionCreationEvent):
    name: ClassVar[str] = "session_cancelled"


class SessionTerminatingEvent(SessionEvent):
    name: ClassVar[str] = "session_terminating"

    reason: str = ""


class SessionTerminatedEvent(SessionEvent):
    name: ClassVar[str] = "session_terminated"

    reason: str = ""


class SessionResultEvent(SessionEvent):
    reason: LifecycleReason = KernelLifecycleEventReason.UNKNOWN
    exit_code: int = -1


class SessionSuccessEvent(SessionResultEvent):
    """A batch session's main kernel exited with 0 (from the agent, anycast and broadcast)."""

    name: ClassVar[str] = "session_success"


class SessionFailureEvent(SessionResultEvent):
    name: ClassVar[str] = "session_failure"


class SchedulingEvent(SessionEvent):
    """A session status transition; `status_transition` is the new SessionStatus name."""

    name: ClassVar[str] = "scheduling"

    creation_id: str
    status_transition: str
    reason: str


class ExecutionStartedEvent(SessionEvent):
    name: ClassVar[str] = "execution_started"


class ExecutionFinishedEvent(SessionEvent):
    name: ClassVar[str] = "execution_finished"


class ExecutionTimeoutEvent(SessionEvent):
    name: ClassVar[str] = "execution_timeout"


class ExecutionCancelledEvent(SessionEvent):
    name: ClassVar[str] = "execution_cancelled"
