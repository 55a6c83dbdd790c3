"""Kernel lifecycle events, sent by agents both as anycast and as broadcast under one name."""

from __future__ import annotations

import uuid
from typing import ClassVar

from ai.backend.manager.events.base import Event
from ai.backend.manager.events.types import (
    KernelCreationInfo,
    KernelLifecycleEventReason,
    LifecycleReason,
)


class KernelEvent(Event):
    """Common shape of the kernel_* lifecycle events."""

    kernel_id: uuid.UUID
    session_id: uuid.UUID


class KernelPreparingEvent(KernelEvent):
    name: ClassVar[str] = "kernel_preparing"

    reason: str = ""


class KernelPullingEvent(KernelEvent):
    """`reason` carries the canonical name of the image being pulled."""

    name: ClassVar[str] = "kernel_pulling"

    reason: str = ""


class KernelCreatingEvent(KernelEvent):
    name: ClassVar[str] = "kernel_creating"

    reason: str = ""


class KernelStartedEvent(KernelEvent):
    name: ClassVar[str] = "kernel_started"

    reason: str = ""
    creation_info: KernelCreationInfo


class KernelCancelledEvent(KernelEvent):
    name: ClassVar[str] = "kernel_cancelled"

    reason: str = ""


class KernelTerminatingEvent(KernelEvent):
    name: ClassVar[str] = "kernel_terminating"

    reason: LifecycleReason = KernelLifecycleEventReason.UNKNOWN
    exit_code: int = -1


class KernelTerminatedEvent(KernelEvent):
    name: ClassVar[str] = "kernel_terminated"

    reason: LifecycleReason = KernelLifecycleEventReason.UNKNOWN
    exit_code: int = -1


class DoSyncKernelLogsEvent(Event):
    """The agent pushed the container's log to Redis `containerlog.<container_id>`."""

    name: ClassVar[str] = "do_sync_kernel_logs"

    kernel_id: uuid.UUID
    container_id: str
