"""Every event we know, by wire name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ai.backend.manager.events import (
    agent,
    bgtask,
    image,
    kernel,
    service_discovery,
    session,
    vfolder_clone,
    volume,
)
from ai.backend.manager.events.base import Event

_ALL: Final[tuple[type[Event], ...]] = (
    agent.AgentStartedEvent,
    agent.AgentTerminatedEvent,
    agent.AgentHeartbeatEvent,
    agent.AgentErrorEvent,
    agent.AgentImagesRemoveEvent,
    agent.AgentInstalledImagesRemoveEvent,
    agent.DoAgentResourceCheckEvent,
    image.ImagePullStartedEvent,
    image.ImagePullFinishedEvent,
    image.ImagePullFailedEvent,
    kernel.KernelPreparingEvent,
    kernel.KernelPullingEvent,
    kernel.KernelCreatingEvent,
    kernel.KernelStartedEvent,
    kernel.KernelCancelledEvent,
    kernel.KernelTerminatingEvent,
    kernel.KernelTerminatedEvent,
    kernel.DoSyncKernelLogsEvent,
    session.SessionEnqueuedEvent,
    session.SessionCheckingPreconditionEvent,
    session.SessionStartedEvent,
    session.SessionCancelledEvent,
    session.SessionTerminatingEvent,
    session.SessionTerminatedEvent,
    session.SessionSuccessEvent,
    session.SessionFailureEvent,
    session.SchedulingEvent,
    session.ExecutionStartedEvent,
    session.ExecutionFinishedEvent,
    session.ExecutionTimeoutEvent,
    session.ExecutionCancelledEvent,
    bgtask.BgtaskUpdatedEvent,
    bgtask.BgtaskDoneEvent,
    bgtask.BgtaskFailedEvent,
    bgtask.BgtaskCancelledEvent,
    bgtask.BgtaskPartialSuccessEvent,
    volume.DoVolumeMountEvent,
    volume.DoVolumeUnmountEvent,
    volume.VolumeMountedEvent,
    volume.VolumeUnmountedEvent,
    vfolder_clone.VFolderCloneSuccessEvent,
    vfolder_clone.VFolderCloneFailureEvent,
    service_discovery.ServiceRegisteredEvent,
    service_discovery.ServiceDeregisteredEvent,
)


def _build() -> Mapping[str, type[Event]]:
    table: dict[str, type[Event]] = {}
    for cls in _ALL:
        if cls.name in table:
            raise RuntimeError(f"two event classes share the wire name {cls.name!r}")
        table[cls.name] = cls
    return MappingProxyType(table)


EVENT_TYPES: Final[Mapping[str, type[Event]]] = _build()


def event_type(name: str) -> type[Event] | None:
    return EVENT_TYPES.get(name)
