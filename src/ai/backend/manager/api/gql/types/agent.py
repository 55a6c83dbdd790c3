"""The legacy `Agent` object type and its paged list, as the classic client queries them.

Slots are non-null JSON strings (`available_slots` is the capacity per slot, `occupied_slots`
what sessions hold); `live_stat`, `hardware_metadata` and `local_config` are JSON strings or
null. `live_stat` is what the agent last wrote about its node to Redis (null when nothing is
there), and `cpu_cur_pct`/`mem_cur_bytes` come from it (0 when it does not say).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import strawberry

from ai.backend.manager.api.gql.types.session import JSONString, slots_json, to_json_string
from ai.backend.manager.data.agent import AgentLiveStat, AgentRow
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.types import AgentStatus

_MEBI = 2**20


def _amount(slots: Mapping[str, Decimal], name: str) -> Decimal:
    return Decimal(slots.get(name, Decimal(0)))


def occupied(row: AgentRow) -> dict[str, Decimal]:
    """What sessions hold on the agent: used plus reserved, per slot."""
    names = set(row.used) | set(row.reserved)
    return {
        name: Decimal(row.used.get(name, 0)) + Decimal(row.reserved.get(name, 0))
        for name in sorted(names)
    }


@strawberry.type(name="Agent", description="A compute node (legacy schema).")
class Agent:
    id: str
    status: str
    status_changed: datetime | None
    region: str
    scaling_group: str
    schedulable: bool
    available_slots: JSONString
    occupied_slots: JSONString
    addr: str
    architecture: str
    first_contact: datetime | None
    lost_at: datetime | None
    live_stat: JSONString | None
    version: str
    compute_plugins: JSONString
    hardware_metadata: JSONString | None
    auto_terminate_abusing_kernel: bool
    local_config: JSONString | None
    container_count: int
    cpu_cur_pct: float
    mem_cur_bytes: float
    mem_slots: int
    cpu_slots: float
    gpu_slots: float
    tpu_slots: float
    used_mem_slots: int
    used_cpu_slots: float
    used_gpu_slots: float
    used_tpu_slots: float

    @classmethod
    def from_row(
        cls, row: AgentRow, *, container_count: int = 0, live_stat: AgentLiveStat | None = None
    ) -> Agent:
        capacity = {name: Decimal(amount) for name, amount in row.capacity.items()}
        held = occupied(row)
        return cls(
            id=row.id,
            status=row.status.name,
            status_changed=row.status_changed,
            region=row.region,
            scaling_group=row.scaling_group,
            schedulable=row.schedulable,
            available_slots=slots_json(capacity),
            occupied_slots=slots_json(held),
            addr=row.addr,
            architecture=row.architecture,
            first_contact=row.first_contact,
            lost_at=row.lost_at,
            live_stat=to_json_string(live_stat.stat) if live_stat is not None else None,
            version=row.version,
            compute_plugins=to_json_string(row.compute_plugins),
            hardware_metadata=None,
            auto_terminate_abusing_kernel=row.auto_terminate_abusing_kernel,
            # what the reference reports too: the one agent setting the manager knows
            local_config=to_json_string(
                {"agent": {"auto_terminate_abusing_kernel": row.auto_terminate_abusing_kernel}}
            ),
            container_count=container_count,
            cpu_cur_pct=live_stat.cpu_pct if live_stat is not None else 0.0,
            mem_cur_bytes=live_stat.mem_bytes if live_stat is not None else 0.0,
            mem_slots=int(_amount(capacity, "mem") // _MEBI),
            cpu_slots=float(_amount(capacity, "cpu")),
            gpu_slots=float(_amount(capacity, "cuda.device")),
            tpu_slots=float(_amount(capacity, "tpu.device")),
            used_mem_slots=int(_amount(held, "mem") // _MEBI),
            used_cpu_slots=float(_amount(held, "cpu")),
            used_gpu_slots=float(_amount(held, "cuda.device")),
            used_tpu_slots=float(_amount(held, "tpu.device")),
        )


@strawberry.type(name="AgentList")
class AgentList:
    items: list[Agent]
    total_count: int


def parse_agent_statuses(status: str | None) -> list[AgentStatus] | None:
    """Comma-joined agent status names; None (or empty) means any status."""
    if status is None or not status.strip():
        return None
    statuses: list[AgentStatus] = []
    for raw in status.split(","):
        name = raw.strip().upper()
        if not name:
            continue
        try:
            statuses.append(AgentStatus[name])
        except KeyError:
            known = ", ".join(s.name for s in AgentStatus)
            raise InvalidAPIParameters(
                f"Unknown agent status {raw.strip()!r} (one of {known})"
            ) from None
    return statuses or None
