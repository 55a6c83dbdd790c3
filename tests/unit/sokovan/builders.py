"""Small builders for scheduler snapshots, so each test row states only what it is about.

Sessions and kernels get ids derived from their names (`sid("s1")`), and plans read back by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from ai.backend.manager.sokovan.scheduler import (
    AgentSnapshot,
    KernelRequest,
    PendingSession,
    SchedulingPlan,
    SchedulingSnapshot,
    Verdict,
    plan,
)
from ai.backend.manager.sokovan.scheduler.types import (
    AgentSelectionStrategy,
    ClusterMode,
    QueuePolicy,
    ResourceSlot,
)

GiB = 2**30
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
_NAMES: dict[UUID, str] = {}


def sid(name: str) -> UUID:
    """A stable id for a named session, user, group or kernel."""
    uid = uuid5(NAMESPACE_URL, f"sokovan-test:{name}")
    _NAMES[uid] = name
    return uid


def name_of(uid: UUID) -> str:
    return _NAMES[uid]


def slots(
    cpu: float | str | None = None, mem: int | None = None, **more: float | str
) -> ResourceSlot:
    """`slots(2, 4 * GiB, cuda__device=1)`: keyword `__` stands for `.` in slot names."""
    out: ResourceSlot = {}
    if cpu is not None:
        out["cpu"] = Decimal(str(cpu))
    if mem is not None:
        out["mem"] = Decimal(mem)
    for key, value in more.items():
        out[key.replace("__", ".")] = Decimal(str(value))
    return out


def agent(
    agent_id: str,
    cpu: float = 8,
    mem: int = 16 * GiB,
    *,
    arch: str = "x86_64",
    used: ResourceSlot | None = None,
    extra: Mapping[str, float | str] | None = None,
    containers: int = 0,
    max_containers: int | None = None,
    schedulable: bool = True,
) -> AgentSnapshot:
    capacity = slots(cpu, mem, **{k.replace(".", "__"): v for k, v in (extra or {}).items()})
    return AgentSnapshot(
        id=agent_id,
        addr=f"tcp://{agent_id}:6001",
        architecture=arch,
        capacity=capacity,
        occupied=dict(used or {}),
        container_count=containers,
        max_container_count=max_containers,
        schedulable=schedulable,
    )


def session(
    name: str,
    cpu: float | str = 1,
    mem: int = GiB,
    *,
    kernels: int = 1,
    kernel_slots: Iterable[ResourceSlot] | None = None,
    extra: Mapping[str, float | str] | None = None,
    multi_node: bool = False,
    access_key: str = "AK1",
    user: str = "user-1",
    group: str = "group-1",
    domain: str = "default",
    session_type: str = "interactive",
    priority: int = 10,
    created: int = 0,
    starts_at: datetime | None = None,
    dependencies: Iterable[str] = (),
    designated: tuple[str, ...] | None = None,
    arch: str | Iterable[str] = "x86_64",
    private: bool = False,
) -> PendingSession:
    """A pending session of `kernels` identical kernels (or one per `kernel_slots` entry).

    `created` is minutes after NOW - 1 day, so a bigger number is a newer session.
    """
    per_kernel = slots(cpu, mem, **{k.replace(".", "__"): v for k, v in (extra or {}).items()})
    requests = list(kernel_slots) if kernel_slots is not None else [per_kernel] * kernels
    archs = [arch] * len(requests) if isinstance(arch, str) else list(arch)
    kernel_requests = tuple(
        KernelRequest(
            kernel_id=sid(f"{name}/k{idx}"),
            cluster_role="main" if idx == 0 else "sub",
            cluster_idx=1 if idx == 0 else idx,
            requested_slots=dict(req),
            image="cr.backend.ai/stable/python:3.13",
            architecture=archs[idx],
        )
        for idx, req in enumerate(requests)
    )
    return PendingSession(
        session_id=sid(name),
        name=name,
        access_key=access_key,
        user_uuid=sid(user),
        group_id=sid(group),
        domain_name=domain,
        session_type=session_type,
        cluster_mode=ClusterMode.MULTI_NODE if multi_node else ClusterMode.SINGLE_NODE,
        cluster_size=len(kernel_requests),
        priority=priority,
        created_at=NOW - timedelta(days=1) + timedelta(minutes=created),
        requested_starts_at=starts_at,
        dependencies=tuple(sid(d) for d in dependencies),
        kernels=kernel_requests,
        designated_agent_ids=designated,
        is_private=private,
    )


def snapshot(
    agents: Iterable[AgentSnapshot],
    pending: Iterable[PendingSession],
    *,
    scheduler: str = "fifo",
    strategy: str = "dispersed",
    **fields: Any,
) -> SchedulingSnapshot:
    return SchedulingSnapshot(
        resource_group="default",
        scheduler=QueuePolicy(scheduler),
        agent_selection_strategy=AgentSelectionStrategy(strategy),
        now=NOW,
        agents=tuple(agents),
        pending=tuple(pending),
        **fields,
    )


def with_fields(snap: SchedulingSnapshot, **fields: Any) -> SchedulingSnapshot:
    return replace(snap, **fields)


# --- reading a plan back ------------------------------------------------------------------------


def placed(result: SchedulingPlan) -> dict[str, list[str]]:
    """{session name: [agent id per kernel]} in placement order."""
    return {name_of(p.session_id): [k.agent_id for k in p.kernels] for p in result.placements}


def deferred(result: SchedulingPlan) -> dict[str, str]:
    """{session name: reason code}."""
    return {name_of(d.session_id): d.reason_code.value for d in result.deferrals}


def cancelled(result: SchedulingPlan) -> dict[str, str]:
    return {name_of(c.session_id): c.reason_code.value for c in result.cancellations}


def message_of(result: SchedulingPlan, name: str) -> str:
    verdicts: list[Verdict] = [*result.deferrals, *result.cancellations]
    for verdict in verdicts:
        if verdict.session_id == sid(name):
            return verdict.message
    raise KeyError(name)


def run(
    agents: Iterable[AgentSnapshot], pending: Iterable[PendingSession], **kwargs: Any
) -> SchedulingPlan:
    return plan(snapshot(agents, pending, **kwargs))
