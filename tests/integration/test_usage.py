"""Usage reports (`/resource/usage/*`, `/resource/stats/*`) summed from seeded kernels."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa

from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import association_groups_users, groups
from ai.backend.manager.types import KernelStatus
from tests.conftest import unique_name
from tests.integration.conftest import RunningManager
from tests.integration.test_resource_presets import (
    DEFAULT_GROUP_ID,
    DOMAIN_ADMIN,
    USER,
    USER2,
    USER2_UUID,
    SeededKernel,
    call,
    delete_sessions,
    insert_kernels,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

GiB = 2**30


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class UsageWorld:
    project: str
    project_id: uuid.UUID
    recent_start: datetime


@pytest_asyncio.fixture(loop_scope="session")
async def usage_world(manager: RunningManager) -> AsyncIterator[UsageWorld]:
    """Project `p`, with user2's kernels:

    - k1 2026-03-10 10:00 -> 03-12 10:00, cpu 2 / mem 4 GiB (3 days, "2 days, 0:00:00")
    - k2 2026-02-27 12:00 -> 03-01 01:00, cpu 1 / mem 1 GiB (overlaps March: 3 days)
    - k3 2026-04-02 -> 04-03, cpu 8 (April only)
    - k4 CANCELLED in March, cpu 16 (never ran: not reported)
    and, in the default project, k5 2026-03-05 -> 03-06, cpu 4.
    Plus, for the 30-day stats, k6 of user2 in `p`: from 26 h ago to 25 h ago, cpu 2.
    """
    engine = manager.root.db
    project = unique_name("p-usage")
    project_id = uuid.uuid4()
    recent_start = datetime.now(UTC) - timedelta(hours=26)
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(groups).values(
                id=project_id, name=project, domain_name="default", resource_policy="default"
            )
        )
        await conn.execute(
            sa.insert(association_groups_users).values(user_id=USER2_UUID, group_id=project_id)
        )

        def ended(start: str, end: str, cpu: int, mem: int, **kw: object) -> SeededKernel:
            return SeededKernel(
                status=kw.pop("status", KernelStatus.TERMINATED),  # type: ignore[arg-type]
                slots={"cpu": Decimal(cpu), "mem": Decimal(mem)},
                freed=True,
                created_at=at(start),
                terminated_at=at(end),
                group_id=kw.pop("group_id", project_id),  # type: ignore[arg-type]
            )

        session_ids = await insert_kernels(
            conn,
            [
                ended("2026-03-10T10:00:00", "2026-03-12T10:00:00", 2, 4 * GiB),
                ended("2026-02-27T12:00:00", "2026-03-01T01:00:00", 1, GiB),
                ended("2026-04-02T00:00:00", "2026-04-03T00:00:00", 8, GiB),
                ended(
                    "2026-03-20T00:00:00",
                    "2026-03-20T00:01:00",
                    16,
                    GiB,
                    status=KernelStatus.CANCELLED,
                ),
                ended(
                    "2026-03-05T00:00:00", "2026-03-06T00:00:00", 4, GiB, group_id=DEFAULT_GROUP_ID
                ),
                SeededKernel(
                    status=KernelStatus.TERMINATED,
                    slots={"cpu": Decimal(2), "mem": Decimal(GiB)},
                    freed=True,
                    created_at=recent_start,
                    terminated_at=recent_start + timedelta(hours=1),
                    group_id=project_id,
                ),
            ],
        )
    try:
        yield UsageWorld(project=project, project_id=project_id, recent_start=recent_start)
    finally:
        async with engine.begin() as conn:
            await delete_sessions(conn, session_ids)
            await conn.execute(
                sa.delete(association_groups_users).where(
                    association_groups_users.c.group_id == project_id
                )
            )
            await conn.execute(sa.delete(groups).where(groups.c.id == project_id))


# --- usage per month -----------------------------------------------------------------------------


async def test_usage_per_month_sums_the_kernels_of_the_month(
    manager: RunningManager, http: aiohttp.ClientSession, usage_world: UsageWorld
) -> None:
    path = f"/resource/usage/month?month=202603&group_ids={usage_world.project_id}"
    status, body = await call(http, manager, "GET", path)
    assert status == 200, body
    assert len(body) == 1
    entry = body[0]
    assert entry["g_id"] == str(usage_world.project_id)
    assert entry["g_name"] == usage_world.project
    assert entry["domain_name"] == "default"
    assert entry["g_cpu_allocated"] == 3.0
    assert entry["g_mem_allocated"] == 5 * GiB
    assert entry["g_device_type"] == []
    infos = sorted(entry["c_infos"], key=lambda c: c["created_at"])
    assert [c["cpu_allocated"] for c in infos] == [1.0, 2.0]
    assert [c["used_days"] for c in infos] == [3, 3]
    assert infos[1]["used_time"] == "2 days, 0:00:00"
    assert infos[1]["access_key"] == USER2[0]
    assert infos[1]["status"] == "TERMINATED"
    for key in ("name", "image_name", "created_at", "terminated_at", "smp", "mem_allocated"):
        assert key in infos[0]


async def test_usage_per_month_of_every_project_and_of_several(
    manager: RunningManager, http: aiohttp.ClientSession, usage_world: UsageWorld
) -> None:
    status, body = await call(http, manager, "GET", "/resource/usage/month?month=202603")
    assert status == 200
    by_id = {e["g_id"]: e for e in body}
    assert by_id[str(usage_world.project_id)]["g_cpu_allocated"] == 3.0
    assert by_id[str(DEFAULT_GROUP_ID)]["g_cpu_allocated"] >= 4.0
    ids = f"{usage_world.project_id},{DEFAULT_GROUP_ID}"
    status, body = await call(
        http, manager, "GET", f"/resource/usage/month?month=202604&group_ids={ids}"
    )
    assert status == 200
    assert [e["g_cpu_allocated"] for e in body] == [8.0]


async def test_usage_per_month_roles(
    manager: RunningManager, http: aiohttp.ClientSession, usage_world: UsageWorld
) -> None:
    path = f"/resource/usage/month?month=202603&group_ids={usage_world.project_id}"
    status, body = await call(http, manager, "GET", path, keys=DOMAIN_ADMIN)
    assert status == 200, body
    assert body[0]["g_cpu_allocated"] == 3.0
    status, _ = await call(http, manager, "GET", path, keys=USER)
    assert status == 403
    status, _ = await call(http, manager, "GET", path, keys=USER2)
    assert status == 403


@pytest.mark.parametrize(
    "query",
    ["month=2026-03", "month=202613", f"group_ids={DEFAULT_GROUP_ID}", "month=202603&group_ids=x"],
)
async def test_usage_per_month_rejects_bad_queries(
    manager: RunningManager, http: aiohttp.ClientSession, query: str
) -> None:
    status, body = await call(http, manager, "GET", f"/resource/usage/month?{query}")
    assert status == 400, body


# --- usage per period ----------------------------------------------------------------------------


async def test_usage_per_period_totals_per_project(
    manager: RunningManager, http: aiohttp.ClientSession, usage_world: UsageWorld
) -> None:
    path = (
        "/resource/usage/period?start_date=20260301&end_date=20260331"
        f"&group_id={usage_world.project_id}"
    )
    status, body = await call(http, manager, "GET", path)
    assert status == 200, body
    assert len(body) == 1
    item = body[0]
    assert item["project_id"] == str(usage_world.project_id)
    assert item["project_name"] == usage_world.project
    assert item["domain_name"] == "default"
    assert item["total_usage"]["cpu_allocated"] == 3.0
    assert item["total_usage"]["mem_allocated"] == 5 * GiB
    assert item["total_usage"]["device_type"] == []
    assert "gpu_allocated" in item["total_usage"]
    assert len(item["sessions"]) == 2
    # the end date is included: a kernel of 2026-04-02 shows up when the period ends then
    path = (
        "/resource/usage/period?start_date=20260402&end_date=20260402"
        f"&group_id={usage_world.project_id}"
    )
    status, body = await call(http, manager, "GET", path)
    assert status == 200
    assert body[0]["total_usage"]["cpu_allocated"] == 8.0


async def test_usage_per_period_roles_and_bad_input(
    manager: RunningManager, http: aiohttp.ClientSession, usage_world: UsageWorld
) -> None:
    good = "/resource/usage/period?start_date=20260301&end_date=20260331"
    status, _ = await call(http, manager, "GET", good, keys=DOMAIN_ADMIN)
    assert status == 200
    status, _ = await call(http, manager, "GET", good, keys=USER)
    assert status == 403
    for query in (
        "start_date=20260301&end_date=20260901",  # more than 100 days
        "start_date=20260310&end_date=20260301",  # ends before it starts
        "start_date=2026-03-01&end_date=20260331",
        "start_date=20260301",
        "start_date=20260301&end_date=20260331&group_id=nope",
    ):
        status, body = await call(http, manager, "GET", f"/resource/usage/period?{query}")
        assert status == 400, (query, body)


# --- month stats ---------------------------------------------------------------------------------


async def test_user_month_stats_bins_the_callers_kernels(
    manager: RunningManager, http: aiohttp.ClientSession, usage_world: UsageWorld
) -> None:
    status, body = await call(http, manager, "GET", "/resource/stats/user/month", keys=USER2)
    assert status == 200, body
    assert len(body) == 2880
    first = body[0]
    assert set(first) == {
        "date",
        "num_sessions",
        "cpu_allocated",
        "mem_allocated",
        "gpu_allocated",
        "io_read_bytes",
        "io_write_bytes",
        "disk_used",
    }
    assert first["mem_allocated"]["unit_hint"] == "bytes"
    busy = [p for p in body if p["num_sessions"]["value"]]
    # one hour spans four or five 15-minute bins
    assert 4 <= len(busy) <= 5
    assert all(p["cpu_allocated"]["value"] == 2 for p in busy)
    assert all(p["mem_allocated"]["value"] == GiB for p in busy)
    assert busy[0]["date"] <= usage_world.recent_start.timestamp() < busy[0]["date"] + 900
    # another user's history does not include user2's kernel
    status, body = await call(http, manager, "GET", "/resource/stats/user/month", keys=USER)
    assert status == 200
    assert not any(p["cpu_allocated"]["value"] == 2 and p["date"] == busy[0]["date"] for p in body)


async def test_admin_month_stats_for_superadmins_only(
    manager: RunningManager, http: aiohttp.ClientSession, usage_world: UsageWorld
) -> None:
    status, body = await call(http, manager, "GET", "/resource/stats/admin/month")
    assert status == 200
    assert len(body) == 2880
    assert max(p["num_sessions"]["value"] for p in body) >= 1
    for keys in (DOMAIN_ADMIN, USER):
        status, _ = await call(http, manager, "GET", "/resource/stats/admin/month", keys=keys)
        assert status == 403


async def test_recalculate_usage_is_a_superadmin_no_op(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, manager, "POST", "/resource/recalculate-usage")
    assert (status, body) == (200, {})
    status, _ = await call(http, manager, "POST", "/resource/recalculate-usage", keys=USER)
    assert status == 403


@pytest_asyncio.fixture(loop_scope="session")
async def other_domain_project(manager: RunningManager) -> AsyncIterator[uuid.UUID]:
    """A project of another domain with one kernel in March 2026 (cpu 32)."""
    engine = manager.root.db
    domain = unique_name("dom-usage")
    domain_id = uuid.uuid4()
    project_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(sa.insert(domains).values(name=domain, id=domain_id))
        await conn.execute(
            sa.insert(groups).values(
                id=project_id, name="elsewhere", domain_name=domain, resource_policy="default"
            )
        )
        session_ids = await insert_kernels(
            conn,
            [
                SeededKernel(
                    status=KernelStatus.TERMINATED,
                    slots={"cpu": Decimal(32), "mem": Decimal(GiB)},
                    freed=True,
                    created_at=at("2026-03-15T00:00:00"),
                    terminated_at=at("2026-03-15T01:00:00"),
                    group_id=project_id,
                    domain_name=domain,
                    domain_id=domain_id,
                )
            ],
        )
    try:
        yield project_id
    finally:
        async with engine.begin() as conn:
            await delete_sessions(conn, session_ids)
            await conn.execute(sa.delete(groups).where(groups.c.id == project_id))
            await conn.execute(sa.delete(domains).where(domains.c.id == domain_id))


async def test_a_domain_admin_sees_only_the_projects_of_their_domain(
    manager: RunningManager,
    http: aiohttp.ClientSession,
    usage_world: UsageWorld,
    other_domain_project: uuid.UUID,
) -> None:
    status, body = await call(http, manager, "GET", "/resource/usage/month?month=202603")
    assert status == 200
    assert str(other_domain_project) in {e["g_id"] for e in body}
    status, body = await call(
        http, manager, "GET", "/resource/usage/month?month=202603", keys=DOMAIN_ADMIN
    )
    assert status == 200
    seen = {e["g_id"] for e in body}
    assert str(usage_world.project_id) in seen
    assert str(other_domain_project) not in seen
    assert {e["domain_name"] for e in body} == {"default"}
    path = f"/resource/usage/month?month=202603&group_ids={other_domain_project}"
    status, _ = await call(http, manager, "GET", path, keys=DOMAIN_ADMIN)
    assert status == 403
    path = (
        "/resource/usage/period?start_date=20260301&end_date=20260331"
        f"&group_id={other_domain_project}"
    )
    status, _ = await call(http, manager, "GET", path, keys=DOMAIN_ADMIN)
    assert status == 403
    status, body = await call(http, manager, "GET", path)
    assert status == 200
    assert body[0]["total_usage"]["cpu_allocated"] == 32.0
