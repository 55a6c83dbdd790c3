"""The agent RPC client's connection handling, against an in-process callosum server.

A real ZeroMQ ROUTER peer on 127.0.0.1 stands in for an agent, so failures that a dummy
agent cannot produce on demand (slow replies, errors, garbage, CURVE) are quick to test.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import zmq
from callosum.auth import AbstractServerAuthenticator, AuthResult, Credential, Identity
from callosum.lower.zeromq import ZeroMQAddress, ZeroMQRPCTransport
from callosum.rpc import Peer, RPCMessage

from ai.backend.manager.clients.agent import (
    AgentClientPool,
    AgentRPCSettings,
    CurveKeypair,
    ImageRefSpec,
    codec,
)
from ai.backend.manager.errors.agent import AgentRPCError, AgentRPCTimeout, AgentUnreachable
from tests.conftest import free_port

pytestmark = pytest.mark.integration

AGENT_ID = "i-fake-agent"
GARBAGE = "send-garbage"

type Handler = Callable[[RPCMessage], Awaitable[Any]]


class FakeAgent:
    """Records every request: (method, body, ZeroMQ peer id of the caller)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any], Any]] = []
        self.received = asyncio.Event()
        self.delay = 0.0

    def handler(self, method: str, reply: Callable[[dict[str, Any]], Any]) -> Handler:
        async def handle(request: RPCMessage) -> Any:
            body = request.body
            assert isinstance(body, dict)
            self.requests.append((method, body, request.peer_id))
            self.received.set()
            if body["kwargs"].get("agent_id") not in (None, AGENT_ID):
                raise LookupError(f"no agent {body['kwargs']['agent_id']}")
            await asyncio.sleep(self.delay)
            return reply(body)

        return handle


def _serialize(obj: Any) -> bytes:
    return b"\xc1" if obj == GARBAGE else codec.pack(obj)


class _CurveServer(AbstractServerAuthenticator):
    def __init__(self, public: bytes, secret: bytes, allowed_client: bytes) -> None:
        self._public, self._secret, self._allowed = public, secret, allowed_client

    async def server_identity(self) -> Identity:
        return Identity("local", self._secret)

    async def check_client(self, creds: Credential) -> AuthResult:
        ok = creds.public_key == self._allowed
        return AuthResult(success=ok, user_id="manager" if ok else None)

    async def server_public_key(self) -> bytes:
        return self._public


@asynccontextmanager
async def fake_agent(
    port: int, authenticator: AbstractServerAuthenticator | None = None
) -> AsyncIterator[FakeAgent]:
    agent = FakeAgent()
    server = Peer(
        bind=ZeroMQAddress(f"tcp://127.0.0.1:{port}"),
        transport=ZeroMQRPCTransport,
        authenticator=authenticator,
        serializer=_serialize,
        deserializer=codec.unpack,
    )
    server.handle_function("ping", agent.handler("ping", lambda b: b["args"][0]))
    server.handle_function("check_running", agent.handler("check_running", lambda b: True))
    server.handle_function("get_logs", agent.handler("get_logs", lambda b: GARBAGE))
    server.handle_function(
        "create_local_network", agent.handler("create_local_network", lambda b: None)
    )
    server.handle_function(
        "create_kernels",
        agent.handler("create_kernels", lambda b: [{"id": b["args"][1][0], "keys": b["args"][4]}]),
    )
    async with server:
        yield agent


def settings(**overrides: Any) -> AgentRPCSettings:
    base: dict[str, Any] = {"handshake_timeout": 0.5, "retry_attempts": 1}
    return AgentRPCSettings(**(base | overrides))


async def test_requests_carry_positional_args_agent_id_and_metadata() -> None:
    port = free_port()
    pool = AgentClientPool(settings(), metadata=lambda: {"traceparent": "00-abc-def-01"})
    async with fake_agent(port) as agent:
        client = pool.client(AGENT_ID, f"tcp://127.0.0.1:{port}")
        assert await client.ping("hi") == "hi"
        kid = uuid.uuid4()
        [info] = await client.create_kernels(uuid.uuid4(), [kid], [{}], {}, {str(kid): _ref()})
        await pool.close()
    (m1, ping, _), (m2, create, _) = agent.requests
    assert (m1, ping["args"], ping["kwargs"]) == ("ping", ["hi"], {})  # ping takes no agent_id
    assert ping["metadata"] == {"traceparent": "00-abc-def-01"}
    assert m2 == "create_kernels"
    assert create["kwargs"] == {"agent_id": AGENT_ID}
    # kernel_image_refs keys travel as UUIDs, even when given as strings
    assert list(create["args"][4]) == [kid]
    assert info == {"id": str(kid), "keys": {kid: _ref()}}


def _ref() -> ImageRefSpec:
    return ImageRefSpec("python", "stable", "3.9", "cr.backend.ai", "x86_64")


async def test_concurrent_calls_share_one_connection() -> None:
    port = free_port()
    pool = AgentClientPool(settings())
    async with fake_agent(port) as agent:
        agent.delay = 0.2
        client = pool.client(AGENT_ID, f"tcp://127.0.0.1:{port}")
        started = time.monotonic()
        results = await asyncio.gather(*(client.check_running(uuid.uuid4()) for _ in range(10)))
        assert results == [True] * 10
        assert time.monotonic() - started < 1.5  # in parallel, not one after another
        await pool.close()
    assert len({peer_id for _, _, peer_id in agent.requests}) == 1


async def test_agent_errors_carry_the_exception_name() -> None:
    port = free_port()
    pool = AgentClientPool(settings())
    async with fake_agent(port):
        wrong = pool.client("i-other", f"tcp://127.0.0.1:{port}")
        with pytest.raises(AgentRPCError) as info:
            await wrong.check_running(uuid.uuid4())
        assert info.value.exc_name == "LookupError"
        assert info.value.method == "check_running"
        # the connection survives an agent-side error
        assert await pool.client(AGENT_ID, f"tcp://127.0.0.1:{port}").ping("ok") == "ok"
        await pool.close()


async def test_an_undecodable_reply_fails_that_call_only() -> None:
    port = free_port()
    pool = AgentClientPool(settings())
    async with fake_agent(port):
        client = pool.client(AGENT_ID, f"tcp://127.0.0.1:{port}")
        with pytest.raises(AgentRPCError) as info:
            await client.get_logs(uuid.uuid4())
        assert info.value.exc_name == "UndecodableReply"
        assert await client.ping("still") == "still"
        await pool.close()


async def test_a_timeout_replaces_the_connection() -> None:
    port = free_port()
    pool = AgentClientPool(settings())
    async with fake_agent(port) as agent:
        client = pool.client(AGENT_ID, f"tcp://127.0.0.1:{port}")
        agent.delay = 1.0
        with pytest.raises(AgentRPCTimeout) as info:
            await client.check_running(uuid.uuid4(), rpc_timeout=0.2)
        assert info.value.timeout == 0.2
        agent.delay = 0.0
        assert await client.check_running(uuid.uuid4()) is True
        await pool.close()
    first, second = agent.requests[0][2], agent.requests[-1][2]
    assert first != second


async def test_idempotent_calls_retry_until_the_agent_listens() -> None:
    """The startup race: an agent binds its RPC port last; queries retry, commands do not."""
    port = free_port()
    pool = AgentClientPool(settings(handshake_timeout=0.3, retry_attempts=6))
    client = pool.client(AGENT_ID, f"tcp://127.0.0.1:{port}")
    query = asyncio.create_task(client.check_running(uuid.uuid4()))
    with pytest.raises(AgentUnreachable):
        await client.create_local_network("bai-singlenode-x")
    await asyncio.sleep(0.1)
    async with fake_agent(port) as agent:
        assert await query is True
        await pool.close()
    assert [m for m, _, _ in agent.requests] == ["check_running"]


async def test_closing_the_pool_fails_waiting_calls_at_once() -> None:
    port = free_port()
    pool = AgentClientPool(settings())
    async with fake_agent(port) as agent:
        agent.delay = 10.0
        client = pool.client(AGENT_ID, f"tcp://127.0.0.1:{port}")
        call = asyncio.create_task(client.check_running(uuid.uuid4()))
        await asyncio.wait_for(agent.received.wait(), 5)
        # a timeout retires the peer while `call` still waits on it
        with pytest.raises(AgentRPCTimeout):
            await client.check_running(uuid.uuid4(), rpc_timeout=0.1)
        started = time.monotonic()
        await pool.close()
        with pytest.raises(AgentUnreachable):
            await call
        assert time.monotonic() - started < 1.0
        with pytest.raises(AgentUnreachable):
            await client.ping()


async def test_invalidate_and_a_new_address_open_new_connections() -> None:
    port1, port2 = free_port(), free_port()
    pool = AgentClientPool(settings())
    async with fake_agent(port1) as agent1, fake_agent(port2) as agent2:
        assert await pool.client(AGENT_ID, f"tcp://127.0.0.1:{port1}").ping("a") == "a"
        pool.invalidate(AGENT_ID)
        assert await pool.client(AGENT_ID, f"tcp://127.0.0.1:{port1}").ping("b") == "b"
        # the agent came back at another address (a heartbeat with a new addr)
        assert await pool.client(AGENT_ID, f"tcp://127.0.0.1:{port2}").ping("c") == "c"
        await pool.close()
    assert len({peer for _, _, peer in agent1.requests}) == 2
    assert [b["args"] for _, b, _ in agent2.requests] == [["c"]]


async def test_curve_authenticated_agents() -> None:
    agent_public, agent_secret = zmq.curve_keypair()
    manager_public, manager_secret = zmq.curve_keypair()
    port = free_port()
    addr = f"tcp://127.0.0.1:{port}"
    auth = _CurveServer(agent_public, agent_secret, allowed_client=manager_public)
    keypair = CurveKeypair(manager_public.decode(), manager_secret.decode())
    with_keys = AgentClientPool(settings(manager_keypair=keypair))
    without_keys = AgentClientPool(settings())
    async with fake_agent(port, auth):
        client = with_keys.client(AGENT_ID, addr, public_key=agent_public.decode())
        assert await client.ping("secret") == "secret"
        with pytest.raises(AgentUnreachable, match="CURVE"):
            await without_keys.client(AGENT_ID, addr, agent_public.decode()).ping()
        await with_keys.close()
        await without_keys.close()
