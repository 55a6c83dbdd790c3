"""`compute_session` / `compute_session_list` answer the exact queries the CLI sends with values
the CLI can format (spec/gql.md §3-§5)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import pytest
import strawberry

from ai.backend.manager.actions.processors import Processors
from ai.backend.manager.actions.session import (
    GetSessionByIdAction,
    GetSessionsByIdsAction,
    ListSessionsAction,
)
from ai.backend.manager.api.gql.context import GQLContext
from ai.backend.manager.api.gql.schema import build_schema
from ai.backend.manager.api.gql.types.session import decimal_text, slots_json
from ai.backend.manager.data.session import KernelRecord, SessionRecord
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.types import (
    ClusterMode,
    KernelStatus,
    SessionResult,
    SessionStatus,
    SessionTypes,
)

SESSION_ID = uuid.UUID("11111111-2222-3333-4444-555555555555")
DEPENDENCY_ID = uuid.UUID("66666666-2222-3333-4444-555555555555")
KERNEL_ID = uuid.UUID("c74cf92e-19c0-4ef6-b30c-e8f047c088bb")
CREATED = datetime(2025, 7, 1, 12, 0, 0, tzinfo=UTC)
RUNNING_AT = datetime(2025, 7, 1, 12, 0, 5, tzinfo=UTC)

# Verbatim from spec/captures/cli_trace.txt (`session info <uuid>`).
SESSION_INFO_QUERY = (
    "query($id: UUID!) {  compute_session(id: $id) {    name priority id main_kernel_id image tag"
    " created_at terminated_at status status_info status_data occupying_slots idle_checks"
    " containers { id cluster_role cluster_idx cluster_hostname session_id image registry status"
    " status_info status_data status_changed agent container_id resource_opts occupied_slots"
    " preopen_ports live_stat last_stat id } dependencies { name id }  }}"
)

# Verbatim from spec/captures/gql_rendered.txt (`ps`).
PS_QUERY = """query($limit:Int!, $offset:Int!, $status: String, $access_key: String, $filter: String, $order: String) {
  compute_session_list(
      limit:$limit, offset:$offset, status:$status, access_key:$access_key, filter:$filter, order:$order) {
    items { name access_key priority id group_name type image status status_info status_changed result }
    total_count
  }
}"""  # noqa: E501
PS_VARIABLES: dict[str, Any] = {
    "status": "PENDING,SCHEDULED,PULLING,PREPARED,PREPARING,CREATING,RUNNING,RUNNING_DEGRADED,"
    "TERMINATING,ERROR",
    "access_key": None,
    "filter": None,
    "order": None,
    "limit": 20,
    "offset": 0,
}

# Every field of the client's `session_fields` (what `ps --format` may ask for).
ALL_SESSION_FIELDS = (
    "id main_kernel_id tag name type priority image registry cluster_template cluster_mode"
    " cluster_size domain_name group_name group_id agent_ids user_email user_id access_key"
    " created_user_email created_user_id status status_info status_data status_changed"
    " created_at terminated_at starts_at scheduled_at startup_command result resource_opts"
    " scaling_group service_ports mounts vfolder_mounts occupying_slots"
    " containers { id cluster_role cluster_idx cluster_hostname session_id image registry status"
    " status_info status_data status_changed agent container_id resource_opts occupied_slots"
    " preopen_ports live_stat last_stat }"
    " dependencies { name id } abusing_reports idle_checks"
)

USER = AuthenticatedUser(
    access_key="AKIAIOSFODNN7EXAMPLE",
    is_admin=False,
    resource_policy="default",
    rate_limit=1000,
    user_uuid=uuid.UUID("f38dea23-50fa-42a0-b5ae-338f5f4693f4"),
    email="user@lablup.com",
    role="user",
    domain_name="default",
)


def make_kernel(**overrides: Any) -> KernelRecord:
    fields: dict[str, Any] = {
        "id": KERNEL_ID,
        "session_id": SESSION_ID,
        "cluster_role": "main",
        "cluster_idx": 1,
        "local_rank": 0,
        "cluster_hostname": "main1",
        "status": KernelStatus.RUNNING,
        "status_info": None,
        "status_data": None,
        "status_changed": RUNNING_AT,
        "agent": "i-agent-1",
        "agent_addr": "tcp://127.0.0.1:6001",
        "image": "cr.backend.ai/stable/python:3.9-ubuntu20.04",
        "architecture": "x86_64",
        "registry": "cr.backend.ai",
        "container_id": "d0c1e2f3",
        "kernel_host": "127.0.0.1",
        "service_ports": [{"name": "jupyter", "protocol": "http", "container_ports": [8080]}],
        "preopen_ports": [],
        "resource_opts": {"shmem": 67108864},
        "occupied_slots": {"cpu": Decimal("1.50"), "mem": Decimal("1073741824")},
        "created_at": CREATED,
        "terminated_at": None,
    }
    fields.update(overrides)
    return KernelRecord(**fields)


def make_session(**overrides: Any) -> SessionRecord:
    fields: dict[str, Any] = {
        "id": SESSION_ID,
        "creation_id": "abcdef",
        "name": "mysess",
        "session_type": SessionTypes.INTERACTIVE,
        "priority": 10,
        "cluster_mode": ClusterMode.SINGLE_NODE,
        "cluster_size": 1,
        "scaling_group_name": "default",
        "domain_name": "default",
        "group_id": uuid.UUID("2de2b969-1d04-48a6-af16-0bc8adb3c831"),
        "group_name": "default",
        "user_uuid": USER.user_uuid,
        "user_email": USER.email,
        "access_key": USER.access_key,
        "images": ["cr.backend.ai/stable/python:3.9-ubuntu20.04"],
        "tag": None,
        "status": SessionStatus.RUNNING,
        "status_info": None,
        "status_data": {"kernel": {"exit_code": None}},
        "status_history": {"PENDING": CREATED.isoformat(), "RUNNING": RUNNING_AT.isoformat()},
        "result": SessionResult.UNDEFINED,
        "environ": {},
        "bootstrap_script": None,
        "startup_command": None,
        "callback_url": None,
        "created_at": CREATED,
        "terminated_at": None,
        "starts_at": None,
        "requested_starts_at": None,
        "batch_timeout": None,
        "agent_ids": ["i-agent-1"],
        "kernels": [make_kernel()],
        "dependencies": [],
    }
    fields.update(overrides)
    return SessionRecord(**fields)


class FakeProcessor:
    def __init__(self, result: Any) -> None:
        self.result = result
        self.actions: list[Any] = []

    async def run(self, action: Any) -> Any:
        self.actions.append(action)
        if callable(self.result):
            return self.result(action)
        return self.result


def make_context(
    *, get_by_id: Any = None, get_many: Any = None, list_result: Any = None
) -> GQLContext:
    session = SimpleNamespace(
        get_by_id=FakeProcessor(get_by_id),
        get_many_by_ids=FakeProcessor(get_many),
        list=FakeProcessor(list_result or ([], 0)),
    )
    processors = cast(Processors, SimpleNamespace(session=session))
    return GQLContext(processors=processors, user=USER)


@pytest.fixture(scope="module")
def schema() -> strawberry.Schema:
    return build_schema()


async def execute(
    schema: strawberry.Schema, query: str, variables: dict[str, Any], ctx: GQLContext
) -> dict[str, Any]:
    result = await schema.execute(query, variable_values=variables, context_value=ctx)
    assert result.errors is None, result.errors
    assert result.data is not None
    # What goes over the wire is JSON.
    return cast(dict[str, Any], json.loads(json.dumps(result.data)))


async def test_session_info_query_renders_cli_ready_values(schema: strawberry.Schema) -> None:
    ctx = make_context(get_by_id=make_session())
    data = await execute(schema, SESSION_INFO_QUERY, {"id": str(SESSION_ID)}, ctx)

    item = data["compute_session"]
    assert item["id"] == str(SESSION_ID)
    assert item["main_kernel_id"] == str(KERNEL_ID)
    assert item["name"] == "mysess"
    assert item["priority"] == 10
    assert item["image"] == "cr.backend.ai/stable/python:3.9-ubuntu20.04"
    assert item["status"] == "RUNNING"
    assert item["created_at"] == CREATED.isoformat()
    assert item["terminated_at"] is None
    assert json.loads(item["status_data"]) == {"kernel": {"exit_code": None}}
    assert json.loads(item["occupying_slots"]) == {"cpu": "1.5", "mem": "1073741824"}
    assert json.loads(item["idle_checks"]) == {}
    assert item["dependencies"] == []

    [container] = item["containers"]
    assert container["id"] == str(KERNEL_ID)
    assert container["session_id"] == str(SESSION_ID)
    assert container["cluster_role"] == "main"
    assert container["cluster_idx"] == 1
    assert container["status"] == "RUNNING"
    assert container["status_changed"] == RUNNING_AT.isoformat()
    assert container["status_data"] is None
    assert json.loads(container["resource_opts"]) == {"shmem": 67108864}
    assert json.loads(container["occupied_slots"]) == {"cpu": "1.5", "mem": "1073741824"}
    assert container["preopen_ports"] == []
    assert container["live_stat"] is None
    assert container["last_stat"] is None

    [action] = ctx.processors.session.get_by_id.actions  # type: ignore[attr-defined]
    assert action == GetSessionByIdAction(requester=USER, session_id=SESSION_ID)


async def test_unknown_or_invisible_session_is_null(schema: strawberry.Schema) -> None:
    ctx = make_context(get_by_id=None)
    data = await execute(schema, SESSION_INFO_QUERY, {"id": str(SESSION_ID)}, ctx)
    assert data == {"compute_session": None}


async def test_slots_are_never_null(schema: strawberry.Schema) -> None:
    pending = make_session(
        status=SessionStatus.PENDING,
        kernels=[make_kernel(occupied_slots={}, status=KernelStatus.PENDING, agent=None)],
    )
    data = await execute(
        schema, SESSION_INFO_QUERY, {"id": str(SESSION_ID)}, make_context(get_by_id=pending)
    )
    item = data["compute_session"]
    assert item["occupying_slots"] == "{}"
    assert item["containers"][0]["occupied_slots"] == "{}"


async def test_dependencies_are_resolved_by_id(schema: strawberry.Schema) -> None:
    dependency = make_session(id=DEPENDENCY_ID, name="upstream", kernels=[])
    main = make_session(dependencies=[DEPENDENCY_ID])

    def lookup_many(action: GetSessionsByIdsAction) -> list[SessionRecord | None]:
        return [dependency if sid == DEPENDENCY_ID else None for sid in action.session_ids]

    ctx = make_context(get_by_id=main, get_many=lookup_many)
    data = await execute(schema, SESSION_INFO_QUERY, {"id": str(SESSION_ID)}, ctx)
    assert data["compute_session"]["dependencies"] == [
        {"name": "upstream", "id": str(DEPENDENCY_ID)}
    ]
    # one batched lookup for all the dependencies
    [action] = ctx.processors.session.get_many_by_ids.actions  # type: ignore[attr-defined]
    assert action.session_ids == [DEPENDENCY_ID]


async def test_ps_query_lists_sessions_with_total(schema: strawberry.Schema) -> None:
    sessions = [make_session(), make_session(id=DEPENDENCY_ID, name="other", tag="t")]
    ctx = make_context(list_result=(sessions, 7))
    data = await execute(schema, PS_QUERY, PS_VARIABLES, ctx)

    page = data["compute_session_list"]
    assert page["total_count"] == 7
    first = page["items"][0]
    assert first == {
        "name": "mysess",
        "access_key": USER.access_key,
        "priority": 10,
        "id": str(SESSION_ID),
        "group_name": "default",
        "type": "INTERACTIVE",
        "image": "cr.backend.ai/stable/python:3.9-ubuntu20.04",
        "status": "RUNNING",
        "status_info": None,
        "status_changed": RUNNING_AT.isoformat(),
        "result": "UNDEFINED",
    }
    [action] = ctx.processors.session.list.actions  # type: ignore[attr-defined]
    assert action == ListSessionsAction(
        requester=USER,
        statuses=[
            SessionStatus.PENDING,
            SessionStatus.SCHEDULED,
            SessionStatus.PULLING,
            SessionStatus.PREPARED,
            SessionStatus.PREPARING,
            SessionStatus.CREATING,
            SessionStatus.RUNNING,
            SessionStatus.RUNNING_DEGRADED,
            SessionStatus.TERMINATING,
            SessionStatus.ERROR,
        ],
        access_key=None,
        group_id=None,
        limit=20,
        offset=0,
    )


async def test_every_client_session_field_resolves(schema: strawberry.Schema) -> None:
    finished = make_session(
        session_type=SessionTypes.BATCH,
        status=SessionStatus.TERMINATED,
        result=SessionResult.SUCCESS,
        terminated_at=RUNNING_AT,
        status_history={
            "PENDING": CREATED.isoformat(),
            "SCHEDULED": CREATED.isoformat(),
            "TERMINATED": RUNNING_AT.isoformat(),
        },
    )
    query = f"query($id: UUID!) {{ compute_session(id: $id) {{ {ALL_SESSION_FIELDS} }} }}"
    data = await execute(schema, query, {"id": str(SESSION_ID)}, make_context(get_by_id=finished))
    item = data["compute_session"]
    assert item["type"] == "BATCH"
    assert item["result"] == "SUCCESS"
    assert item["cluster_mode"] == "single-node"
    assert item["scheduled_at"] == CREATED.isoformat()
    assert item["status_changed"] == RUNNING_AT.isoformat()
    assert item["agent_ids"] == ["i-agent-1"]
    assert item["mounts"] == [] and item["vfolder_mounts"] == []
    assert item["abusing_reports"] == []
    assert json.loads(item["resource_opts"]) == {"main1": {"shmem": 67108864}}
    assert json.loads(item["service_ports"])[0]["name"] == "jupyter"
    for field in ("status_data", "resource_opts", "service_ports", "occupying_slots"):
        assert isinstance(item[field], str)


async def test_unknown_status_is_a_graphql_error(schema: strawberry.Schema) -> None:
    result = await schema.execute(
        PS_QUERY,
        variable_values={**PS_VARIABLES, "status": "RUNNING,BOGUS"},
        context_value=make_context(),
    )
    assert result.errors is not None
    assert "BOGUS" in result.errors[0].message


async def test_null_status_lists_every_status(schema: strawberry.Schema) -> None:
    ctx = make_context()
    data = await execute(schema, PS_QUERY, {**PS_VARIABLES, "status": None}, ctx)
    assert data["compute_session_list"] == {"items": [], "total_count": 0}
    [action] = ctx.processors.session.list.actions  # type: ignore[attr-defined]
    assert action.statuses is None


def test_slot_amounts_are_exact_decimal_strings() -> None:
    assert decimal_text(Decimal("1E+9")) == "1000000000"
    assert decimal_text(Decimal("0.50")) == "0.5"
    assert decimal_text(Decimal("2")) == "2"
    assert decimal_text(Decimal("Infinity")) == "Infinity"
    assert json.loads(slots_json({"cuda.shares": Decimal("0.25")})) == {"cuda.shares": "0.25"}
    assert slots_json(None) == "{}"


def test_record_without_kernels_still_maps() -> None:
    from ai.backend.manager.api.gql.types.session import ComputeSession

    mapped = ComputeSession.from_record(replace(make_session(), kernels=[]))
    assert mapped.main_kernel_id is None
    assert mapped.image == "cr.backend.ai/stable/python:3.9-ubuntu20.04"
    assert mapped.containers == []
    assert mapped.occupying_slots == "{}"
