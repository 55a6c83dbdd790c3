"""Resource presets over REST and GraphQL, and `check-presets` against a hand-computed case.

Agents, projects and sessions are inserted directly; the answers are compared with numbers
worked out by hand in the docstrings.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from ai.backend.manager.data.session import StatusChange
from ai.backend.manager.models.agent import agent_resources, agents
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.models.kernel import kernels, resource_allocations
from ai.backend.manager.models.resource_preset import resource_presets
from ai.backend.manager.models.scaling_group import scaling_groups, sgroups_for_domains
from ai.backend.manager.models.session import sessions
from ai.backend.manager.repositories.resource_preset.cache import CheckPresetsCache
from ai.backend.manager.types import AgentStatus, KernelStatus, SessionStatus
from tests.conftest import unique_name
from tests.integration.conftest import RunningManager
from tests.signing import (
    ADMIN_ACCESS_KEY,
    ADMIN_SECRET_KEY,
    USER_ACCESS_KEY,
    USER_SECRET_KEY,
    signed_headers,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

GiB = 2**30
SUPERADMIN = (ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY)
DOMAIN_ADMIN = ("AKIAHUKCHDEZGEXAMPLE", "cWbsM_vBB4CzTW7JdORRMx8SjGI3-wEXAMPLEKEY")
USER = (USER_ACCESS_KEY, USER_SECRET_KEY)
USER2 = ("AKIANATWOUSEREXAMPLE", "P7oxTDdzHbEpUSs5v7r7EWj9yKstp8VpZ7SEyA-g")
USER2_UUID = uuid.UUID("009fb1a4-487c-4f6e-9b1b-228b94b1d040")
DEFAULT_DOMAIN_ID = uuid.UUID("b9e676dc-e23e-54c6-b350-e83fba4127e9")
DEFAULT_GROUP_ID = uuid.UUID("2de2b969-1d04-48a6-af16-0bc8adb3c831")
IMAGE = "cr.backend.ai/stable/python:3.9-ubuntu20.04"


# --- request helpers -----------------------------------------------------------------------------


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def fresh_check_presets(manager: RunningManager) -> None:
    """These tests insert rows behind the manager's back: start each from an empty cache."""
    await _drop_cached_answers(manager)


async def _drop_cached_answers(manager: RunningManager) -> None:
    await CheckPresetsCache(manager.root.redis_live, ttl=60).invalidate()


async def call(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    keys: tuple[str, str] = SUPERADMIN,
) -> tuple[int, Any]:
    headers = signed_headers(
        method,
        path,
        host=manager.host,
        access_key=keys[0],
        secret_key=keys[1],
        content_type="application/json",
    )
    data = json.dumps(body).encode() if body is not None else None
    async with http.request(method, manager.base_url + path, data=data, headers=headers) as resp:
        text = await resp.text()
        return resp.status, json.loads(text) if text else None


async def gql(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    keys: tuple[str, str] = SUPERADMIN,
) -> dict[str, Any]:
    status, result = await call(
        http,
        manager,
        "POST",
        "/admin/gql",
        {"query": query, "variables": variables or {}},
        keys=keys,
    )
    assert status == 200, result
    assert isinstance(result, dict)
    return result


# --- seeding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededKernel:
    status: KernelStatus
    slots: dict[str, Decimal]
    # the allocation's `used` is set (the kernel was placed); else only `requested`
    placed: bool = True
    freed: bool = False
    agent: str | None = None
    created_at: datetime | None = None
    terminated_at: datetime | None = None
    group_id: uuid.UUID = DEFAULT_GROUP_ID
    user_uuid: uuid.UUID = USER2_UUID
    access_key: str = USER2[0]
    scaling_group: str = "default"
    last_stat: dict[str, Any] | None = None
    domain_name: str = "default"
    domain_id: uuid.UUID = DEFAULT_DOMAIN_ID


def _sg_id(name: str) -> sa.ScalarSelect[Any]:
    return sa.select(scaling_groups.c.id).where(scaling_groups.c.name == name).scalar_subquery()


async def insert_kernels(conn: AsyncConnection, seeded: list[SeededKernel]) -> list[uuid.UUID]:
    """One single-kernel session per entry, with its allocations; returns the session ids."""
    session_ids: list[uuid.UUID] = []
    for i, k in enumerate(seeded):
        sid = uuid.uuid4()
        kid = uuid.uuid4()
        session_ids.append(sid)
        session_status = (
            SessionStatus.TERMINATED
            if k.status == KernelStatus.TERMINATED
            else SessionStatus.RUNNING
            if k.status == KernelStatus.RUNNING
            else SessionStatus.PENDING
            if k.status == KernelStatus.PENDING
            else SessionStatus.SCHEDULED
        )
        times: dict[str, Any] = {}
        if k.created_at is not None:
            times["created_at"] = k.created_at
        if k.terminated_at is not None:
            times["terminated_at"] = k.terminated_at
        await conn.execute(
            sa.insert(sessions).values(
                id=sid,
                name=f"seed-{sid.hex[:8]}-{i}",
                scaling_group_name=k.scaling_group,
                resource_group_id=_sg_id(k.scaling_group),
                domain_name=k.domain_name,
                domain_id=k.domain_id,
                group_id=k.group_id,
                user_uuid=k.user_uuid,
                access_key=k.access_key,
                images=[IMAGE],
                status=session_status,
                **times,
            )
        )
        await conn.execute(
            sa.insert(kernels).values(
                id=kid,
                session_id=sid,
                session_name=f"seed-{sid.hex[:8]}-{i}",
                cluster_idx=1,
                cluster_hostname="main1",
                scaling_group=k.scaling_group,
                resource_group_id=_sg_id(k.scaling_group),
                agent=k.agent,
                domain_name=k.domain_name,
                group_id=k.group_id,
                user_uuid=k.user_uuid,
                access_key=k.access_key,
                image=IMAGE,
                registry="cr.backend.ai",
                status=k.status,
                last_stat=k.last_stat,
                **times,
            )
        )
        if k.slots:
            await conn.execute(
                sa.insert(resource_allocations),
                [
                    {
                        "kernel_id": kid,
                        "slot_name": slot,
                        "requested": amount,
                        "used": amount if k.placed else None,
                        "free_at": k.terminated_at or datetime.now().astimezone()
                        if k.freed
                        else None,
                    }
                    for slot, amount in k.slots.items()
                ],
            )
    return session_ids


async def delete_sessions(conn: AsyncConnection, session_ids: list[uuid.UUID]) -> None:
    kernel_ids = sa.select(kernels.c.id).where(kernels.c.session_id.in_(session_ids))
    await conn.execute(
        sa.delete(resource_allocations).where(resource_allocations.c.kernel_id.in_(kernel_ids))
    )
    await conn.execute(sa.delete(kernels).where(kernels.c.session_id.in_(session_ids)))
    await conn.execute(sa.delete(sessions).where(sessions.c.id.in_(session_ids)))


async def insert_agent(
    conn: AsyncConnection,
    agent_id: str,
    scaling_group: str,
    capacity: dict[str, Decimal],
    used: dict[str, Decimal],
    *,
    status: AgentStatus = AgentStatus.ALIVE,
    schedulable: bool = True,
) -> None:
    agent_uuid = uuid.uuid4()
    await conn.execute(
        sa.insert(agents).values(
            id=agent_id,
            uuid=agent_uuid,
            status=status,
            region="local",
            scaling_group=scaling_group,
            resource_group_id=_sg_id(scaling_group),
            schedulable=schedulable,
            addr="tcp://127.0.0.1:1",
            version="26.9.6",
            architecture="x86_64",
        )
    )
    await conn.execute(
        sa.insert(agent_resources),
        [
            {
                "agent_id": agent_id,
                "slot_name": slot,
                "agent_uuid": agent_uuid,
                "capacity": amount,
                "used": used.get(slot, Decimal(0)),
            }
            for slot, amount in capacity.items()
        ],
    )


# --- the hand-computed world ---------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    scaling_group: str
    project: str
    project_id: uuid.UUID
    big_preset: str
    fit_preset: str


@pytest_asyncio.fixture(loop_scope="session")
async def world(manager: RunningManager) -> AsyncIterator[World]:
    """A scaling group `sg` opened to the default domain, holding:

    - agent a1: capacity cpu 8 / mem 16 GiB, used cpu 2 / mem 4 GiB -> free 6 / 12 GiB
    - agent a2: capacity cpu 4 / mem 8 GiB, nothing used            -> free 4 / 8 GiB
    - agent a3 (LOST) and a4 (not schedulable): ignored
    A project `p` (limits cpu 10, mem 64 GiB) with user2 as a member; user2's kernels in `p`:
    - RUNNING on a1: cpu 2, mem 4 GiB (used)
    - SCHEDULED: cpu 1, mem 1 GiB (requested only, still counted)
    - PENDING: cpu 5 (not yet reserved: not counted)
    - TERMINATED, freed: cpu 4 (not counted)
    Presets of `sg`: big (cpu 5, mem 14 GiB: fits the pooled room but no single agent) and
    fit (cpu 6, mem 12 GiB: exactly a1's free room).
    """
    engine = manager.root.db
    sg = unique_name("sg-presets")
    project = unique_name("p-presets")
    project_id = uuid.uuid4()
    agent_ids = [f"{sg}-a{i}" for i in range(1, 5)]
    big = unique_name("big")
    fit = unique_name("fit")
    async with engine.begin() as conn:
        sg_id = uuid.uuid4()
        await conn.execute(
            sa.insert(scaling_groups).values(
                name=sg, id=sg_id, driver="static", scheduler="fifo", is_active=True
            )
        )
        await conn.execute(
            sa.insert(sgroups_for_domains).values(
                resource_group_id=sg_id, domain_id=DEFAULT_DOMAIN_ID
            )
        )
        await conn.execute(
            sa.insert(groups).values(
                id=project_id,
                name=project,
                domain_name="default",
                resource_policy="default",
                total_resource_slots={"cpu": Decimal(10), "mem": Decimal(64 * GiB)},
            )
        )
        await conn.execute(
            sa.insert(association_groups_users).values(user_id=USER2_UUID, group_id=project_id)
        )
        await insert_agent(
            conn,
            agent_ids[0],
            sg,
            {"cpu": Decimal(8), "mem": Decimal(16 * GiB)},
            {"cpu": Decimal(2), "mem": Decimal(4 * GiB)},
        )
        await insert_agent(conn, agent_ids[1], sg, {"cpu": Decimal(4), "mem": Decimal(8 * GiB)}, {})
        await insert_agent(
            conn,
            agent_ids[2],
            sg,
            {"cpu": Decimal(64), "mem": Decimal(64 * GiB)},
            {},
            status=AgentStatus.LOST,
        )
        await insert_agent(
            conn,
            agent_ids[3],
            sg,
            {"cpu": Decimal(64), "mem": Decimal(64 * GiB)},
            {},
            schedulable=False,
        )
        common = {"group_id": project_id, "scaling_group": sg}
        session_ids = await insert_kernels(
            conn,
            [
                SeededKernel(
                    status=KernelStatus.RUNNING,
                    slots={"cpu": Decimal(2), "mem": Decimal(4 * GiB)},
                    agent=agent_ids[0],
                    **common,  # type: ignore[arg-type]
                ),
                SeededKernel(
                    status=KernelStatus.SCHEDULED,
                    slots={"cpu": Decimal(1), "mem": Decimal(1 * GiB)},
                    placed=False,
                    **common,  # type: ignore[arg-type]
                ),
                SeededKernel(
                    status=KernelStatus.PENDING,
                    slots={"cpu": Decimal(5), "mem": Decimal(1 * GiB)},
                    placed=False,
                    **common,  # type: ignore[arg-type]
                ),
                SeededKernel(
                    status=KernelStatus.TERMINATED,
                    slots={"cpu": Decimal(4), "mem": Decimal(1 * GiB)},
                    freed=True,
                    **common,  # type: ignore[arg-type]
                ),
            ],
        )
        await conn.execute(
            sa.insert(resource_presets),
            [
                {
                    "name": big,
                    "resource_slots": {"cpu": Decimal(5), "mem": Decimal(14 * GiB)},
                    "scaling_group_name": sg,
                    "shared_memory": None,
                },
                {
                    "name": fit,
                    "resource_slots": {"cpu": Decimal(6), "mem": Decimal(12 * GiB)},
                    "scaling_group_name": sg,
                    "shared_memory": GiB,
                },
            ],
        )
    try:
        yield World(
            scaling_group=sg, project=project, project_id=project_id, big_preset=big, fit_preset=fit
        )
    finally:
        async with engine.begin() as conn:
            await delete_sessions(conn, session_ids)
            await conn.execute(
                sa.delete(resource_presets).where(resource_presets.c.scaling_group_name == sg)
            )
            await conn.execute(
                sa.delete(agent_resources).where(agent_resources.c.agent_id.in_(agent_ids))
            )
            await conn.execute(sa.delete(agents).where(agents.c.id.in_(agent_ids)))
            await conn.execute(
                sa.delete(association_groups_users).where(
                    association_groups_users.c.group_id == project_id
                )
            )
            await conn.execute(sa.delete(groups).where(groups.c.id == project_id))
            await conn.execute(
                sa.delete(sgroups_for_domains).where(
                    sgroups_for_domains.c.resource_group_id == sg_id
                )
            )
            await conn.execute(sa.delete(scaling_groups).where(scaling_groups.c.id == sg_id))


def _by_name(presets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in presets}


# --- GET /resource/presets -----------------------------------------------------------------------


async def test_list_presets_shows_the_global_presets_to_every_user(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    for keys in (SUPERADMIN, DOMAIN_ADMIN, USER):
        status, body = await call(http, manager, "GET", "/resource/presets", keys=keys)
        assert status == 200, body
        presets = _by_name(body["presets"])
        small = presets["cpu01-small"]
        assert small["resource_slots"] == {"cpu": "1", "mem": "1073741824"}
        assert small["shared_memory"] is None
        uuid.UUID(small["id"])
        assert presets["cpu02-medium"]["shared_memory"] == "1073741824"
        assert set(small) == {"id", "name", "shared_memory", "resource_slots"}


async def test_list_presets_of_a_scaling_group_adds_its_own(
    manager: RunningManager, http: aiohttp.ClientSession, world: World
) -> None:
    status, body = await call(http, manager, "GET", "/resource/presets", keys=USER2)
    assert status == 200
    assert world.big_preset not in _by_name(body["presets"])
    path = f"/resource/presets?scaling_group={world.scaling_group}"
    status, body = await call(http, manager, "GET", path, keys=USER2)
    assert status == 200
    names = _by_name(body["presets"])
    assert {world.big_preset, world.fit_preset, "cpu01-small"} <= set(names)


# --- POST /resource/check-presets ----------------------------------------------------------------


async def test_check_presets_matches_the_hand_computed_case(
    manager: RunningManager, http: aiohttp.ClientSession, world: World
) -> None:
    body_in = {"group": world.project, "scaling_group": world.scaling_group}
    status, body = await call(http, manager, "POST", "/resource/check-presets", body_in, keys=USER2)
    assert status == 200, body
    # keypair: the default policy leaves every slot unlimited; user2 holds 2+1 cpu, 4+1 GiB
    assert body["keypair_limits"] == {"cpu": "Infinity", "mem": "Infinity"}
    assert body["keypair_using"] == {"cpu": "3", "mem": str(5 * GiB)}
    # project: 10 cpu / 64 GiB minus what it holds
    assert body["group_limits"] == {"cpu": "10", "mem": str(64 * GiB)}
    assert body["group_using"] == {"cpu": "3", "mem": str(5 * GiB)}
    assert body["group_remaining"] == {"cpu": "7", "mem": str(59 * GiB)}
    # the least of keypair, project and (unlimited) domain
    assert body["keypair_remaining"] == {"cpu": "7", "mem": str(59 * GiB)}
    # the pooled room of a1 + a2 is 10 cpu / 20 GiB: cpu bound by the project, mem by agents
    assert body["scaling_group_remaining"] == {"cpu": "7", "mem": str(20 * GiB)}
    assert body["scaling_groups"] == {
        world.scaling_group: {
            "using": {"cpu": "3", "mem": str(5 * GiB)},
            "remaining": {"cpu": "7", "mem": str(20 * GiB)},
        }
    }
    presets = _by_name(body["presets"])
    assert presets["cpu01-small"]["allocatable"] is True  # 1 / 1 GiB
    assert presets["cpu02-medium"]["allocatable"] is True  # 4 / 8 GiB fits a1
    assert presets["cpu03-large"]["allocatable"] is False  # 8 cpu > 7 remaining
    assert presets[world.big_preset]["allocatable"] is False  # no single agent has 14 GiB
    assert presets[world.fit_preset]["allocatable"] is True  # exactly a1's room
    assert presets[world.fit_preset]["resource_slots"] == {"cpu": "6", "mem": str(12 * GiB)}
    assert presets[world.fit_preset]["shared_memory"] == str(GiB)
    assert set(presets["cpu01-small"]) == {
        "id",
        "name",
        "resource_slots",
        "shared_memory",
        "allocatable",
    }


async def test_check_presets_without_a_scaling_group_covers_every_allowed_one(
    manager: RunningManager, http: aiohttp.ClientSession, world: World
) -> None:
    status, body = await call(
        http, manager, "POST", "/resource/check-presets", {"group": world.project}, keys=USER2
    )
    assert status == 200, body
    assert {"default", world.scaling_group} <= set(body["scaling_groups"])
    assert body["scaling_groups"][world.scaling_group]["remaining"] == {
        "cpu": "7",
        "mem": str(20 * GiB),
    }
    # the scaling group's own presets are not offered without naming it
    assert world.big_preset not in _by_name(body["presets"])


async def test_check_presets_with_an_empty_body_uses_the_default_project(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, manager, "POST", "/resource/check-presets", keys=USER)
    assert status == 200, body
    for key in (
        "presets",
        "keypair_limits",
        "keypair_using",
        "keypair_remaining",
        "group_limits",
        "group_using",
        "group_remaining",
        "scaling_group_remaining",
        "scaling_groups",
    ):
        assert key in body
    assert "default" in body["scaling_groups"]


async def test_check_presets_refuses_a_project_the_caller_is_not_in(
    manager: RunningManager, http: aiohttp.ClientSession, world: World
) -> None:
    status, body = await call(
        http, manager, "POST", "/resource/check-presets", {"group": world.project}, keys=USER
    )
    assert status == 404, body
    status, body = await call(
        http, manager, "POST", "/resource/check-presets", {"group": "no-such"}, keys=USER2
    )
    assert status == 404, body


async def test_check_presets_refuses_a_scaling_group_not_allowed(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    status, body = await call(
        http,
        manager,
        "POST",
        "/resource/check-presets",
        {"group": "default", "scaling_group": "no-such-sg"},
        keys=USER,
    )
    assert status == 404, body


async def test_check_presets_rejects_a_malformed_body(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    headers = signed_headers(
        "POST",
        "/resource/check-presets",
        host=manager.host,
        access_key=USER[0],
        secret_key=USER[1],
    )
    async with http.post(
        manager.base_url + "/resource/check-presets", data=b"[1, 2", headers=headers
    ) as resp:
        assert resp.status == 400
    status, _ = await call(
        http, manager, "POST", "/resource/check-presets", {"group": 5}, keys=USER
    )
    assert status == 400


# --- container registries ------------------------------------------------------------------------


async def test_container_registries_for_superadmins_only(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, manager, "GET", "/resource/container-registries")
    assert status == 200, body
    assert isinstance(body, dict)
    # the fixture's registry (other tests of the session may have added more)
    assert body["stable/cr.backend.ai"] == "https://cr.backend.ai"
    assert all(isinstance(url, str) for url in body.values())
    status, legacy = await call(http, manager, "GET", "/config/docker-registries")
    assert (status, legacy) == (200, body)
    for keys in (DOMAIN_ADMIN, USER):
        status, _ = await call(http, manager, "GET", "/resource/container-registries", keys=keys)
        assert status == 403


# --- GraphQL -------------------------------------------------------------------------------------

PRESET_FIELDS = "id name resource_slots shared_memory scaling_group_name"
CREATE = f"""
mutation($name: String!, $props: CreateResourcePresetInput!) {{
  create_resource_preset(name: $name, props: $props) {{
    ok msg resource_preset {{ {PRESET_FIELDS} }}
  }}
}}"""
MODIFY = """
mutation($id: UUID, $name: String, $props: ModifyResourcePresetInput!) {
  modify_resource_preset(id: $id, name: $name, props: $props) { ok msg }
}"""
DELETE = """
mutation($id: UUID, $name: String) { delete_resource_preset(id: $id, name: $name) { ok msg } }"""
GET_ONE = f"query($name: String) {{ resource_preset(name: $name) {{ {PRESET_FIELDS} }} }}"
LIST = f"""
query($sg: String) {{ resource_presets(scaling_group_name: $sg) {{ {PRESET_FIELDS} }} }}"""


async def test_gql_preset_lifecycle_by_a_superadmin(
    manager: RunningManager, http: aiohttp.ClientSession, world: World
) -> None:
    name = unique_name("gql-preset")
    props = {
        "resource_slots": json.dumps({"cpu": "2", "mem": "4g"}),
        "shared_memory": "512m",
    }
    result = await gql(http, manager, CREATE, {"name": name, "props": props})
    created = result["data"]["create_resource_preset"]
    assert created["ok"] is True, created
    preset = created["resource_preset"]
    assert json.loads(preset["resource_slots"]) == {"cpu": "2", "mem": str(4 * GiB)}
    assert preset["shared_memory"] == 512 * 2**20
    assert preset["scaling_group_name"] is None

    again = await gql(http, manager, CREATE, {"name": name, "props": props})
    assert again["data"]["create_resource_preset"]["ok"] is False
    assert "already exists" in again["data"]["create_resource_preset"]["msg"]

    # the same name is free within a scaling group
    scoped = await gql(
        http,
        manager,
        CREATE,
        {"name": name, "props": {**props, "scaling_group_name": world.scaling_group}},
    )
    assert scoped["data"]["create_resource_preset"]["ok"] is True, scoped
    scoped_id = scoped["data"]["create_resource_preset"]["resource_preset"]["id"]

    listed = await gql(http, manager, LIST, {"sg": world.scaling_group}, keys=USER)
    names = [p["name"] for p in listed["data"]["resource_presets"]]
    assert name in names and "cpu01-small" not in names
    every = await gql(http, manager, LIST, keys=USER)
    assert [p["name"] for p in every["data"]["resource_presets"]].count(name) == 2

    # two presets share the name now: the id picks one
    ambiguous = await gql(http, manager, MODIFY, {"name": name, "props": {"shared_memory": "1g"}})
    assert ambiguous["data"]["modify_resource_preset"]["ok"] is False
    modified = await gql(
        http,
        manager,
        MODIFY,
        {
            "id": preset["id"],
            "props": {"resource_slots": json.dumps({"cpu": 3, "mem": "8g"}), "shared_memory": None},
        },
    )
    assert modified["data"]["modify_resource_preset"]["ok"] is True, modified
    _, body = await call(http, manager, "GET", "/resource/presets", keys=USER)
    shown = _by_name(body["presets"])[name]
    assert shown["resource_slots"] == {"cpu": "3", "mem": str(8 * GiB)}
    assert shown["shared_memory"] is None

    deleted = await gql(http, manager, DELETE, {"id": scoped_id})
    assert deleted["data"]["delete_resource_preset"]["ok"] is True
    deleted = await gql(http, manager, DELETE, {"name": name})
    assert deleted["data"]["delete_resource_preset"]["ok"] is True
    gone = await gql(http, manager, GET_ONE, {"name": name})
    assert gone["data"]["resource_preset"] is None
    missing = await gql(http, manager, DELETE, {"name": name})
    assert missing["data"]["delete_resource_preset"]["ok"] is False


async def test_gql_preset_reads_for_every_user_and_writes_for_superadmins_only(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    one = await gql(http, manager, GET_ONE, {"name": "cpu01-small"}, keys=USER)
    assert json.loads(one["data"]["resource_preset"]["resource_slots"]) == {
        "cpu": "1",
        "mem": "1073741824",
    }
    props = {"resource_slots": json.dumps({"cpu": "1", "mem": "1g"})}
    for keys in (DOMAIN_ADMIN, USER):
        refused = await gql(http, manager, CREATE, {"name": "nope", "props": props}, keys=keys)
        assert refused["errors"], refused
        assert "superadmin" in refused["errors"][0]["message"].lower()
        refused = await gql(http, manager, MODIFY, {"name": "cpu01-small", "props": {}}, keys=keys)
        assert refused["errors"]
        refused = await gql(http, manager, DELETE, {"name": "cpu01-small"}, keys=keys)
        assert refused["errors"]
    _, body = await call(http, manager, "GET", "/resource/presets", keys=USER)
    assert "cpu01-small" in _by_name(body["presets"])


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({"resource_slots": json.dumps({"cpu": "1"})}, "intrinsic"),
        ({"resource_slots": json.dumps({"cpu": "-1", "mem": "1g"})}, "invalid amount"),
        ({"resource_slots": json.dumps({"cpu": "x", "mem": "1g"})}, "invalid amount"),
        ({"resource_slots": json.dumps([1])}, "json object"),
        ({"resource_slots": json.dumps({"cpu": "1", "mem": "1g"}), "shared_memory": "lots"}, ""),
        (
            {
                "resource_slots": json.dumps({"cpu": "1", "mem": "1g"}),
                "scaling_group_name": "no-such-sg",
            },
            "scaling group",
        ),
    ],
)
async def test_gql_create_preset_rejects_bad_input(
    manager: RunningManager,
    http: aiohttp.ClientSession,
    props: dict[str, Any],
    fragment: str,
) -> None:
    name = unique_name("bad")
    result = await gql(http, manager, CREATE, {"name": name, "props": props})
    payload = result["data"]["create_resource_preset"]
    assert payload["ok"] is False, payload
    assert fragment in payload["msg"].lower()
    _, body = await call(http, manager, "GET", "/resource/presets")
    assert name not in _by_name(body["presets"])


# --- cost -----------------------------------------------------------------------------------------


class _StatementCounter:
    """Counts the SQL statements run for API requests (not by the background loops)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        task = asyncio.current_task()
        name = getattr(task.get_coro(), "__qualname__", "") if task is not None else ""
        if name.startswith("RequestHandler."):
            self.statements.append(statement)


async def _one_check(
    http: aiohttp.ClientSession, manager: RunningManager, world: World
) -> tuple[int, Any]:
    """The SQL statements one check-presets call runs, and its answer."""
    counter = _StatementCounter()
    engine = manager.root.db.sync_engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        status, body = await call(
            http,
            manager,
            "POST",
            "/resource/check-presets",
            {"group": world.project, "scaling_group": world.scaling_group},
            keys=USER2,
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    assert status == 200
    return len(counter.statements), body


async def _check_statements(
    http: aiohttp.ClientSession, manager: RunningManager, world: World
) -> int:
    """The fewest statements of three uncached check-presets calls (a background flush may
    share one)."""
    counts = []
    for _ in range(3):
        await _drop_cached_answers(manager)
        count, _ = await _one_check(http, manager, world)
        counts.append(count)
    return min(counts)


async def test_check_presets_costs_the_same_statements_for_any_number_of_agents_and_sessions(
    manager: RunningManager, http: aiohttp.ClientSession, world: World
) -> None:
    before = await _check_statements(http, manager, world)
    extra_agents = [f"{world.scaling_group}-x{i}" for i in range(30)]
    async with manager.root.db.begin() as conn:
        for agent_id in extra_agents:
            await insert_agent(
                conn, agent_id, world.scaling_group, {"cpu": Decimal(2), "mem": Decimal(GiB)}, {}
            )
        session_ids = await insert_kernels(
            conn,
            [
                SeededKernel(
                    status=KernelStatus.RUNNING,
                    slots={"cpu": Decimal(0), "mem": Decimal(0)},
                    group_id=world.project_id,
                    scaling_group=world.scaling_group,
                )
                for _ in range(40)
            ],
        )
    try:
        after = await _check_statements(http, manager, world)
    finally:
        async with manager.root.db.begin() as conn:
            await delete_sessions(conn, session_ids)
            await conn.execute(
                sa.delete(agent_resources).where(agent_resources.c.agent_id.in_(extra_agents))
            )
            await conn.execute(sa.delete(agents).where(agents.c.id.in_(extra_agents)))
    assert after == before, f"{before} statements before, {after} after adding rows"
    assert before <= 8


async def test_check_presets_answers_from_the_cache_until_a_session_changes_status(
    manager: RunningManager, http: aiohttp.ClientSession, world: World
) -> None:
    computed, first = await _one_check(http, manager, world)
    cached, second = await _one_check(http, manager, world)
    assert computed > 0
    assert cached == 0
    assert second == first
    # Whatever moves a session from one status to another (the scheduler allocating, a kernel
    # ending) goes through the manager's status-change notifier, which drops every answer.
    await manager.root.session_changes.publish(
        [StatusChange(uuid.uuid4(), SessionStatus.PENDING, SessionStatus.SCHEDULED)]
    )
    recomputed, third = await _one_check(http, manager, world)
    assert recomputed > 0
    assert third == first


async def test_check_presets_sees_a_new_preset_at_once(
    manager: RunningManager, http: aiohttp.ClientSession, world: World
) -> None:
    _, before = await _one_check(http, manager, world)
    name = unique_name("cached-preset")
    props = {"resource_slots": json.dumps({"cpu": "1", "mem": "1g"})}
    created = await gql(http, manager, CREATE, {"name": name, "props": props})
    assert created["data"]["create_resource_preset"]["ok"] is True, created
    try:
        _, after = await _one_check(http, manager, world)
        names = {preset["name"] for preset in after["presets"]}
        assert name in names
        assert name not in {preset["name"] for preset in before["presets"]}
    finally:
        async with manager.root.db.begin() as conn:
            await conn.execute(sa.delete(resource_presets).where(resource_presets.c.name == name))
