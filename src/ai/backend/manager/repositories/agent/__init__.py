from ai.backend.manager.repositories.agent.last_seen import AgentLastSeen
from ai.backend.manager.repositories.agent.repository import AgentRepository
from ai.backend.manager.repositories.agent.types import (
    AgentHeartbeat,
    AgentRow,
    HeartbeatOutcome,
    HeartbeatResult,
    StatusChange,
)

__all__ = [
    "AgentHeartbeat",
    "AgentLastSeen",
    "AgentRepository",
    "AgentRow",
    "HeartbeatOutcome",
    "HeartbeatResult",
    "StatusChange",
]
