"""The processors of agent operations (event handlers and lookups go through them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.agent import (
    AdminGetAgentAction,
    AdminListAgentsAction,
    GetAgentAction,
    GetResourceSlotDetailsAction,
    GetResourceSlotsAction,
    HandleAgentErrorAction,
    HandleAgentHeartbeatAction,
    HandleAgentStartedAction,
    HandleAgentTerminatedAction,
    ListAgentsAction,
)
from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.agent import (
    AgentPage,
    AgentRow,
    HeartbeatResult,
    StatusChange,
)
from ai.backend.manager.services.agent.service import AgentDetail, AgentService


@dataclass(frozen=True)
class AgentProcessors:
    heartbeat: ActionProcessor[HandleAgentHeartbeatAction, HeartbeatResult]
    started: ActionProcessor[HandleAgentStartedAction, StatusChange]
    terminated: ActionProcessor[HandleAgentTerminatedAction, StatusChange]
    error: ActionProcessor[HandleAgentErrorAction, None]
    get: ActionProcessor[GetAgentAction, AgentRow]
    list: ActionProcessor[ListAgentsAction, list[AgentRow]]
    # the admin API (GraphQL `agent`, `agent_list`, `agents`)
    admin_get: ActionProcessor[AdminGetAgentAction, AgentDetail | None]
    admin_list: ActionProcessor[AdminListAgentsAction, AgentPage]
    # the resource slot types agents report (`GET /config/resource-slots[/details]`)
    resource_slots: ActionProcessor[GetResourceSlotsAction, dict[str, str]]
    resource_slot_details: ActionProcessor[
        GetResourceSlotDetailsAction, dict[str, dict[str, object]]
    ]


def build_agent_processors(service: AgentService, metrics: ManagerMetrics) -> AgentProcessors:
    return AgentProcessors(
        heartbeat=ActionProcessor(service.handle_heartbeat, metrics=metrics),
        started=ActionProcessor(service.handle_started, metrics=metrics),
        terminated=ActionProcessor(service.handle_terminated, metrics=metrics),
        error=ActionProcessor(service.handle_error, metrics=metrics),
        get=ActionProcessor(service.get_agent, metrics=metrics),
        list=ActionProcessor(service.list_agents, metrics=metrics),
        admin_get=ActionProcessor(service.admin_get_agent, metrics=metrics),
        admin_list=ActionProcessor(service.admin_list_agents, metrics=metrics),
        resource_slots=ActionProcessor(service.resource_slots, metrics=metrics),
        resource_slot_details=ActionProcessor(service.resource_slot_details, metrics=metrics),
    )
