"""The processors of agent operations (event handlers and lookups go through them)."""

from __future__ import annotations

from dataclasses import dataclass

from ai.backend.manager.actions.agent import (
    GetAgentAction,
    HandleAgentErrorAction,
    HandleAgentHeartbeatAction,
    HandleAgentStartedAction,
    HandleAgentTerminatedAction,
    ListAgentsAction,
)
from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.agent import AgentRow, HeartbeatResult, StatusChange
from ai.backend.manager.services.agent.service import AgentService


@dataclass(frozen=True)
class AgentProcessors:
    heartbeat: ActionProcessor[HandleAgentHeartbeatAction, HeartbeatResult]
    started: ActionProcessor[HandleAgentStartedAction, StatusChange]
    terminated: ActionProcessor[HandleAgentTerminatedAction, StatusChange]
    error: ActionProcessor[HandleAgentErrorAction, None]
    get: ActionProcessor[GetAgentAction, AgentRow]
    list: ActionProcessor[ListAgentsAction, list[AgentRow]]


def build_agent_processors(service: AgentService, metrics: ManagerMetrics) -> AgentProcessors:
    return AgentProcessors(
        heartbeat=ActionProcessor(service.handle_heartbeat, metrics=metrics),
        started=ActionProcessor(service.handle_started, metrics=metrics),
        terminated=ActionProcessor(service.handle_terminated, metrics=metrics),
        error=ActionProcessor(service.handle_error, metrics=metrics),
        get=ActionProcessor(service.get_agent, metrics=metrics),
        list=ActionProcessor(service.list_agents, metrics=metrics),
    )
