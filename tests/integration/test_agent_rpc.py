"""The agent RPC client against one real dummy agent (backend.ai-agent 26.9.6).

The agent runs on a private Redis and its own etcd namespace, registered by a fake manager
key, so it never meets a developer's manager. Select with `pytest -m agents`.
"""

from __future__ import annotations

import asyncio
import platform
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from ai.backend.manager.clients.agent import (
    AgentClientPool,
    AgentRPCClient,
    AgentRPCSettings,
    ImageRefSpec,
)
from ai.backend.manager.clients.agent.codec import image_ref_pickle
from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.errors.agent import AgentRPCError, AgentUnreachable
from tests.agent_harness import (
    AGENT_PYTHON,
    DummyAgent,
    agent_venv_available,
    start_dummy_agents,
    stop_all,
    stream_events,
    wait_for_rpc,
)
from tests.conftest import ETCD_ADDR, free_port, unique_name
from tests.redis_server import private_redis

pytestmark = [
    pytest.mark.integration,
    pytest.mark.agents,
    pytest.mark.skipif(
        not agent_venv_available(),
        reason=f"{AGENT_PYTHON} missing (scripts/make-peer-venv.sh agent)",
    ),
]

IMAGE = "cr.backend.ai/stable/python:3.9-ubuntu20.04"
ARCH = platform.machine()


@dataclass(frozen=True)
class AgentEnv:
    agent: DummyAgent
    redis_port: int
    pool: AgentClientPool

    @property
    def client(self) -> AgentRPCClient:
        return self.pool.client(self.agent.id, self.agent.rpc_addr)


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with private_redis(tmp_path_factory.mktemp("agent-redis")) as port:
        yield port


@pytest_asyncio.fixture(scope="module")
async def agent_env(
    redis_port: int, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AgentEnv]:
    namespace = unique_name("test_agents")
    etcd = EtcdClient(host=ETCD_ADDR.host, port=ETCD_ADDR.port, namespace=namespace)
    agents = await start_dummy_agents(
        1,
        workdir=tmp_path_factory.mktemp("agents"),
        etcd_addr=str(ETCD_ADDR),
        namespace=namespace,
        redis_port=redis_port,
        register_fake_manager=True,
    )
    pool = AgentClientPool(AgentRPCSettings(handshake_timeout=2.0))
    try:
        await wait_for_rpc(agents[0], seconds=60)
        yield AgentEnv(agents[0], redis_port, pool)
    finally:
        await pool.close()
        await asyncio.to_thread(stop_all, agents)
        await etcd.delete_prefix("")


def image_config() -> dict[str, Any]:
    return {
        "canonical": IMAGE,
        "project": "stable",
        "architecture": ARCH,
        "digest": "sha256:" + "0" * 64,
        "repo_digest": None,
        "registry": {
            "name": "cr.backend.ai",
            "url": "https://cr.backend.ai",
            "username": None,
            "password": None,
        },
        "labels": {"ai.backend.service-ports": "jupyter:http:8080"},
        "is_local": False,
        "auto_pull": "digest",
    }


def kernel_config(
    session_id: uuid.UUID, kernel_id: uuid.UUID, agent_addr: str, **slots: str
) -> dict[str, Any]:
    return {
        "image": image_config(),
        "kernel_id": str(kernel_id),
        "session_id": str(session_id),
        "owner_user_id": str(uuid.uuid4()),
        "owner_project_id": None,
        "network_id": str(session_id),
        "auto_pull": "digest",
        "session_type": "interactive",
        "cluster_mode": "single-node",
        "cluster_role": "main",
        "cluster_idx": 1,
        "cluster_hostname": "main1",
        "local_rank": 0,
        "uid": None,
        "main_gid": None,
        "supplementary_gids": [],
        "resource_slots": slots or {"cpu": "1", "mem": "1073741824"},
        "resource_opts": {},
        "environ": {"BACKENDAI_SESSION_ID": str(session_id), "BACKENDAI_KERNEL_ID": str(kernel_id)},
        "mounts": [],
        "package_directory": [],
        "idle_timeout": 600,
        "bootstrap_script": None,
        "startup_command": None,
        "internal_data": None,
        "preopen_ports": [],
        "allocated_host_ports": [],
        "scaling_group": "default",
        "agent_addr": agent_addr,
        "endpoint_id": None,
    }


CLUSTER_INFO: dict[str, Any] = {
    "mode": "single-node",
    "size": 1,
    "replicas": {"main": 1},
    "network_config": {},
    "ssh_keypair": None,
    "cluster_ssh_port_mapping": None,
}


def image_ref() -> ImageRefSpec:
    return ImageRefSpec.from_canonical(
        IMAGE, project="stable", registry="cr.backend.ai", architecture=ARCH
    )


def test_image_ref_pickle_builds_the_agents_image_ref() -> None:
    """The hand-built ext-7 pickle is a constructor call the agent's own code accepts."""
    payload = image_ref_pickle(image_ref())
    check = (
        "import pickle, sys; r = pickle.loads(sys.stdin.buffer.read()); "
        "print(type(r).__module__, type(r).__name__, r.canonical, r.tag_set[0], "
        "r.architecture, r.is_local)"
    )
    out = subprocess.run(
        [str(AGENT_PYTHON), "-c", check], input=payload, capture_output=True, check=True
    ).stdout.decode()
    assert out.split() == [
        "ai.backend.common.docker",
        "ImageRef",
        IMAGE,
        "3.9",
        ARCH,
        "False",
    ]


async def test_ping(agent_env: AgentEnv) -> None:
    assert await agent_env.client.ping("hello") == "hello"


async def test_check_and_pull_returns_background_task_ids(agent_env: AgentEnv) -> None:
    tasks = await agent_env.client.check_and_pull({IMAGE: image_config()})
    assert list(tasks) == [IMAGE]
    assert uuid.UUID(tasks[IMAGE])


async def test_kernel_lifecycle(agent_env: AgentEnv) -> None:
    client = agent_env.client
    session_id, kernel_id = uuid.uuid4(), uuid.uuid4()
    config = kernel_config(session_id, kernel_id, agent_env.agent.rpc_addr)

    started = time.monotonic()
    results = await client.create_kernels(
        session_id, [kernel_id], [config], CLUSTER_INFO, {kernel_id: image_ref()}
    )
    assert time.monotonic() - started < 10
    [info] = results
    assert info["id"] == str(kernel_id)
    assert info["kernel_host"] == "127.0.0.1"
    assert (info["repl_in_port"], info["repl_out_port"]) == (2000, 2001)
    assert info["container_id"] == ""
    assert info["agent_addr"] == agent_env.agent.rpc_addr
    assert info["scaling_group"] == "default"
    # Decimals come back from the agent's pickled extension types, decoded safely.
    from decimal import Decimal

    assert info["resource_spec"]["slots"] == {"cpu": Decimal(1), "mem": Decimal(1 << 30)}

    assert await client.check_running(kernel_id) is True
    assert await client.check_creating(kernel_id) is True
    assert await client.get_logs(kernel_id) == {"logs": "my logs"}
    assert await client.execute(session_id, kernel_id, 8, "run1", "query", "1+1", {}, 1.0) == {
        "status": "not-implemented"
    }

    await client.destroy_kernel(kernel_id, session_id, "user-requested")
    assert await client.check_running(kernel_id) is False

    names = await _wait_for_events(
        agent_env.redis_port,
        kernel_id,
        until="kernel_terminated",
    )
    # The flow the manager observes for one kernel, from the agent's anycast stream.
    assert names == ["kernel_preparing", "kernel_creating", "kernel_started", "kernel_terminated"]


async def _wait_for_events(redis_port: int, kernel_id: uuid.UUID, *, until: str) -> list[str]:
    deadline = time.monotonic() + 10
    while True:
        events = await stream_events(redis_port)
        names = [
            e["name"]
            for e in events
            if isinstance(e["payload"], dict) and e["payload"].get("kernel_id") == str(kernel_id)
        ]
        if until in names or time.monotonic() > deadline:
            return names
        await asyncio.sleep(0.1)


async def test_agent_events_in_the_stream(agent_env: AgentEnv) -> None:
    events = await stream_events(agent_env.redis_port)
    names = {e["name"] for e in events if e["source"] == agent_env.agent.id}
    assert {"agent_started", "agent_heartbeat"} <= names
    heartbeat = next(e for e in events if e["name"] == "agent_heartbeat")
    assert heartbeat["payload"]["agent_info"]["addr"] == agent_env.agent.rpc_addr


async def test_insufficient_resources_is_an_agent_error(agent_env: AgentEnv) -> None:
    session_id, kernel_id = uuid.uuid4(), uuid.uuid4()
    config = kernel_config(
        session_id, kernel_id, agent_env.agent.rpc_addr, cpu="64", mem="1073741824"
    )
    with pytest.raises(AgentRPCError) as info:
        await agent_env.client.create_kernels(
            session_id, [kernel_id], [config], CLUSTER_INFO, {kernel_id: image_ref()}
        )
    assert info.value.exc_name in {"InsufficientResource", "ResourceError"}
    assert info.value.status_code == 502


async def test_destroying_an_unknown_kernel_succeeds(agent_env: AgentEnv) -> None:
    await agent_env.client.destroy_kernel(uuid.uuid4(), uuid.uuid4(), "user-requested")


async def test_wrong_agent_id_is_an_agent_error(agent_env: AgentEnv) -> None:
    wrong = agent_env.pool.client("i-not-this-one", agent_env.agent.rpc_addr)
    with pytest.raises(AgentRPCError) as info:
        await wrong.check_running(uuid.uuid4())
    assert info.value.exc_name == "AgentIdNotFoundError"
    assert info.value.agent_id == "i-not-this-one"


async def test_dead_address_is_unreachable_within_the_timeout() -> None:
    settings = AgentRPCSettings(handshake_timeout=0.5, retry_attempts=2, retry_initial_wait=0.1)
    pool = AgentClientPool(settings)
    try:
        started = time.monotonic()
        with pytest.raises(AgentUnreachable) as info:
            await pool.client("i-ghost", f"tcp://127.0.0.1:{free_port()}").ping()
        assert time.monotonic() - started < 5
        assert info.value.status_code == 503
        assert info.value.problem()["type"].endswith("/agent-unreachable")
    finally:
        await pool.close()


async def test_a_peer_opened_before_the_agent_listens_recovers(
    redis_port: int, tmp_path: Path
) -> None:
    """The startup race: calls fail as unreachable until the agent binds, then succeed."""
    namespace = unique_name("test_agents")
    etcd = EtcdClient(host=ETCD_ADDR.host, port=ETCD_ADDR.port, namespace=namespace)
    pool = AgentClientPool(AgentRPCSettings(handshake_timeout=0.5, retry_attempts=1))
    agents: list[DummyAgent] = []
    try:
        agents = await start_dummy_agents(
            1,
            workdir=tmp_path,
            etcd_addr=str(ETCD_ADDR),
            namespace=namespace,
            redis_port=redis_port,
            register_fake_manager=True,
            id_prefix="i-late",
        )
        client = pool.client(agents[0].id, agents[0].rpc_addr)
        with pytest.raises(AgentUnreachable):
            await client.ping()  # the agent takes seconds to import and bind
        deadline = time.monotonic() + 60
        while True:
            try:
                assert await client.ping("up") == "up"
                break
            except AgentUnreachable:
                assert time.monotonic() < deadline, agents[0].log_tail()
                await asyncio.sleep(0.2)
        # a crash: later calls time out or fail to connect, never hang
        await agents[0].akill()
        with pytest.raises(AgentUnreachable):
            await client.check_running(uuid.uuid4(), rpc_timeout=1.0)
    finally:
        await pool.close()
        await asyncio.to_thread(stop_all, agents)
        await etcd.delete_prefix("")
