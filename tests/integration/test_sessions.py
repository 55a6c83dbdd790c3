"""Compute sessions end to end: our manager, real PostgreSQL/Redis/etcd and real dummy agents."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa

from ai.backend.manager.models.agent import agent_resources, agents
from ai.backend.manager.types import AgentStatus
from tests.agent_harness import DummyAgent, agent_venv_available, start_dummy_agents, stop_all
from tests.conftest import ETCD_ADDR
from tests.integration.conftest import RunningManager
from tests.signing import signed_headers

pytestmark = [
    pytest.mark.agents,
    pytest.mark.skipif(not agent_venv_available(), reason="no agent venv (make peers)"),
]


async def call(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    headers = signed_headers(method, path, host=manager.host)
    data = json.dumps(body) if body is not None else None
    async with http.request(method, manager.base_url + path, headers=headers, data=data) as resp:
        return resp.status, await resp.json(content_type=None)


async def wait_agents_alive(manager: RunningManager, ids: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with manager.root.db.connect() as conn:
            alive = set(
                (
                    await conn.scalars(
                        sa.select(agents.c.id).where(
                            agents.c.id.in_(ids), agents.c.status == AgentStatus.ALIVE
                        )
                    )
                ).all()
            )
            with_capacity = set(
                (
                    await conn.scalars(
                        sa.select(agent_resources.c.agent_id).where(
                            agent_resources.c.agent_id.in_(ids)
                        )
                    )
                ).all()
            )
        if alive >= set(ids) and with_capacity >= set(ids):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"agents {ids} did not become ALIVE")


async def used_slots(manager: RunningManager, agent_id: str) -> dict[str, Any]:
    async with manager.root.db.connect() as conn:
        rows = await conn.execute(
            sa.select(agent_resources.c.slot_name, agent_resources.c.used).where(
                agent_resources.c.agent_id == agent_id
            )
        )
        return {row.slot_name: row.used for row in rows}


async def wait_status(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    name: str,
    statuses: set[str],
    timeout: float = 30,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    info: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status, info = await call(http, manager, "GET", f"/session/{name}")
        if status == 200 and info["status"] in statuses:
            return info
        await asyncio.sleep(0.1)
    raise AssertionError(f"session {name} did not reach {statuses}: {info}")


@pytest_asyncio.fixture(scope="module")
async def dummy_agents(
    manager: RunningManager,
    redis_port: int,
    etcd_namespace: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[list[DummyAgent]]:
    started = await start_dummy_agents(
        2,
        workdir=Path(tmp_path_factory.mktemp("agents")),
        etcd_addr=str(ETCD_ADDR),
        namespace=etcd_namespace,
        redis_port=redis_port,
        cpu=4,
        mem_bytes=8 * 2**30,
        heartbeat_interval=1.0,
    )
    try:
        await wait_agents_alive(manager, [a.id for a in started])
        yield started
    finally:
        await asyncio.to_thread(stop_all, started)


async def test_create_runs_and_destroy_frees_slots(
    http: aiohttp.ClientSession, manager: RunningManager, dummy_agents: list[DummyAgent]
) -> None:
    status, body = await call(
        http,
        manager,
        "POST",
        "/session",
        {
            "name": "e2e-basic",
            "image": "python:3.9",
            "type": "interactive",
            "group": "default",
            "domain": "default",
            "config": {"resources": {"cpu": "1", "mem": "1g"}},
        },
    )
    assert status == 201, body
    assert body["status"] == "RUNNING", body
    info = await wait_status(http, manager, "e2e-basic", {"RUNNING"})
    agent_id = info["kernels"][0]["agent"]
    used = await used_slots(manager, agent_id)
    assert used["cpu"] == 1
    assert used["mem"] == 2**30

    status, _ = await call(http, manager, "DELETE", "/session/e2e-basic")
    assert status == 200
    status, info = await call(http, manager, "GET", f"/session/{body['sessionId']}")
    deadline = time.monotonic() + 30
    while info["status"] != "TERMINATED" and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        status, info = await call(http, manager, "GET", f"/session/{body['sessionId']}")
    assert info["status"] == "TERMINATED", info
    used = await used_slots(manager, agent_id)
    assert all(amount == 0 for amount in used.values()), used
