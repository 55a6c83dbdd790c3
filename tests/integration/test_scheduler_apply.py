"""The scheduler's plan applier on a real PostgreSQL: the whole plan in one batch when it still
holds, session by session (skipping the losers) when something moved under it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.config.local import DatabaseConfig
from ai.backend.manager.data.session import KernelSpec, SessionSpec
from ai.backend.manager.models.agent import agent_resources, agents
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.group import groups
from ai.backend.manager.models.image import images
from ai.backend.manager.models.kernel import kernels
from ai.backend.manager.models.keypair import keypairs
from ai.backend.manager.models.scaling_group import scaling_groups
from ai.backend.manager.models.session import sessions
from ai.backend.manager.repositories.agent import AgentRepository
from ai.backend.manager.repositories.db import create_engine
from ai.backend.manager.repositories.scheduler import SchedulerRepository
from ai.backend.manager.repositories.session import SessionRepository
from ai.backend.manager.sokovan.scheduler.types import (
    KernelPlacement,
    SchedulingPlan,
    SchedulingSnapshot,
    SessionPlacement,
)
from ai.backend.manager.types import ClusterMode, KernelStatus, SessionStatus, SessionTypes
from tests.conftest import sample_database

GROUP = "default"
ONE_CORE = {"cpu": Decimal(1), "mem": Decimal(2**30)}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def engine(pg_admin_dsn: str) -> AsyncIterator[AsyncEngine]:
    """A database of this module's own: no manager schedules its sessions behind our back."""
    config: DatabaseConfig
    async with sample_database(pg_admin_dsn) as config:
        engine = create_engine(config)
        try:
            yield engine
        finally:
            await engine.dispose()


async def add_agent(engine: AsyncEngine, agent_id: str, cpu: int) -> None:
    agent_uuid = uuid.uuid4()
    async with engine.begin() as conn:
        group_id = await conn.scalar(
            sa.select(scaling_groups.c.id).where(scaling_groups.c.name == GROUP)
        )
        await conn.execute(
            sa.insert(agents).values(
                id=agent_id,
                uuid=agent_uuid,
                region="local",
                scaling_group=GROUP,
                resource_group_id=group_id,
                addr=f"tcp://{agent_id}:6001",
                version="26.9.6",
                architecture="x86_64",
            )
        )
        await conn.execute(
            sa.insert(agent_resources),
            [
                {
                    "agent_id": agent_id,
                    "agent_uuid": agent_uuid,
                    "slot_name": "cpu",
                    "capacity": Decimal(cpu),
                },
                {
                    "agent_id": agent_id,
                    "agent_uuid": agent_uuid,
                    "slot_name": "mem",
                    "capacity": Decimal(cpu * 2**30),
                },
            ],
        )


async def enqueue(engine: AsyncEngine, name: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A pending single-kernel session of the superadmin; (session id, kernel id)."""
    async with engine.connect() as conn:
        owner = (
            await conn.execute(
                sa.select(keypairs.c.access_key, keypairs.c.user, domains.c.id.label("domain_id"))
                .select_from(keypairs.join(domains, domains.c.name == "default"))
                .where(keypairs.c.access_key == "AKIAIOSFODNN7EXAMPLE")
            )
        ).one()
        project_id = await conn.scalar(sa.select(groups.c.id).where(groups.c.name == "default"))
        group_id = await conn.scalar(
            sa.select(scaling_groups.c.id).where(scaling_groups.c.name == GROUP)
        )
        image = (await conn.execute(sa.select(images.c.id, images.c.name).limit(1))).one()
    session_id, kernel_id = uuid.uuid4(), uuid.uuid4()
    await SessionRepository(engine).enqueue(
        SessionSpec(
            session_id=session_id,
            creation_id=uuid.uuid4().hex[:22],
            name=name,
            session_type=SessionTypes.INTERACTIVE,
            priority=10,
            cluster_mode=ClusterMode.SINGLE_NODE,
            cluster_size=1,
            resource_group_id=group_id,
            scaling_group_name=GROUP,
            domain_name="default",
            domain_id=owner.domain_id,
            group_id=project_id,
            user_uuid=owner.user,
            access_key=owner.access_key,
            tag=None,
            environ={},
            bootstrap_script=None,
            startup_command=None,
            callback_url=None,
            requested_starts_at=None,
            batch_timeout=None,
            designated_agent_ids=None,
            dependencies=[],
            kernels=[
                KernelSpec(
                    kernel_id=kernel_id,
                    cluster_role="main",
                    cluster_idx=1,
                    local_rank=0,
                    cluster_hostname="main1",
                    image=image.name,
                    image_id=image.id,
                    architecture="x86_64",
                    registry="cr.backend.ai",
                    requested_slots=dict(ONE_CORE),
                    resource_opts={},
                )
            ],
        )
    )
    return session_id, kernel_id


def fixed_plan(*placements: tuple[uuid.UUID, uuid.UUID, str]) -> SchedulingPlan:
    return SchedulingPlan(
        placements=tuple(
            SessionPlacement(
                session_id=session_id,
                kernels=(
                    KernelPlacement(
                        kernel_id=kernel_id,
                        agent_id=agent_id,
                        agent_addr=f"tcp://{agent_id}:6001",
                        slots=dict(ONE_CORE),
                    ),
                ),
            )
            for session_id, kernel_id, agent_id in placements
        )
    )


async def used_cpu(engine: AsyncEngine, agent_id: str) -> Decimal:
    async with engine.connect() as conn:
        used = await conn.scalar(
            sa.select(agent_resources.c.used).where(
                agent_resources.c.agent_id == agent_id, agent_resources.c.slot_name == "cpu"
            )
        )
    assert used is not None
    return Decimal(used)


async def statuses(engine: AsyncEngine, session_ids: list[uuid.UUID]) -> list[str]:
    async with engine.connect() as conn:
        rows = dict(
            (
                await conn.execute(
                    sa.select(sessions.c.id, sessions.c.status).where(
                        sessions.c.id.in_(session_ids)
                    )
                )
            ).all()
        )
    return [rows[sid].name for sid in session_ids]


async def test_a_plan_that_holds_is_applied_whole(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def one_by_one(*args: object, **kwargs: object) -> None:
        raise AssertionError("the session-by-session path ran for a plan that holds")

    monkeypatch.setattr(SchedulerRepository, "_apply_placement", one_by_one)
    await add_agent(engine, "i-batch-a", cpu=4)
    await add_agent(engine, "i-batch-b", cpu=4)
    queued = [await enqueue(engine, f"batch-{i}") for i in range(5)]
    plan = fixed_plan(
        *((sid, kid, "i-batch-a" if i < 3 else "i-batch-b") for i, (sid, kid) in enumerate(queued))
    )

    def planner(snapshot: SchedulingSnapshot) -> SchedulingPlan:
        assert {s.session_id for s in snapshot.pending} >= {sid for sid, _ in queued}
        return plan

    result = await SchedulerRepository(engine).run_pass(GROUP, planner, now=datetime.now(UTC))
    assert sorted(result.scheduled) == sorted(sid for sid, _ in queued)
    assert result.lost_race == 0
    assert await used_cpu(engine, "i-batch-a") == 3
    assert await used_cpu(engine, "i-batch-b") == 2
    assert await statuses(engine, [sid for sid, _ in queued]) == ["SCHEDULED"] * 5
    async with engine.connect() as conn:
        placed = dict(
            (
                await conn.execute(
                    sa.select(kernels.c.id, kernels.c.agent).where(
                        kernels.c.id.in_([kid for _, kid in queued])
                    )
                )
            ).all()
        )
        agent_ids = await conn.scalar(
            sa.select(sessions.c.agent_ids).where(sessions.c.id == queued[4][0])
        )
        kernel_status = await conn.scalar(
            sa.select(kernels.c.status).where(kernels.c.id == queued[0][1])
        )
    assert [placed[kid] for _, kid in queued] == ["i-batch-a"] * 3 + ["i-batch-b"] * 2
    assert agent_ids == ["i-batch-b"]
    assert kernel_status == KernelStatus.SCHEDULED


async def test_a_stale_plan_places_what_still_fits_and_leaves_the_rest_pending(
    engine: AsyncEngine,
) -> None:
    await add_agent(engine, "i-small", cpu=2)
    queued = [await enqueue(engine, f"stale-{i}") for i in range(3)]
    # A planner working from a stale view puts three one-core sessions on a two-core agent.
    plan = fixed_plan(*((sid, kid, "i-small") for sid, kid in queued))
    result = await SchedulerRepository(engine).run_pass(
        GROUP, lambda _: plan, now=datetime.now(UTC)
    )
    assert len(result.scheduled) == 2
    assert result.lost_race == 1
    assert await used_cpu(engine, "i-small") == 2
    assert sorted(await statuses(engine, [sid for sid, _ in queued])) == [
        "PENDING",
        "SCHEDULED",
        "SCHEDULED",
    ]
    assert all(change.after == SessionStatus.SCHEDULED for change in result.changes), result.changes


async def test_overlapping_status_changes_queue_up_instead_of_deadlocking(
    engine: AsyncEngine,
) -> None:
    """An agent's `image_pull_finished` events arrive together and each settles every kernel
    waiting there, in whatever order; meanwhile prepared sessions move on to CREATING. All of
    it touches the same rows: it must serialise (sessions locked first), never deadlock."""
    await add_agent(engine, "i-overlap", cpu=40)
    queued = [await enqueue(engine, f"overlap-{i}") for i in range(30)]
    plan = fixed_plan(*((sid, kid, "i-overlap") for sid, kid in queued))
    await SchedulerRepository(engine).run_pass(GROUP, lambda _: plan, now=datetime.now(UTC))
    repo = SessionRepository(engine)
    session_ids = [sid for sid, _ in queued]
    kernel_ids = [kid for _, kid in queued]
    await repo.transition_sessions(
        session_ids, SessionStatus.PREPARING, kernel_target=KernelStatus.PREPARING
    )

    rounds = 12
    jobs = []
    for n in range(rounds):
        # overlapping sets, each in its own order (reversed, rotated, interleaved)
        chosen = kernel_ids[n % 3 :: 1 + n % 2]
        chosen = chosen[::-1] if n % 2 else chosen[n:] + chosen[:n]
        jobs.append(repo.transition_kernels(chosen, KernelStatus.PREPARED, only_agent="i-overlap"))
    jobs += [
        repo.transition_session(sid, SessionStatus.CREATING, kernel_target=KernelStatus.CREATING)
        for sid in reversed(session_ids[::5])
    ]
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert errors == []
    changes = [c for o in outcomes[:rounds] if isinstance(o, list) for c in o]
    prepared = [c.session_id for c in changes if c.after == SessionStatus.PREPARED]
    assert sorted(prepared) == sorted(session_ids), "each session became PREPARED exactly once"
    final = await statuses(engine, session_ids)
    assert set(final) <= {"PREPARED", "CREATING"}


async def test_a_heartbeat_in_progress_does_not_hold_up_a_placement_on_its_agent(
    engine: AsyncEngine,
) -> None:
    """The heartbeat locks its agent's row, then updates the agent's resource rows; a placement
    holds those resource rows, then its kernels' foreign key share-locks the agent's row. The
    heartbeat's lock must not conflict with that share lock, or the two deadlock."""
    await add_agent(engine, "i-beating", cpu=4)
    _, kernel_id = await enqueue(engine, "beat-1")
    async with engine.connect() as heartbeat:
        await heartbeat.begin()
        assert await AgentRepository(engine)._lock_agent(heartbeat, "i-beating") is not None
        async with engine.connect() as placement:
            await placement.begin()
            await placement.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
            await placement.execute(
                sa.update(kernels).where(kernels.c.id == kernel_id).values(agent="i-beating")
            )
            await placement.rollback()
        await heartbeat.rollback()
