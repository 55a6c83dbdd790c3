"""Agents, images, storage volumes, resource slots and folder hosts over the admin API.

GraphQL goes through `POST /admin/gql` of the in-process manager, signed as the fixture
accounts, so role checks run exactly as for the official client.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.actions.storage import ListFolderHostsAction
from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.clients.storage_proxy import StorageProxyPool
from ai.backend.manager.errors.base import ServiceUnavailable
from ai.backend.manager.models.agent import agent_resources, agents
from ai.backend.manager.models.image import image_aliases, images
from ai.backend.manager.models.kernel import kernels
from ai.backend.manager.models.scaling_group import scaling_groups
from ai.backend.manager.models.session import session_dependencies, sessions
from ai.backend.manager.repositories.storage import StorageRepository, parse_volume_config
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.storage.service import StorageService
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

DOMAIN_ADMIN = ("AKIAHUKCHDEZGEXAMPLE", "cWbsM_vBB4CzTW7JdORRMx8SjGI3-wEXAMPLEKEY")
USER = (USER_ACCESS_KEY, USER_SECRET_KEY)
SUPERADMIN = (ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY)

SUPERADMIN_UUID = uuid.UUID("f38dea23-50fa-42a0-b5ae-338f5f4693f4")
DEFAULT_DOMAIN_ID = uuid.UUID("b9e676dc-e23e-54c6-b350-e83fba4127e9")
DEFAULT_GROUP_ID = uuid.UUID("2de2b969-1d04-48a6-af16-0bc8adb3c831")
PYTHON39_X86 = "f9b2e3cf-f44e-4c43-bf34-cb4b338d89fc"
PYTHON39 = "cr.backend.ai/stable/python:3.9-ubuntu20.04"

AGENT_FIELDS = (
    "id status architecture scaling_group region first_contact cpu_cur_pct mem_cur_bytes"
    " available_slots occupied_slots addr version schedulable container_count"
    " live_stat local_config hardware_metadata compute_plugins"
)
AGENT_LIST = f"""
query($limit: Int!, $offset: Int!, $status: String, $scaling_group: String,
      $filter: String, $order: String) {{
  agent_list(limit: $limit, offset: $offset, status: $status, scaling_group: $scaling_group,
             filter: $filter, order: $order) {{
    items {{ {AGENT_FIELDS} }}
    total_count
  }}
}}"""
IMAGE_FIELDS = (
    "id name namespace base_image_name project humanized_name registry architecture tag version"
    " tags { key value } digest size_bytes aliases labels { key value }"
    " resource_limits { key min max } supported_accelerators status installed hash"
)


async def gql(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    keys: tuple[str, str] = SUPERADMIN,
) -> dict[str, Any]:
    """The response body of one GraphQL request (HTTP 200 is asserted)."""
    path = "/admin/gql"
    headers = signed_headers(
        "POST", path, host=manager.host, access_key=keys[0], secret_key=keys[1]
    )
    body = {"query": query, "variables": variables or {}}
    async with http.post(manager.base_url + path, json=body, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        result: dict[str, Any] = await resp.json()
    return result


async def gql_data(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    keys: tuple[str, str] = SUPERADMIN,
) -> dict[str, Any]:
    result = await gql(http, manager, query, variables, keys=keys)
    assert not result.get("errors"), result
    data: dict[str, Any] = result["data"]
    return data


def error_messages(result: dict[str, Any]) -> list[str]:
    return [str(e["message"]) for e in result.get("errors") or []]


async def rest_get(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    path: str,
    *,
    keys: tuple[str, str] = SUPERADMIN,
) -> tuple[int, Any]:
    headers = signed_headers(
        "GET",
        path,
        host=manager.host,
        access_key=keys[0],
        secret_key=keys[1],
        content_type="text/plain",
    )
    async with http.get(manager.base_url + path, headers=headers) as resp:
        return resp.status, await resp.json()


# --- agents -------------------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def fake_agents(manager: RunningManager) -> AsyncIterator[list[str]]:
    """Three agents inserted directly (not schedulable): two ALIVE, one LOST."""
    engine = manager.root.db
    prefix = unique_name("i-cat")
    ids = [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    async with engine.begin() as conn:
        group_id = await conn.scalar(
            sa.select(scaling_groups.c.id).where(scaling_groups.c.name == "default")
        )
        for i, agent_id in enumerate(ids):
            agent_uuid = uuid.uuid4()
            await conn.execute(
                sa.insert(agents).values(
                    id=agent_id,
                    uuid=agent_uuid,
                    status=AgentStatus.LOST if i == 2 else AgentStatus.ALIVE,
                    region="local",
                    scaling_group="default",
                    resource_group_id=group_id,
                    schedulable=False,
                    addr=f"tcp://127.0.0.1:{6100 + i}",
                    version="26.9.6",
                    architecture="x86_64",
                    compute_plugins={"cpu": {}},
                )
            )
            await conn.execute(
                sa.insert(agent_resources),
                [
                    {
                        "agent_id": agent_id,
                        "slot_name": "cpu",
                        "agent_uuid": agent_uuid,
                        "capacity": Decimal(4 + i),
                        "used": Decimal(1),
                    },
                    {
                        "agent_id": agent_id,
                        "slot_name": "mem",
                        "agent_uuid": agent_uuid,
                        "capacity": Decimal(8 * 2**30),
                        "used": Decimal(2**30),
                    },
                ],
            )
    try:
        yield ids
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                sa.delete(agent_resources).where(agent_resources.c.agent_id.in_(ids))
            )
            await conn.execute(sa.delete(agents).where(agents.c.id.in_(ids)))


async def _all_agent_pages(
    http: aiohttp.ClientSession, manager: RunningManager, limit: int, **variables: Any
) -> tuple[list[dict[str, Any]], int]:
    """Page through agent_list as the CLI does (offset += len(items) until total_count)."""
    items: list[dict[str, Any]] = []
    offset = 0
    total = 0
    while True:
        data = await gql_data(
            http,
            manager,
            AGENT_LIST,
            {
                "limit": limit,
                "offset": offset,
                "status": "ALIVE",
                "scaling_group": None,
                "filter": None,
                "order": None,
                **variables,
            },
        )
        page = data["agent_list"]
        total = page["total_count"]
        items.extend(page["items"])
        offset += len(page["items"])
        if offset >= total or not page["items"]:
            return items, total


async def test_agent_list_returns_slots_as_json_strings(
    http: aiohttp.ClientSession, manager: RunningManager, fake_agents: list[str]
) -> None:
    items, total = await _all_agent_pages(http, manager, limit=1)
    ours = {item["id"]: item for item in items if item["id"] in fake_agents}
    assert set(ours) == set(fake_agents[:2])  # the LOST one is not ALIVE
    assert total == len(items)
    first = ours[fake_agents[0]]
    assert json.loads(first["available_slots"]) == {"cpu": "4", "mem": str(8 * 2**30)}
    assert json.loads(first["occupied_slots"]) == {"cpu": "1", "mem": str(2**30)}
    assert first["status"] == "ALIVE"
    assert first["cpu_cur_pct"] == 0 and first["mem_cur_bytes"] == 0
    assert first["live_stat"] is None and first["hardware_metadata"] is None
    assert json.loads(first["local_config"]) == {"agent": {"auto_terminate_abusing_kernel": False}}
    assert json.loads(first["compute_plugins"]) == {"cpu": {}}
    assert first["container_count"] == 0
    assert first["schedulable"] is False


async def test_agent_list_filters_by_status_and_orders(
    http: aiohttp.ClientSession, manager: RunningManager, fake_agents: list[str]
) -> None:
    lost = await gql_data(
        http,
        manager,
        AGENT_LIST,
        {
            "limit": 100,
            "offset": 0,
            "status": "LOST",
            "scaling_group": "default",
            "filter": None,
            "order": None,
        },
    )
    assert [i["id"] for i in lost["agent_list"]["items"] if i["id"] in fake_agents] == [
        fake_agents[2]
    ]
    both = await gql_data(
        http,
        manager,
        AGENT_LIST,
        {
            "limit": 100,
            "offset": 0,
            "status": "ALIVE,LOST",
            "scaling_group": None,
            "filter": None,
            "order": "-id",
        },
    )
    ids = [i["id"] for i in both["agent_list"]["items"] if i["id"] in fake_agents]
    assert ids == sorted(fake_agents, reverse=True)
    assert both["agent_list"]["total_count"] == len(both["agent_list"]["items"])
    nowhere = await gql_data(
        http,
        manager,
        AGENT_LIST,
        {
            "limit": 100,
            "offset": 0,
            "status": "ALIVE",
            "scaling_group": "no-such-group",
            "filter": None,
            "order": None,
        },
    )
    assert nowhere["agent_list"] == {"items": [], "total_count": 0}


async def test_agent_list_rejects_bad_arguments(
    http: aiohttp.ClientSession, manager: RunningManager, fake_agents: list[str]
) -> None:
    for variables, expected in (
        ({"status": "SLEEPY"}, "Unknown agent status"),
        ({"order": "secret_column"}, "Cannot order agents"),
        ({"filter": 'id == "x"'}, "not supported"),
        ({"limit": -1}, "must not be negative"),
    ):
        result = await gql(
            http,
            manager,
            AGENT_LIST,
            {
                "limit": 10,
                "offset": 0,
                "status": "ALIVE",
                "scaling_group": None,
                "filter": None,
                "order": None,
                **variables,
            },
        )
        assert any(expected in m for m in error_messages(result)), (variables, result)


async def test_agent_by_id_and_missing_agent(
    http: aiohttp.ClientSession, manager: RunningManager, fake_agents: list[str]
) -> None:
    query = f"query($agent_id: String!) {{ agent(agent_id: $agent_id) {{ {AGENT_FIELDS} }} }}"
    data = await gql_data(http, manager, query, {"agent_id": fake_agents[2]})
    assert data["agent"]["status"] == "LOST"
    assert json.loads(data["agent"]["available_slots"])["cpu"] == "6"
    missing = await gql_data(http, manager, query, {"agent_id": "i-no-such-agent"})
    assert missing == {"agent": None}


async def test_legacy_agents_field(
    http: aiohttp.ClientSession, manager: RunningManager, fake_agents: list[str]
) -> None:
    data = await gql_data(
        http, manager, "query($s: String) { agents(status: $s) { id status } }", {"s": "LOST"}
    )
    assert {"id": fake_agents[2], "status": "LOST"} in data["agents"]


@pytest.mark.parametrize("keys", [DOMAIN_ADMIN, USER], ids=["domain-admin", "user"])
async def test_agents_are_for_superadmins_only(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    fake_agents: list[str],
    keys: tuple[str, str],
) -> None:
    listed = await gql(
        http,
        manager,
        AGENT_LIST,
        {
            "limit": 10,
            "offset": 0,
            "status": "ALIVE",
            "scaling_group": None,
            "filter": None,
            "order": None,
        },
        keys=keys,
    )
    assert any("superadmin" in m for m in error_messages(listed)), listed
    one = await gql(
        http,
        manager,
        "query($a: String!) { agent(agent_id: $a) { id } }",
        {"a": fake_agents[0]},
        keys=keys,
    )
    assert any("superadmin" in m for m in error_messages(one)), one
    legacy = await gql(http, manager, "query { agents { id } }", keys=keys)
    assert error_messages(legacy)


# --- images -------------------------------------------------------------------------------------


IMAGES = (
    f"query($is_operation: Boolean) {{ images(is_operation: $is_operation) {{ {IMAGE_FIELDS} }} }}"
)


@pytest.mark.parametrize(
    "keys", [SUPERADMIN, DOMAIN_ADMIN, USER], ids=["superadmin", "domain-admin", "user"]
)
async def test_every_role_lists_images(
    http: aiohttp.ClientSession, manager: RunningManager, keys: tuple[str, str]
) -> None:
    data = await gql_data(http, manager, IMAGES, {"is_operation": False}, keys=keys)
    by_id = {item["id"]: item for item in data["images"]}
    item = by_id[PYTHON39_X86]
    assert item["name"] == "stable/python"
    assert item["namespace"] == "stable/python"
    assert item["base_image_name"] == "python"
    assert item["registry"] == "cr.backend.ai"
    assert item["architecture"] == "x86_64"
    assert item["tag"] == "3.9-ubuntu20.04"
    assert item["version"] == "3.9"
    assert {"key": "ubuntu", "value": "20.04"} in item["tags"]
    assert item["digest"].startswith("sha256:") and item["hash"] == item["digest"]
    assert item["size_bytes"] == 1094729931  # over 2**30: a BigInt, not an Int
    assert "python:3.9" in item["aliases"] and "python" in item["aliases"]
    assert {"key": "ai.backend.kernelspec", "value": "1"} in item["labels"]
    limits = {r["key"]: r for r in item["resource_limits"]}
    assert limits["cpu"]["min"] == "1" and limits["mem"]["min"] == "268435456"
    assert limits["cpu"]["max"] == "Infinity"
    assert item["status"] == "ALIVE"
    assert item["installed"] is False


async def _add_image(
    engine: AsyncEngine, canonical: str, *, registry: str = "cr.backend.ai", **values: Any
) -> uuid.UUID:
    registry_id = await _registry_id(engine)
    repo, _, tag = canonical.split("/", 1)[1].partition(":")
    async with engine.begin() as conn:
        image_id = await conn.scalar(
            sa.insert(images)
            .values(
                name=canonical,
                project="stable",
                image=repo,
                tag=tag,
                registry=registry,
                registry_id=registry_id,
                architecture="x86_64",
                config_digest="sha256:" + "0" * 64,
                size_bytes=1,
                type="COMPUTE",
                resources={},
                **values,
            )
            .returning(images.c.id)
        )
    assert isinstance(image_id, uuid.UUID)
    return image_id


async def _registry_id(engine: AsyncEngine) -> uuid.UUID:
    async with engine.begin() as conn:
        found = await conn.scalar(
            sa.select(images.c.registry_id).where(images.c.id == uuid.UUID(PYTHON39_X86))
        )
    assert isinstance(found, uuid.UUID)
    return found


@pytest_asyncio.fixture(loop_scope="session")
async def extra_images(manager: RunningManager) -> AsyncIterator[dict[str, uuid.UUID]]:
    """An operational image, a customized one of the superadmin, one of another registry."""
    engine = manager.root.db
    tag = uuid.uuid4().hex[:8]
    created = {
        "operational": await _add_image(
            engine,
            f"cr.backend.ai/stable/ops-{tag}:1.0",
            labels={"ai.backend.features": "operation batch"},
        ),
        "customized": await _add_image(
            engine,
            f"cr.backend.ai/stable/mine-{tag}:1.0",
            customized=True,
            creator_id=SUPERADMIN_UUID,
        ),
        "foreign": await _add_image(
            engine, f"cr.example.org/stable/other-{tag}:1.0", registry="cr.example.org"
        ),
    }
    try:
        yield created
    finally:
        async with engine.begin() as conn:
            ids = list(created.values())
            await conn.execute(sa.delete(image_aliases).where(image_aliases.c.image.in_(ids)))
            await conn.execute(sa.delete(images).where(images.c.id.in_(ids)))


async def test_image_visibility_by_role_and_kind(
    http: aiohttp.ClientSession, manager: RunningManager, extra_images: dict[str, uuid.UUID]
) -> None:
    query = "query($o: Boolean) { images(is_operation: $o) { id } }"

    async def visible(keys: tuple[str, str], is_operation: bool | None) -> set[str]:
        data = await gql_data(http, manager, query, {"o": is_operation}, keys=keys)
        return {item["id"] for item in data["images"]}

    ops, mine, foreign = (str(extra_images[k]) for k in ("operational", "customized", "foreign"))
    admin_default = await visible(SUPERADMIN, False)
    assert mine in admin_default and foreign in admin_default and ops not in admin_default
    # the reference lists operational images only when `is_operation` is null
    assert ops in await visible(SUPERADMIN, None)
    assert ops not in await visible(SUPERADMIN, True)
    # users see the registries their domain allows, and no one else's customized images
    user_default = await visible(USER, False)
    assert PYTHON39_X86 in user_default
    assert foreign not in user_default and mine not in user_default
    assert foreign not in await visible(DOMAIN_ADMIN, None)


async def test_image_by_reference_and_by_id(
    http: aiohttp.ClientSession, manager: RunningManager, extra_images: dict[str, uuid.UUID]
) -> None:
    by_ref = """query($r: String!, $a: String!) {
      image(reference: $r, architecture: $a) { id name architecture } }"""
    for reference in (PYTHON39, "python:3.9"):
        data = await gql_data(http, manager, by_ref, {"r": reference, "a": "x86_64"}, keys=USER)
        assert data["image"]["id"] == PYTHON39_X86
    arm = await gql_data(http, manager, by_ref, {"r": PYTHON39, "a": "aarch64"})
    assert arm["image"]["architecture"] == "aarch64"
    by_id = "query($id: String!) { image(id: $id) { id tag } }"
    data = await gql_data(http, manager, by_id, {"id": PYTHON39_X86}, keys=USER)
    assert data["image"] == {"id": PYTHON39_X86, "tag": "3.9-ubuntu20.04"}
    # the CLI's `get_image_id` first tries the id form with a name: that must be an error
    not_an_id = await gql(http, manager, by_id, {"id": "python:3.9"})
    assert any("not an image id" in m for m in error_messages(not_an_id))
    missing = await gql(http, manager, by_id, {"id": str(uuid.uuid4())})
    assert error_messages(missing)
    hidden = await gql(http, manager, by_id, {"id": str(extra_images["foreign"])}, keys=USER)
    assert error_messages(hidden)
    unknown = await gql(http, manager, by_ref, {"r": "no-such-image:1", "a": "x86_64"})
    assert error_messages(unknown)


ALIAS = """mutation($alias: String!, $target: String!) {
  alias_image(alias: $alias, target: $target) { ok msg } }"""
DEALIAS = "mutation($alias: String!) { dealias_image(alias: $alias) { ok msg } }"


async def test_alias_and_dealias(
    http: aiohttp.ClientSession, manager: RunningManager, extra_images: dict[str, uuid.UUID]
) -> None:
    alias = unique_name("py-alias")
    # variables may carry `architecture` although the operation does not declare it
    data = await gql_data(
        http, manager, ALIAS, {"alias": alias, "target": PYTHON39, "architecture": "x86_64"}
    )
    assert data["alias_image"] == {"ok": True, "msg": "success"}
    listed = await gql_data(http, manager, "query { images { id aliases } }")
    assert alias in {a for i in listed["images"] if i["id"] == PYTHON39_X86 for a in i["aliases"]}
    bad = await gql_data(http, manager, ALIAS, {"alias": unique_name("x"), "target": "nope:0"})
    assert bad["alias_image"]["ok"] is False and bad["alias_image"]["msg"]
    removed = await gql_data(http, manager, DEALIAS, {"alias": alias})
    assert removed["dealias_image"]["ok"] is True
    again = await gql_data(http, manager, DEALIAS, {"alias": alias})
    assert again["dealias_image"]["ok"] is False
    assert "No image alias" in again["dealias_image"]["msg"]


async def test_forget_image_by_reference_and_by_id(
    http: aiohttp.ClientSession, manager: RunningManager, extra_images: dict[str, uuid.UUID]
) -> None:
    engine = manager.root.db
    tag = uuid.uuid4().hex[:8]
    first = await _add_image(engine, f"cr.backend.ai/stable/forget-{tag}:1.0")
    second = await _add_image(engine, f"cr.backend.ai/stable/forget-{tag}:2.0")
    try:
        forget = """mutation($r: String!, $a: String!) {
          forget_image(reference: $r, architecture: $a) { ok msg image { id status } } }"""
        data = await gql_data(
            http, manager, forget, {"r": f"cr.backend.ai/stable/forget-{tag}:1.0", "a": "x86_64"}
        )
        assert data["forget_image"]["ok"] is True
        assert data["forget_image"]["image"] == {"id": str(first), "status": "DELETED"}
        by_id = """mutation($id: String!) {
          forget_image_by_id(image_id: $id) { ok msg image { id status } } }"""
        data = await gql_data(http, manager, by_id, {"id": str(second)})
        assert data["forget_image_by_id"]["image"]["status"] == "DELETED"
        listed = await gql_data(http, manager, "query { images { id } }")
        assert not {str(first), str(second)} & {i["id"] for i in listed["images"]}
        missing = await gql_data(http, manager, by_id, {"id": str(uuid.uuid4())})
        assert missing["forget_image_by_id"]["ok"] is False
        invalid = await gql_data(http, manager, by_id, {"id": "not-a-uuid"})
        assert invalid["forget_image_by_id"]["ok"] is False
    finally:
        async with engine.begin() as conn:
            await conn.execute(sa.delete(images).where(images.c.id.in_([first, second])))


@pytest.mark.parametrize("keys", [DOMAIN_ADMIN, USER], ids=["domain-admin", "user"])
async def test_image_mutations_are_refused_to_non_superadmins(
    http: aiohttp.ClientSession, manager: RunningManager, keys: tuple[str, str]
) -> None:
    for query, variables in (
        (ALIAS, {"alias": unique_name("nope"), "target": PYTHON39}),
        (DEALIAS, {"alias": "python"}),
        (
            """mutation($r: String!, $a: String!) {
              forget_image(reference: $r, architecture: $a) { ok } }""",
            {"r": PYTHON39, "a": "x86_64"},
        ),
        ("mutation($i: String!) { forget_image_by_id(image_id: $i) { ok } }", {"i": PYTHON39_X86}),
    ):
        result = await gql(http, manager, query, variables, keys=keys)
        assert any("superadmin" in m.lower() for m in error_messages(result)), result
    # nothing changed
    data = await gql_data(http, manager, IMAGES, {"is_operation": False})
    item = next(i for i in data["images"] if i["id"] == PYTHON39_X86)
    assert item["status"] == "ALIVE" and "python" in item["aliases"]


# --- storage volumes and folder hosts ---------------------------------------------------------

STORAGE_LIST = """query($limit: Int!, $offset: Int!, $filter: String, $order: String) {
  storage_volume_list(limit: $limit, offset: $offset, filter: $filter, order: $order) {
    items { id backend capabilities path fsprefix proxy name hardware_metadata usage }
    total_count } }"""
STORAGE_ONE = """query($vfolder_host: String!) {
  storage_volume(id: $vfolder_host) { id backend path fsprefix capabilities hardware_metadata } }"""


@pytest_asyncio.fixture(loop_scope="session")
async def keep_volumes(etcd: EtcdClient) -> AsyncIterator[EtcdClient]:
    """The test may rewrite `volumes/...`; what was there (e.g. the session's storage proxy,
    tests/integration/conftest.py) is put back afterwards."""
    saved = await etcd.get_prefix("volumes")
    try:
        yield etcd
    finally:
        await etcd.delete_prefix("volumes")
        if saved:
            await etcd.put_prefix("volumes", saved)


@pytest_asyncio.fixture(loop_scope="session")
async def volumes_config(keep_volumes: EtcdClient) -> AsyncIterator[EtcdClient]:
    """Declare two volumes of proxy `local` in etcd (volume1 the default host); a proxy
    without a manager API, so the manager takes etcd's word for its volumes."""
    etcd = keep_volumes
    await etcd.delete_prefix("volumes")
    await etcd.put_prefix(
        "volumes",
        {
            "default_host": "local:volume1",
            "proxies": {
                "local": {
                    "client_api": "http://127.0.0.1:6021",
                    "volumes": {
                        "volume1": {
                            "backend": "vfs",
                            "path": "/vfroot/local",
                            "capabilities": "vfolder,quota",
                        },
                        "volume2": {"backend": "xfs", "capabilities": "vfolder"},
                    },
                }
            },
        },
    )
    yield etcd


async def test_storage_volume_list_is_empty_without_configuration(
    http: aiohttp.ClientSession, manager: RunningManager, keep_volumes: EtcdClient
) -> None:
    etcd = keep_volumes
    await etcd.delete_prefix("volumes")
    data = await gql_data(
        http, manager, STORAGE_LIST, {"limit": 20, "offset": 0, "filter": None, "order": None}
    )
    assert data["storage_volume_list"] == {"items": [], "total_count": 0}
    missing = await gql(http, manager, STORAGE_ONE, {"vfolder_host": "local:volume1"})
    assert any("No storage volume" in m for m in error_messages(missing))


async def test_storage_volumes_from_etcd(
    http: aiohttp.ClientSession, manager: RunningManager, volumes_config: EtcdClient
) -> None:
    data = await gql_data(
        http, manager, STORAGE_LIST, {"limit": 1, "offset": 0, "filter": None, "order": None}
    )
    page = data["storage_volume_list"]
    assert page["total_count"] == 2
    assert page["items"] == [
        {
            "id": "local:volume1",
            "backend": "vfs",
            "capabilities": ["vfolder", "quota"],
            "path": "/vfroot/local",
            "fsprefix": None,
            "proxy": "local",
            "name": "volume1",
            "hardware_metadata": None,
            "usage": None,
        }
    ]
    second = await gql_data(
        http, manager, STORAGE_LIST, {"limit": 1, "offset": 1, "filter": None, "order": None}
    )
    assert [i["id"] for i in second["storage_volume_list"]["items"]] == ["local:volume2"]
    one = await gql_data(http, manager, STORAGE_ONE, {"vfolder_host": "local:volume2"})
    assert one["storage_volume"]["backend"] == "xfs"
    filtered = await gql(
        http, manager, STORAGE_LIST, {"limit": 1, "offset": 0, "filter": "x", "order": None}
    )
    assert error_messages(filtered)


@pytest.mark.parametrize("keys", [DOMAIN_ADMIN, USER], ids=["domain-admin", "user"])
async def test_storage_volumes_are_for_superadmins_only(
    http: aiohttp.ClientSession, manager: RunningManager, keys: tuple[str, str]
) -> None:
    listed = await gql(
        http,
        manager,
        STORAGE_LIST,
        {"limit": 5, "offset": 0, "filter": None, "order": None},
        keys=keys,
    )
    assert any("superadmin" in m for m in error_messages(listed)), listed
    one = await gql(http, manager, STORAGE_ONE, {"vfolder_host": "local:volume1"}, keys=keys)
    assert any("superadmin" in m for m in error_messages(one)), one


async def test_volume_config_parsing_tolerates_odd_trees() -> None:
    assert parse_volume_config({}).volumes == ()
    config = parse_volume_config(
        {
            "default_host": "p:v",
            "proxies": {"p": "not-a-dict", "q": {"volumes": {"x": "scalar"}}},
            "_types": {"user": "", "group": ""},
        }
    )
    assert [v.id for v in config.volumes] == ["p:v", "q:x"]
    assert config.vfolder_types == ("group", "user")
    assert parse_volume_config({"default_host": "no-colon"}).volumes == ()


@pytest.mark.parametrize(
    "keys", [SUPERADMIN, DOMAIN_ADMIN, USER], ids=["superadmin", "domain-admin", "user"]
)
async def test_folder_hosts_without_volume_configuration(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    keep_volumes: EtcdClient,
    keys: tuple[str, str],
) -> None:
    etcd = keep_volumes
    await etcd.delete_prefix("volumes")
    status, body = await rest_get(http, manager, "/folders/_/hosts", keys=keys)
    assert status == 200, body
    assert body["default"] is None
    assert body["allowed"] == ["local:volume1"]


async def test_folder_hosts_with_volume_configuration(
    http: aiohttp.ClientSession, manager: RunningManager, volumes_config: EtcdClient
) -> None:
    status, body = await rest_get(http, manager, "/folders/_/hosts", keys=USER)
    assert status == 200, body
    # volume2 is a known volume but nothing grants it; volume1 is granted and the default;
    # no proxy API to ask for usage: etcd's word for the backend and capabilities
    assert body == {
        "default": "local:volume1",
        "allowed": ["local:volume1"],
        "volume_info": {
            "local:volume1": {
                "backend": "vfs",
                "capabilities": ["vfolder", "quota"],
                "usage": {},
                "sftp_scaling_groups": [],
            }
        },
    }
    status, body = await rest_get(
        http, manager, f"/folders/_/hosts?group_id={DEFAULT_GROUP_ID}", keys=USER
    )
    assert status == 200 and body["allowed"] == ["local:volume1"]
    status, body = await rest_get(http, manager, "/folders/_/hosts?group_id=nope", keys=USER)
    assert status == 400, body


async def test_folder_hosts_drop_hosts_no_volume_backs(
    http: aiohttp.ClientSession, manager: RunningManager, keep_volumes: EtcdClient
) -> None:
    etcd = keep_volumes
    await etcd.delete_prefix("volumes")
    await etcd.put("volumes/default_host", "other:volume9")
    status, body = await rest_get(http, manager, "/folders/_/hosts")
    assert status == 200
    assert body["default"] is None and body["allowed"] == []


# --- resource slots -----------------------------------------------------------------------------


@pytest.mark.parametrize("keys", [SUPERADMIN, USER], ids=["superadmin", "user"])
async def test_resource_slots_from_the_table_when_etcd_has_none(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    etcd: EtcdClient,
    keys: tuple[str, str],
) -> None:
    saved = await etcd.get_prefix("config/resource_slots")
    await etcd.delete_prefix("config/resource_slots")
    try:
        status, body = await rest_get(http, manager, "/config/resource-slots", keys=keys)
        assert status == 200
        assert body == {"cpu": "count", "mem": "bytes"}
    finally:
        if saved:
            await etcd.put_prefix("config/resource_slots", saved)


async def test_resource_slots_from_etcd_and_details(
    http: aiohttp.ClientSession, manager: RunningManager, etcd: EtcdClient
) -> None:
    await etcd.put("config/resource_slots/cuda.shares", "count")
    try:
        status, body = await rest_get(http, manager, "/config/resource-slots", keys=USER)
        assert status == 200
        assert body == {"cpu": "count", "mem": "bytes", "cuda.shares": "count"}
        status, details = await rest_get(http, manager, "/config/resource-slots/details")
        assert status == 200
        assert details["mem"]["number_format"] == {"binary": True, "round_length": 0}
        assert details["cpu"]["human_readable_name"] == "CPU"
        assert details["cuda.shares"]["slot_name"] == "cuda.shares"
        status, narrowed = await rest_get(
            http, manager, "/config/resource-slots/details?sgroup=default"
        )
        assert status == 200 and set(narrowed) == {"cpu", "mem"}
    finally:
        await etcd.delete("config/resource_slots/cuda.shares")


async def test_vfolder_types(
    http: aiohttp.ClientSession, manager: RunningManager, keep_volumes: EtcdClient
) -> None:
    etcd = keep_volumes
    await etcd.delete_prefix("volumes")
    status, body = await rest_get(http, manager, "/config/vfolder-types", keys=USER)
    assert (status, body) == (200, ["user"])
    await etcd.put_prefix("volumes/_types", {"user": "", "group": ""})
    status, body = await rest_get(http, manager, "/config/vfolder-types")
    assert (status, body) == (200, ["group", "user"])


async def test_unsigned_requests_are_refused(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    for path in ("/config/resource-slots", "/config/vfolder-types", "/folders/_/hosts"):
        async with http.get(manager.base_url + path) as resp:
            assert resp.status in (400, 401), path


# --- query counts of compute_session_list -----------------------------------------------------

SESSION_LIST = """
query($limit: Int!, $offset: Int!, $status: String, $access_key: String,
      $filter: String, $order: String) {
  compute_session_list(limit: $limit, offset: $offset, status: $status, access_key: $access_key,
                       filter: $filter, order: $order) {
    items { name access_key priority id group_name type image status status_info
            status_changed result tag created_at occupying_slots
            containers { id agent occupied_slots } }
    total_count
  }
}"""


@pytest_asyncio.fixture(loop_scope="session")
async def sixty_sessions(manager: RunningManager) -> AsyncIterator[str]:
    """60 TERMINATED single-kernel sessions inserted directly; yields their name prefix."""
    engine = manager.root.db
    prefix = unique_name("qc")
    async with engine.begin() as conn:
        group_id = await conn.scalar(
            sa.select(scaling_groups.c.id).where(scaling_groups.c.name == "default")
        )
        session_rows = [
            {
                "id": uuid.uuid4(),
                "name": f"{prefix}-{i:02d}",
                "resource_group_id": group_id,
                "scaling_group_name": "default",
                "domain_name": "default",
                "domain_id": DEFAULT_DOMAIN_ID,
                "group_id": DEFAULT_GROUP_ID,
                "user_uuid": SUPERADMIN_UUID,
                "access_key": ADMIN_ACCESS_KEY,
                "images": [PYTHON39],
                "status": SessionStatus.TERMINATED,
                "status_history": {"TERMINATED": "2026-01-01T00:00:00+00:00"},
            }
            for i in range(60)
        ]
        await conn.execute(sa.insert(sessions), session_rows)
        await conn.execute(
            sa.insert(kernels),
            [
                {
                    "session_id": row["id"],
                    "session_name": row["name"],
                    "cluster_idx": 1,
                    "cluster_hostname": "main1",
                    "scaling_group": "default",
                    "resource_group_id": group_id,
                    "domain_name": "default",
                    "group_id": DEFAULT_GROUP_ID,
                    "user_uuid": SUPERADMIN_UUID,
                    "access_key": ADMIN_ACCESS_KEY,
                    "image": PYTHON39,
                    "registry": "cr.backend.ai",
                    "status": KernelStatus.TERMINATED,
                }
                for row in session_rows
            ],
        )
    ids = [row["id"] for row in session_rows]
    try:
        yield prefix
    finally:
        async with engine.begin() as conn:
            await conn.execute(sa.delete(kernels).where(kernels.c.session_id.in_(ids)))
            await conn.execute(sa.delete(sessions).where(sessions.c.id.in_(ids)))


class _StatementCounter:
    """Counts the SQL statements run for API requests (not by the background loops)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        task = asyncio.current_task()
        if task is None:
            return
        name = getattr(task.get_coro(), "__qualname__", "")
        # aiohttp runs the handler in its request task; graphql-core awaits async fields
        # in tasks of its own. The scheduler and sweepers run in neither.
        if name.startswith(("RequestHandler.", "ExecutionContext.")):
            self.statements.append(statement)


async def _count_statements(
    http: aiohttp.ClientSession, manager: RunningManager, limit: int, query: str = SESSION_LIST
) -> tuple[int, int]:
    counter = _StatementCounter()
    engine = manager.root.db.sync_engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        data = await gql_data(
            http,
            manager,
            query,
            {
                "limit": limit,
                "offset": 0,
                "status": "TERMINATED",
                "access_key": None,
                "filter": None,
                "order": None,
            },
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    return len(counter.statements), len(data["compute_session_list"]["items"])


async def test_compute_session_list_costs_the_same_queries_for_any_page_size(
    http: aiohttp.ClientSession, manager: RunningManager, sixty_sessions: str
) -> None:
    await _count_statements(http, manager, 5)  # warm caches (keypair, statement cache)
    small, small_items = await _count_statements(http, manager, 5)
    large, large_items = await _count_statements(http, manager, 50)
    assert (small_items, large_items) == (5, 50)
    assert small > 0
    assert large == small, f"limit 5 ran {small} statements, limit 50 ran {large}"


async def test_session_dependencies_cost_the_same_queries_for_any_page_size(
    http: aiohttp.ClientSession, manager: RunningManager, sixty_sessions: str
) -> None:
    engine = manager.root.db
    async with engine.begin() as conn:
        ids = list(
            (
                await conn.scalars(
                    sa.select(sessions.c.id)
                    .where(sessions.c.name.like(f"{sixty_sessions}-%"))
                    .order_by(sessions.c.name)
                )
            ).all()
        )
        await conn.execute(
            sa.insert(session_dependencies),
            [{"session_id": a, "depends_on": b} for a, b in zip(ids[1:], ids, strict=False)],
        )
    query = SESSION_LIST.replace("containers {", "dependencies { name id } containers {")
    try:
        await _count_statements(http, manager, 5, query)
        small, _ = await _count_statements(http, manager, 5, query)
        large, _ = await _count_statements(http, manager, 50, query)
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                sa.delete(session_dependencies).where(session_dependencies.c.session_id.in_(ids))
            )
    assert large == small, f"limit 5 ran {small} statements, limit 50 ran {large}"


async def test_agent_list_costs_the_same_queries_for_any_page_size(
    http: aiohttp.ClientSession, manager: RunningManager, fake_agents: list[str]
) -> None:
    counts = []
    for limit in (1, 1, 3):
        counter = _StatementCounter()
        engine = manager.root.db.sync_engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            await gql_data(
                http,
                manager,
                AGENT_LIST,
                {
                    "limit": limit,
                    "offset": 0,
                    "status": "ALIVE,LOST",
                    "scaling_group": None,
                    "filter": None,
                    "order": None,
                },
            )
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)
        counts.append(len(counter.statements))
    assert counts[1] == counts[2] and counts[1] > 0, counts


async def test_unreachable_etcd_is_a_service_error(manager: RunningManager) -> None:
    from tests.conftest import free_port

    dead = EtcdClient(host="127.0.0.1", port=free_port(), namespace="nowhere", timeout=0.5)
    service = StorageService(StorageRepository(manager.root.db, dead), StorageProxyPool(dead))
    with pytest.raises(ServiceUnavailable):
        await service.list_folder_hosts(
            ListFolderHostsAction(requester=_user_of(manager, USER_ACCESS_KEY))
        )


def _user_of(manager: RunningManager, access_key: str) -> AuthenticatedUser:
    return AuthenticatedUser(
        access_key=access_key,
        is_admin=False,
        resource_policy="default",
        rate_limit=1000,
        user_uuid=uuid.UUID("dfa9da54-4b28-432f-be29-c0d680c7a412"),
        email="user@lablup.com",
        role="user",
        domain_name="default",
    )
