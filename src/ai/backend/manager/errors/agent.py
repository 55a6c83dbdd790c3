"""Errors of calls to agents (ZeroMQ RPC)."""

from __future__ import annotations

from ai.backend.manager.errors.base import BackendAIError


class AgentUnreachable(BackendAIError):
    """The call did not get an answer: no connection, no handshake, or no reply in time."""

    status_code = 503
    error_type = "agent-unreachable"
    error_title = "The agent is not reachable."
    error_domain = "agent"

    def __init__(self, agent_id: str, reason: str, *, method: str = "generic") -> None:
        super().__init__(
            f"agent {agent_id} is unreachable: {reason}",
            data={"agent_id": agent_id},
            operation=method,
        )
        self.agent_id = agent_id
        self.reason = reason
        self.method = method


class AgentRPCTimeout(AgentUnreachable):
    """The request went out but no reply came in time: the agent may still be working on it."""

    def __init__(
        self, agent_id: str, reason: str, *, method: str = "generic", timeout: float = 0.0
    ) -> None:
        super().__init__(agent_id, reason, method=method)
        self.timeout = timeout


class AgentRPCError(BackendAIError):
    """The agent answered with an error: `exc_name` is the agent-side exception class name
    (e.g. `InsufficientResource`, `ResourceError`, `AgentIdNotFoundError`, `KeyError`)."""

    # the agent, not this server, failed: a gateway error rather than an internal one
    status_code = 502
    error_type = "agent-error"
    error_title = "Agent error."
    error_domain = "agent"

    def __init__(
        self,
        agent_id: str,
        exc_name: str,
        exc_repr: str,
        *,
        method: str = "generic",
        traceback: str | None = None,
    ) -> None:
        super().__init__(
            f"agent {agent_id} failed {method}: {exc_repr}",
            data={"agent_id": agent_id, "exc_name": exc_name, "exc_repr": exc_repr},
            operation=method,
        )
        self.agent_id = agent_id
        self.exc_name = exc_name
        self.exc_repr = exc_repr
        self.method = method
        self.traceback = traceback
