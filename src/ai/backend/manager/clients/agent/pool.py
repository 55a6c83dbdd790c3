"""The manager's connections to its agents: one persistent ZeroMQ peer per agent.

Built once in server.py and passed to whoever calls agents:

    pool = AgentClientPool(AgentRPCSettings(...))
    agent = pool.client(row.id, row.addr, row.public_key)
    await agent.create_kernels(...)
    ...
    await pool.close()

`client()` is cheap: call it per use with the address from the `agents` row (or the latest
heartbeat); a changed address or key replaces the connection. `invalidate()` drops an
agent's connection (e.g. when it exits); the next call opens a new one.
"""

from __future__ import annotations

import asyncio

from ai.backend.manager.clients.agent.client import AgentRPCClient, RPCMetadataProvider
from ai.backend.manager.clients.agent.connection import AgentConnection
from ai.backend.manager.clients.agent.settings import AgentRPCSettings
from ai.backend.manager.errors.agent import AgentUnreachable


class AgentClientPool:
    def __init__(
        self,
        settings: AgentRPCSettings | None = None,
        *,
        metadata: RPCMetadataProvider | None = None,
    ) -> None:
        """`metadata` returns the `metadata` map sent with each request (the agent reads
        only `traceparent` from it); by default it is empty."""
        self.settings = settings or AgentRPCSettings()
        self._metadata = metadata
        self._connections: dict[str, AgentConnection] = {}
        self._retired: set[AgentConnection] = set()
        self._closed = False

    def client(self, agent_id: str, addr: str, public_key: str | None = None) -> AgentRPCClient:
        return AgentRPCClient(
            self, agent_id, addr, public_key or None, self.settings, self._metadata
        )

    def connection(self, agent_id: str, addr: str, public_key: str | None) -> AgentConnection:
        """The live connection to `agent_id` at `addr` (opened by its first call)."""
        if self._closed:
            raise AgentUnreachable(agent_id, "the agent client pool is closed")
        conn = self._connections.get(agent_id)
        if conn is not None and conn.addr == addr and conn.public_key == public_key:
            return conn
        if conn is not None:
            self._retire(conn)
        conn = AgentConnection(agent_id, addr, public_key, self.settings)
        self._connections[agent_id] = conn
        return conn

    def invalidate(self, agent_id: str) -> None:
        """Forget the agent's connection; in-flight calls finish on the old peer."""
        conn = self._connections.pop(agent_id, None)
        if conn is not None:
            self._retire(conn)

    def known_agents(self) -> list[str]:
        return sorted(self._connections)

    async def close(self) -> None:
        """Close every connection; calls still waiting for replies fail with AgentUnreachable."""
        self._closed = True
        conns = [*self._connections.values(), *self._retired]
        self._connections.clear()
        self._retired.clear()
        if conns:
            await asyncio.gather(*(conn.close() for conn in conns), return_exceptions=True)

    def _retire(self, conn: AgentConnection) -> None:
        conn.retire()
        self._retired = {c for c in self._retired if not c.idle}
        self._retired.add(conn)
