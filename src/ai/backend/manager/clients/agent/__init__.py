"""ZeroMQ RPC (callosum) client to agents: a connection pool and typed calls."""

from ai.backend.manager.clients.agent.client import AgentRPCClient
from ai.backend.manager.clients.agent.pool import AgentClientPool
from ai.backend.manager.clients.agent.settings import (
    AgentRPCSettings,
    AgentRPCTimeouts,
    CurveKeypair,
)
from ai.backend.manager.clients.agent.types import ImageRefSpec

__all__ = (
    "AgentClientPool",
    "AgentRPCClient",
    "AgentRPCSettings",
    "AgentRPCTimeouts",
    "CurveKeypair",
    "ImageRefSpec",
)
