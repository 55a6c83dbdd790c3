"""The `filter`/`order` mini-languages on every paged list, and the agents' live statistics.

Each list is checked for matching rows with an exact `total_count`, orders, clear errors for
bad expressions (a GraphQL error, never an internal one), and a number of SQL statements per
page that a filter does not change.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgpack  # type: ignore[import-untyped]
import pytest_asyncio
import sqlalchemy as sa
from redis.asyncio import Redis

from ai.backend.manager.clients.redis.connection import RedisConnection
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.scaling_group import scaling_groups
from ai.backend.manager.models.session import sessions
from tests.integration.conftest import RunningManager
from tests.integration.test_admin_accounts import (
    DEFAULT_GROUP,
    DOMAIN_ADMIN,
    KEYPAIR_LIST,
    USER,
    USER_LIST,
    counted_statements,
    data,
    other_domain,
    refused,
    sql_user,
)
from tests.integration.test_admin_catalog import (  # noqa: F401 (fixtures)
    AGENT_LIST,
    STORAGE_LIST,
    fake_agents,
    keep_volumes,
    volumes_config,
)

SESSION_LIST = (
    "query($limit: Int!, $offset: Int!, $status: String, $access_key: String,"
    " $filter: String, $order: String) { compute_session_list(limit: $limit, offset: $offset,"
    " status: $status, access_key: $access_key, filter: $filter, order: $order) {"
    " items { id name status image priority access_key } total_count } }"
)


def tag() -> str:
    return "f" + secrets.token_hex(4)


async def page(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    query: str,
    root: str,
    as_: dict[str, str] | None = None,
    **variables: Any,
) -> dict[str, Any]:
    """Every page of a list (limit 2, so that paging is exercised), joined; asserts the total
    stays consistent with the items."""
    items: list[dict[str, Any]] = []
    offset = 0
    totals = set()
    while True:
        extra = {"as_": as_} if as_ is not None else {}
        result = await data(
            http, manager, query, {"limit": 2, "offset": offset, **variables}, **extra
        )
        listing = result[root]
        totals.add(listing["total_count"])
        items.extend(listing["items"])
        offset += len(listing["items"])
        if not listing["items"] or offset >= listing["total_count"]:
            break
    assert len(totals) == 1 and totals == {len(items)}, (totals, len(items))
    return {"items": items, "total_count": len(items)}


# --- user_list ----------------------------------------------------------------------------------


async def test_user_list_filter_expressions(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    t = tag()
    a, _, _, _ = await sql_user(manager, email=f"a-{t}@{t}.local", group_id=DEFAULT_GROUP)
    b, b_key, _, _ = await sql_user(manager, email=f"b-{t}@{t}.local", role="admin")
    c, _, _, c_uuid = await sql_user(manager, email=f"c-{t}@{t}.local", group_id=DEFAULT_GROUP)
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.text("UPDATE users SET status = 'inactive' WHERE uuid = :u"), {"u": c_uuid}
        )

    async def emails(expression: str, order: str | None = None) -> list[str]:
        listed = await page(http, manager, USER_LIST, "user_list", filter=expression, order=order)
        return [u["email"] for u in listed["items"]]

    mine = f'email ilike "%@{t.upper()}.LOCAL"'
    assert await emails(mine, "email") == [a, b, c]
    assert await emails(mine, "-email") == [c, b, a]
    assert await emails(f'{mine} & status == "ACTIVE"', "email") == [a, b]
    assert await emails(f'{mine} & status == "inactive"') == [c]
    assert await emails(f"{mine} & is_active == false") == [c]
    assert await emails(f'{mine} & role in ["ADMIN", "superadmin"]') == [b]
    assert await emails(f'{mine} & project_name == "default"', "email") == [a, c]
    assert await emails(f'{mine} & !project_name == "default"') == [b]
    assert await emails(f'{mine} & main_access_key == "{b_key}"') == [b]
    assert await emails(f'{mine} & (email contains "a-" | email contains "c-")', "-email") == [
        c,
        a,
    ]
    assert await emails(f'{mine} & created_at > "2000-01-01T00:00:00Z"', "email") == [a, b, c]
    assert await emails(f'{mine} & created_at < "2000-01-01"') == []
    assert await emails(f'{mine} & full_name like "Full a-%"') == [a]
    # filters narrow what the role may see; they never widen it
    domain, group_id = await other_domain(manager)
    stranger, *_ = await sql_user(manager, domain=domain, email=f"d-{t}@{t}.local")
    assert await emails(mine, "email") == [a, b, c, stranger]
    as_domain_admin = await page(
        http, manager, USER_LIST, "user_list", as_=DOMAIN_ADMIN, filter=mine, order="email"
    )
    assert [u["email"] for u in as_domain_admin["items"]] == [a, b, c]
    _ = group_id


async def test_user_list_refuses_bad_expressions_clearly(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    for variables, fragment in (
        ({"filter": 'nickname == "x"'}, "Unknown field `nickname` in the filter"),
        ({"filter": 'email = "x"'}, "Invalid filter expression at column 7"),
        ({"filter": 'status == "sleepy"'}, "'sleepy' is not one of ACTIVE"),
        ({"filter": 'created_at > "last week"'}, "not an ISO 8601"),
        ({"filter": "email == 42"}, 'expects a "string"'),
        ({"filter": 'uuid == "nope"'}, "not a UUID"),
        ({"filter": '(email == "x"'}, "expected `)`"),
        ({"order": "password"}, "Unknown field `password` in the order"),
        ({"order": "email,"}, "Invalid order expression"),
        ({"order": "project_name"}, "cannot be ordered by"),
    ):
        message = await refused(
            http, manager, USER_LIST, {"limit": 5, "offset": 0, **variables}, as_=DOMAIN_ADMIN
        )
        assert fragment in message, (variables, message)
    message = await refused(
        http, manager, USER_LIST, {"limit": 5, "offset": 0, "filter": 'email == "x"'}, as_=USER
    )
    assert "administrators" in message


# --- keypair_list -------------------------------------------------------------------------------


async def test_keypair_list_filter_expressions(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    t = tag()
    a, a_key, _, _ = await sql_user(manager, email=f"a-{t}@{t}.local", group_id=DEFAULT_GROUP)
    b, b_key, _, b_uuid = await sql_user(manager, email=f"b-{t}@{t}.local")
    async with manager.root.db.begin() as conn:
        await conn.execute(
            sa.update(keypairs)
            .where(keypairs.c.access_key == b_key)
            .values(rate_limit=7, is_active=False)
        )

    async def keys(expression: str, order: str | None = None) -> list[str]:
        listed = await page(
            http, manager, KEYPAIR_LIST, "keypair_list", filter=expression, order=order
        )
        return [k["access_key"] for k in listed["items"]]

    mine = f'email like "%@{t}.local"'
    assert await keys(mine, "email") == [a_key, b_key]
    assert await keys(mine, "-email") == [b_key, a_key]
    assert await keys(f"{mine} & rate_limit < 100") == [b_key]
    assert await keys(f"{mine} & is_active == true") == [a_key]
    assert await keys(f'{mine} & projects == "default"') == [a_key]
    assert await keys(f"{mine} & projects is null") == [b_key]
    assert await keys(f'{mine} & user_id == "{b_uuid}"') == [b_key]
    assert await keys(f'{mine} & full_name ilike "full b-%"') == [b_key]
    assert await keys(mine, "projects,email") == [a_key, b_key]
    for variables, fragment in (
        ({"filter": "rate_limit < 1.5"}, "whole number"),
        ({"filter": 'secret_key == "x"'}, "Unknown field `secret_key`"),
        ({"order": "secret_key"}, "Unknown field `secret_key` in the order"),
    ):
        message = await refused(
            http, manager, KEYPAIR_LIST, {"limit": 5, "offset": 0, **variables}, as_=DOMAIN_ADMIN
        )
        assert fragment in message, (variables, message)
    _ = (a, b)


async def test_filtered_pages_cost_a_constant_number_of_statements(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    t = tag()
    for i in range(55):
        await sql_user(manager, email=f"{i:02}-{t}@{t}.local", group_id=DEFAULT_GROUP)
    expression = f'email like "%@{t}.local" & project_name == "default" & status == "active"'
    kp_expression = f'email like "%@{t}.local" & projects == "default" & rate_limit > 0'
    costs: dict[tuple[str, int], int] = {}
    for name, query, flt in (
        ("user_list", USER_LIST, expression),
        ("keypair_list", KEYPAIR_LIST, kp_expression),
    ):
        for limit in (5, 50):
            variables = {"limit": limit, "offset": 0, "filter": flt, "order": "-email"}
            await data(http, manager, query, variables)  # warm the caches
            runs = []
            for _ in range(3):
                with counted_statements(manager) as statements:
                    result = await data(http, manager, query, variables)
                assert len(result[name]["items"]) == limit
                assert result[name]["total_count"] == 55
                runs.append(len(statements))
            costs[(name, limit)] = min(runs)
    assert costs[("user_list", 5)] == costs[("user_list", 50)], costs
    assert costs[("keypair_list", 5)] == costs[("keypair_list", 50)], costs


# --- compute_session_list -----------------------------------------------------------------------


async def _sessions(manager: RunningManager, t: str) -> dict[str, uuid.UUID]:
    """Three sessions of the user account, inserted directly (names `<t>-a` ...)."""
    specs = {
        f"{t}-a": ("RUNNING", ["cr.backend.ai/stable/python:3.9"], ["i-x"], 5),
        f"{t}-b": ("PENDING", ["cr.backend.ai/stable/python:3.11"], None, 10),
        f"{t}-c": ("TERMINATED", ["cr.backend.ai/stable/python:3.9"], ["i-y", "i-x"], 1),
    }
    created: dict[str, uuid.UUID] = {}
    async with manager.root.db.begin() as conn:
        sgroup = (
            await conn.execute(
                sa.select(scaling_groups.c.id, scaling_groups.c.name).where(
                    scaling_groups.c.name == "default"
                )
            )
        ).one()
        domain_id = (
            await conn.execute(sa.select(domains.c.id).where(domains.c.name == "default"))
        ).scalar_one()
        user_uuid = (
            await conn.execute(
                sa.text('SELECT "user" FROM keypairs WHERE access_key = :k'),
                {"k": USER["access_key"]},
            )
        ).scalar_one()
        for name, (status, images, agent_ids, priority) in specs.items():
            created[name] = (
                await conn.execute(
                    sa.insert(sessions)
                    .values(
                        name=name,
                        resource_group_id=sgroup.id,
                        scaling_group_name=sgroup.name,
                        domain_name="default",
                        domain_id=domain_id,
                        group_id=DEFAULT_GROUP,
                        user_uuid=user_uuid,
                        access_key=USER["access_key"],
                        status=status,
                        images=images,
                        agent_ids=agent_ids,
                        priority=priority,
                        status_history={"SCHEDULED": "2026-01-02T03:04:05+00:00"}
                        if agent_ids
                        else None,
                    )
                    .returning(sessions.c.id)
                )
            ).scalar_one()
    return created


@pytest_asyncio.fixture(loop_scope="session")
async def user_sessions(manager: RunningManager) -> AsyncIterator[str]:
    """The tag of three sessions of the user account; deleted afterwards, so that later tests
    (quotas, the scheduler) do not count them."""
    t = tag()
    created = await _sessions(manager, t)
    try:
        yield t
    finally:
        async with manager.root.db.begin() as conn:
            await conn.execute(sa.delete(sessions).where(sessions.c.id.in_(created.values())))


async def test_compute_session_list_filter_expressions(
    http: aiohttp.ClientSession, manager: RunningManager, user_sessions: str
) -> None:
    t = user_sessions
    any_status = "PENDING,RUNNING,TERMINATED"

    async def names(expression: str, order: str | None = "name", **extra: Any) -> list[str]:
        listed = await page(
            http,
            manager,
            SESSION_LIST,
            "compute_session_list",
            filter=f'name like "{t}-%" & ({expression})',
            order=order,
            status=any_status,
            **extra,
        )
        return [s["name"] for s in listed["items"]]

    assert await names('status == "RUNNING"') == [f"{t}-a"]
    assert await names('status in ["running", "PENDING"]') == [f"{t}-a", f"{t}-b"]
    assert await names('image == "cr.backend.ai/stable/python:3.9"') == [f"{t}-a", f"{t}-c"]
    assert await names('image like "%:3.11"') == [f"{t}-b"]
    assert await names('agent_id == "i-x"') == [f"{t}-a", f"{t}-c"]
    assert await names("agents is null") == [f"{t}-b"]
    assert await names("priority >= 5", order="-priority") == [f"{t}-b", f"{t}-a"]
    assert await names('group_name == "default" & user_email == "user@lablup.com"') == [
        f"{t}-a",
        f"{t}-b",
        f"{t}-c",
    ]
    assert await names('scheduled_at > "2026-01-01"') == [f"{t}-a", f"{t}-c"]
    assert await names('type == "INTERACTIVE" & result == "undefined"') == [
        f"{t}-a",
        f"{t}-b",
        f"{t}-c",
    ]
    # the `status` argument still applies, and users see only their own sessions
    listed = await page(
        http,
        manager,
        SESSION_LIST,
        "compute_session_list",
        as_=USER,
        filter=f'name like "{t}-%"',
        order="-name",
        status="RUNNING,PENDING",
    )
    assert [s["name"] for s in listed["items"]] == [f"{t}-b", f"{t}-a"]
    for variables, fragment in (
        ({"filter": 'status == "SNOOZING"'}, "not one of PENDING"),
        ({"filter": 'priority == "high"'}, "expects a number"),
        ({"filter": "image < null"}, "cannot compare with null"),
        ({"order": "image_id"}, "Unknown field `image_id` in the order"),
        ({"order": "startup_command"}, "cannot be ordered by"),
    ):
        message = await refused(
            http, manager, SESSION_LIST, {"limit": 5, "offset": 0, **variables}, as_=USER
        )
        assert fragment in message, (variables, message)


# --- agent_list and live statistics -------------------------------------------------------------


async def test_agent_list_filter_expressions(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    fake_agents: list[str],  # noqa: F811
) -> None:
    a, b, c = fake_agents
    prefix = a.rsplit("-", 1)[0]

    async def ids(
        expression: str, order: str | None = "id", status: str | None = None
    ) -> list[str]:
        listed = await page(
            http,
            manager,
            AGENT_LIST,
            "agent_list",
            filter=f'id like "{prefix}-%" & ({expression})',
            order=order,
            status=status,
            scaling_group=None,
        )
        return [i["id"] for i in listed["items"]]

    assert await ids('status == "LOST"') == [c]
    assert await ids('status in ["ALIVE", "lost"]', order="-id") == [c, b, a]
    assert await ids('addr ilike "TCP://127.0.0.1:610%" & !status == "LOST"') == [a, b]
    assert await ids("schedulable == false & lost_at is null") == [a, b, c]
    assert await ids('version == "26.9.6"', status="ALIVE") == [a, b]
    assert await ids('first_contact > "2000-01-01T00:00:00+09:00"', order="-first_contact,id")
    message = await refused(
        http,
        manager,
        AGENT_LIST,
        {"limit": 5, "offset": 0, "filter": "schedulable == 1"},
        as_={"access_key": USER["access_key"], "secret_key": USER["secret_key"]},
    )
    assert "superadmin" in message


def _node_stats(cpu_pct: str, mem_current: str) -> bytes:
    """Node statistics packed the way agents write them (strings for the decimals)."""
    stat = {
        "node": {
            "cpu_util": {
                "current": "150.00",
                "capacity": "400",
                "pct": cpu_pct,
                "unit_hint": "msec",
                "stats.max": "200.00",
            },
            "mem": {
                "current": mem_current,
                "capacity": "8589934592",
                "pct": "50.00",
                "unit_hint": "bytes",
            },
        },
        "devices": {"cpu_util": {"0": {"current": "75.00", "capacity": None, "pct": "75.00"}}},
    }
    packed: bytes = msgpack.packb(stat, use_bin_type=True)
    return packed


@pytest_asyncio.fixture(loop_scope="session")
async def stat_redis(redis_port: int) -> AsyncIterator[RedisConnection]:
    """The statistics DB (0) of the test session's Redis, where agents write node stats."""
    client: RedisConnection = Redis(port=redis_port, db=0)
    try:
        yield client
    finally:
        await client.aclose()


async def test_agents_report_live_statistics_from_redis(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    fake_agents: list[str],  # noqa: F811
    stat_redis: RedisConnection,
) -> None:
    a, b, _ = fake_agents
    await stat_redis.set(a, _node_stats("37.50", "4294967296"), ex=60)
    await stat_redis.set(b, b"\xc1 not msgpack", ex=60)  # an agent's garbage is ignored
    try:
        listed = await page(
            http,
            manager,
            AGENT_LIST,
            "agent_list",
            filter=f'id in ["{a}", "{b}"]',
            order="id",
            status="ALIVE",
            scaling_group=None,
        )
        first, second = listed["items"]
        assert first["cpu_cur_pct"] == 37.5
        assert first["mem_cur_bytes"] == 4294967296
        live = json.loads(first["live_stat"])
        assert live["node"]["cpu_util"]["pct"] == "37.50"
        assert live["devices"]["cpu_util"]["0"]["current"] == "75.00"
        assert second["cpu_cur_pct"] == 0 and second["mem_cur_bytes"] == 0
        assert second["live_stat"] is None
        one = await data(
            http,
            manager,
            "query($id: String!) { agent(agent_id: $id) { cpu_cur_pct mem_cur_bytes live_stat } }",
            {"id": a},
        )
        assert one["agent"]["cpu_cur_pct"] == 37.5
        assert json.loads(one["agent"]["live_stat"]) == live
    finally:
        await stat_redis.delete(a, b)


# --- storage_volume_list (in memory) ------------------------------------------------------------


async def test_storage_volume_list_filters_and_orders_in_memory(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    volumes_config: Any,  # noqa: F811
) -> None:
    async def ids(expression: str | None, order: str | None = None) -> list[str]:
        listed = await page(
            http, manager, STORAGE_LIST, "storage_volume_list", filter=expression, order=order
        )
        return [v["id"] for v in listed["items"]]

    assert await ids(None) == ["local:volume1", "local:volume2"]
    assert await ids(None, "-id") == ["local:volume2", "local:volume1"]
    assert await ids('backend == "xfs"') == ["local:volume2"]
    assert await ids('capabilities == "quota"') == ["local:volume1"]
    assert await ids('proxy == "local" & !name == "volume1"') == ["local:volume2"]
    assert await ids('id like "nowhere:%"') == []
    for variables, fragment in (
        ({"filter": "size > 1"}, "Unknown field `size`"),
        ({"order": "capabilities"}, "cannot be ordered by"),
        ({"filter": "backend =="}, "Invalid filter expression"),
    ):
        message = await refused(
            http, manager, STORAGE_LIST, {"limit": 5, "offset": 0, **variables}, as_=ADMIN_KEYS
        )
        assert fragment in message, (variables, message)


ADMIN_KEYS = {
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
