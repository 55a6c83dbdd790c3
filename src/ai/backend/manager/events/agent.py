"""Events about agents: lifecycle, heartbeats, errors and image bookkeeping (anycast)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from ai.backend.manager.events.base import Event
from ai.backend.manager.events.types import AgentInfo, LogLevel, ScannedImage


class AgentStartedEvent(Event):
    """`reason` is "self-started" from the agent, "revived" when the manager re-emits it."""

    name: ClassVar[str] = "agent_started"

    reason: str


class AgentTerminatedEvent(Event):
    """`reason` is "shutdown" from the agent; the manager uses "agent-lost"/"agent-restart"."""

    name: ClassVar[str] = "agent_terminated"

    reason: str


class AgentHeartbeatEvent(Event):
    name: ClassVar[str] = "agent_heartbeat"

    agent_info: AgentInfo


class AgentErrorEvent(Event):
    name: ClassVar[str] = "agent_error"

    message: str
    traceback: str | None = None
    user: uuid.UUID | None = None
    context_env: dict[str, str] = Field(default_factory=dict)
    severity: LogLevel = LogLevel.ERROR


class AgentImagesRemoveEvent(Event):
    name: ClassVar[str] = "agent_images_remove"

    image_canonicals: list[str]


class AgentInstalledImagesRemoveEvent(Event):
    name: ClassVar[str] = "agent_installed_images_remove"

    scanned_images: dict[str, ScannedImage]


class DoAgentResourceCheckEvent(Event):
    name: ClassVar[str] = "do_agent_resource_check"

    agent_id: str
