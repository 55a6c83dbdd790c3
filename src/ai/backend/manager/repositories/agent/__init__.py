from ai.backend.manager.data.agent import (
    AgentHeartbeat,
    AgentOrder,
    AgentOrderField,
    AgentPage,
    AgentRow,
    HeartbeatOutcome,
    HeartbeatResult,
    SlotTypeRecord,
    StatusChange,
)
from ai.backend.manager.repositories.agent.last_seen import AgentLastSeen
from ai.backend.manager.repositories.agent.repository import AgentRepository

__all__ = [
    "AgentHeartbeat",
    "AgentLastSeen",
    "AgentOrder",
    "AgentOrderField",
    "AgentPage",
    "AgentRepository",
    "AgentRow",
    "HeartbeatOutcome",
    "HeartbeatResult",
    "SlotTypeRecord",
    "StatusChange",
]
