"""Operations on agents: what their events mean for the registry, and lookups."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import ClassVar

from ai.backend.manager.actions.base import Action
from ai.backend.manager.events.agent import AgentErrorEvent
from ai.backend.manager.events.types import AgentInfo
from ai.backend.manager.services.auth.types import AuthenticatedUser
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


@dataclass(frozen=True, kw_only=True)
class AdminGetAgentAction(Action):
    """Read one agent over the admin API; None when there is no such agent."""

    entity_type: ClassVar[str] = "agent"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    agent_id: str


@dataclass(frozen=True, kw_only=True)
class AdminListAgentsAction(Action):
    """A page of agents over the admin API, filtered by `filter` and ordered by `order`
    (default: id)."""

    entity_type: ClassVar[str] = "agent"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser
    statuses: Collection[AgentStatus] | None = None
    scaling_group: str | None = None
    filter: str | None = None  # the `filter` mini-language
    order: str | None = None  # the `order` mini-language
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True, kw_only=True)
class GetResourceSlotsAction(Action):
    """The resource slot types the cluster knows, with their units (any user may ask)."""

    entity_type: ClassVar[str] = "resource_slot"
    operation_type: ClassVar[str] = "search"

    requester: AuthenticatedUser


@dataclass(frozen=True, kw_only=True)
class GetResourceSlotDetailsAction(Action):
    """How clients should show each known slot; `scaling_group` narrows the slots to those
    its agents report (plus the intrinsic cpu and mem)."""

    entity_type: ClassVar[str] = "resource_slot"
    operation_type: ClassVar[str] = "get"

    requester: AuthenticatedUser
    scaling_group: str | None = None
