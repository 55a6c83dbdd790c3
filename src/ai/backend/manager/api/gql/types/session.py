"""The legacy `ComputeSession` / `ComputeContainer` object types the classic client queries.

Field names and value shapes follow what the CLI parses (spec/gql.md §3, §5): statuses and results
are enum *names*, `type` is the session type's name (`INTERACTIVE`), timestamps are ISO-8601, and
dict-valued fields are `JSONString`s (the CLI `json.loads()` them). Resource slots are never null
(`"{}"` at least) and their amounts are exact decimal strings (`{"cpu": "1", "mem": "1073741824"}`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, NewType

import strawberry
from strawberry.types import Info

from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.data.session import KernelRecord, SessionRecord
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.types import SessionStatus


def _parse_json_string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("A JSONString must be a string holding a JSON document")
    json.loads(value)
    return value


# The reference schema's scalar for dict-valued fields: a JSON document encoded as a string.
# Fields are typed `JSONString`; `build_schema()` maps it to `JSON_STRING_SCALAR`.
JSONString = NewType("JSONString", str)

JSON_STRING_SCALAR = strawberry.scalar(
    name="JSONString",
    description="A JSON document encoded as a string.",
    serialize=str,
    parse_value=_parse_json_string,
)


def _json_default(value: object) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def decimal_text(value: Decimal) -> str:
    """An exact, exponent-free rendering: 1073741824, 1.5 (never 1.07E+9 or 1.50)."""
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def to_json_string(value: object) -> JSONString:
    return JSONString(json.dumps(value, default=_json_default, ensure_ascii=False))


def optional_json_string(value: object | None) -> JSONString | None:
    return None if value is None else to_json_string(value)


def slots_json(slots: Mapping[str, Decimal] | None) -> JSONString:
    """A resource slot as the CLI expects it: never null, amounts as decimal strings."""
    return to_json_string(
        {name: decimal_text(Decimal(amount)) for name, amount in (slots or {}).items()}
    )


def _history_time(history: Mapping[str, str] | None, status_name: str) -> datetime | None:
    raw = (history or {}).get(status_name)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


@strawberry.type(name="ComputeContainer", description="A kernel (container) of a session.")
class ComputeContainer:
    id: uuid.UUID
    idx: int
    role: str
    cluster_role: str
    cluster_idx: int
    local_rank: int
    cluster_hostname: str
    session_id: uuid.UUID
    image: str
    architecture: str
    registry: str | None
    status: str
    status_info: str | None
    status_data: JSONString | None
    status_changed: datetime | None
    created_at: datetime | None
    terminated_at: datetime | None
    agent: str | None
    agent_addr: str | None
    container_id: str | None
    resource_opts: JSONString | None
    occupied_slots: JSONString
    service_ports: JSONString | None
    preopen_ports: list[int]
    live_stat: JSONString | None
    last_stat: JSONString | None

    @classmethod
    def from_record(cls, kernel: KernelRecord) -> ComputeContainer:
        return cls(
            id=kernel.id,
            idx=kernel.cluster_idx,
            role=kernel.cluster_role,
            cluster_role=kernel.cluster_role,
            cluster_idx=kernel.cluster_idx,
            local_rank=kernel.local_rank,
            cluster_hostname=kernel.cluster_hostname,
            session_id=kernel.session_id,
            image=kernel.image,
            architecture=kernel.architecture,
            registry=kernel.registry,
            status=kernel.status.name,
            status_info=kernel.status_info,
            status_data=optional_json_string(kernel.status_data),
            status_changed=kernel.status_changed,
            created_at=kernel.created_at,
            terminated_at=kernel.terminated_at,
            agent=kernel.agent,
            agent_addr=kernel.agent_addr,
            container_id=kernel.container_id,
            resource_opts=optional_json_string(kernel.resource_opts),
            occupied_slots=slots_json(kernel.occupied_slots),
            service_ports=optional_json_string(kernel.service_ports),
            preopen_ports=list(kernel.preopen_ports or []),
            # Live statistics come from the agents' stat reports, which are not collected yet.
            live_stat=None,
            last_stat=None,
        )


@strawberry.type(name="ComputeSession", description="A compute session (legacy schema).")
class ComputeSession:
    id: uuid.UUID
    session_id: uuid.UUID
    main_kernel_id: uuid.UUID | None
    main_kernel_role: str
    name: str
    type: str
    tag: str | None
    priority: int
    image: str
    architecture: str | None
    registry: str | None
    cluster_template: str | None
    cluster_mode: str
    cluster_size: int
    domain_name: str
    group_name: str | None
    group_id: uuid.UUID
    user_email: str | None
    full_name: str | None
    user_id: uuid.UUID
    access_key: str | None
    created_user_email: str | None
    created_user_id: uuid.UUID | None
    status: str
    status_info: str | None
    status_data: JSONString | None
    status_history: JSONString
    status_changed: datetime | None
    created_at: datetime | None
    terminated_at: datetime | None
    starts_at: datetime | None
    scheduled_at: datetime | None
    startup_command: str | None
    result: str
    agent_ids: list[str]
    agents: list[str]
    scaling_group: str
    resource_opts: JSONString
    service_ports: JSONString | None
    mounts: list[str]
    vfolder_mounts: list[str]
    occupying_slots: JSONString
    occupied_slots: JSONString
    requested_slots: JSONString
    idle_checks: JSONString
    abusing_reports: list[JSONString | None]
    inference_metrics: JSONString | None
    num_queries: int
    containers: list[ComputeContainer]
    dependency_ids: strawberry.Private[list[uuid.UUID]]

    @strawberry.field(description="The sessions this one waits for (visible ones only).")
    async def dependencies(self, info: Info[GQLContext, None]) -> list[ComputeSession]:
        records = await info.context.sessions_by_id.load_many(self.dependency_ids)
        return [ComputeSession.from_record(r) for r in records if r is not None]

    @classmethod
    def from_record(cls, session: SessionRecord) -> ComputeSession:
        main = session.main_kernel
        history = session.status_history or {}
        slots = slots_json(session.occupied_slots)
        return cls(
            id=session.id,
            session_id=session.id,
            main_kernel_id=main.id if main is not None else None,
            main_kernel_role=session.session_type.name,
            name=session.name,
            type=session.session_type.name,
            tag=session.tag,
            priority=session.priority,
            image=main.image if main is not None else (session.images or [""])[0],
            architecture=main.architecture if main is not None else None,
            registry=main.registry if main is not None else None,
            cluster_template=None,
            cluster_mode=session.cluster_mode.value,
            cluster_size=session.cluster_size,
            domain_name=session.domain_name,
            group_name=session.group_name,
            group_id=session.group_id,
            user_email=session.user_email,
            full_name=None,
            user_id=session.user_uuid,
            access_key=session.access_key,
            # Sessions created on behalf of someone else are not told apart yet.
            created_user_email=session.user_email,
            created_user_id=session.user_uuid,
            status=session.status.name,
            status_info=session.status_info,
            status_data=optional_json_string(session.status_data),
            status_history=to_json_string(history),
            status_changed=_history_time(history, session.status.name) or session.created_at,
            created_at=session.created_at,
            terminated_at=session.terminated_at,
            starts_at=session.starts_at,
            scheduled_at=_history_time(history, SessionStatus.SCHEDULED.name),
            startup_command=session.startup_command,
            result=session.result.name,
            agent_ids=list(session.agent_ids),
            agents=list(session.agent_ids),
            scaling_group=session.scaling_group_name,
            resource_opts=to_json_string(
                {k.cluster_hostname: k.resource_opts or {} for k in session.kernels}
            ),
            service_ports=optional_json_string(main.service_ports if main is not None else None),
            mounts=[str(m.get("name", "")) for m in session.vfolder_mounts],
            vfolder_mounts=[
                str(m.get("vfid", "")).rpartition("/")[2] for m in session.vfolder_mounts
            ],
            # Requested and occupied amounts are the same until actual usage is measured.
            occupying_slots=slots,
            occupied_slots=slots,
            requested_slots=slots,
            idle_checks=to_json_string({}),
            abusing_reports=[],
            inference_metrics=None,
            num_queries=0,
            containers=[ComputeContainer.from_record(k) for k in session.kernels],
            dependency_ids=list(session.dependencies),
        )


@strawberry.type(name="ComputeSessionList")
class ComputeSessionList:
    items: list[ComputeSession]
    total_count: int


def parse_status_filter(status: str | None) -> list[SessionStatus] | None:
    """The comma-joined status names of `compute_session_list(status:)`; None means any."""
    if status is None or not status.strip():
        return None
    statuses: list[SessionStatus] = []
    for raw in status.split(","):
        name = raw.strip().upper()
        if not name:
            continue
        try:
            statuses.append(SessionStatus[name])
        except KeyError:
            raise InvalidAPIParameters(f"Unknown session status {raw.strip()!r}") from None
    return statuses or None
