from ai.backend.manager.data.agent import (
    AgentHeartbeat,
    AgentLiveStat,
    AgentPage,
    AgentRow,
    HeartbeatOutcome,
    HeartbeatResult,
    SlotTypeRecord,
    StatusChange,
)
from ai.backend.manager.repositories.agent.last_seen import AgentLastSeen
from ai.backend.manager.repositories.agent.live_stat import AgentLiveStats
from ai.backend.manager.repositories.agent.repository import AgentRepository

__all__ = [
    "AgentHeartbeat",
    "AgentLastSeen",
    "AgentLiveStat",
    "AgentLiveStats",
    "AgentPage",
    "AgentRepository",
    "AgentRow",
    "HeartbeatOutcome",
    "HeartbeatResult",
    "SlotTypeRecord",
    "StatusChange",
]
