"""Operations on agents: what their events mean for the registry, and lookups."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.events.agent import AgentErrorEvent
from ai.backend.manager.events.types import AgentInfo
from ai.backend.manager.types import AgentStatus


@dataclass(frozen=True, kw_only=True)
class AgentEventAction(Action):
    """Something an agent (or the lost-checker, on its behalf) reported at `produced_at`."""

    entity_type: ClassVar[str] = "agent"

    agent_id: str
    produced_at: float  # epoch seconds


@dataclass(frozen=True, kw_only=True)
class HandleAgentHeartbeatAction(AgentEventAction):
    operation_type: ClassVar[str] = "heartbeat"

    info: AgentInfo


@dataclass(frozen=True, kw_only=True)
class HandleAgentStartedAction(AgentEventAction):
    operation_type: ClassVar[str] = "started"

    reason: str


@dataclass(frozen=True, kw_only=True)
class HandleAgentTerminatedAction(AgentEventAction):
    operation_type: ClassVar[str] = "terminated"

    reason: str


@dataclass(frozen=True, kw_only=True)
class HandleAgentErrorAction(AgentEventAction):
    operation_type: ClassVar[str] = "error"

    error: AgentErrorEvent


@dataclass(frozen=True, kw_only=True)
class GetAgentAction(Action):
    entity_type: ClassVar[str] = "agent"
    operation_type: ClassVar[str] = "get"

    agent_id: str


@dataclass(frozen=True, kw_only=True)
class ListAgentsAction(Action):
    entity_type: ClassVar[str] = "agent"
    operation_type: ClassVar[str] = "list"

    statuses: Collection[AgentStatus] | None = None
    scaling_group: str | None = None
    limit: int | None = None
    offset: int = 0
