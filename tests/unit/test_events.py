"""Event bodies and envelopes match the wire format agents use (spec/events.md)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from ai.backend.manager.errors.event import MalformedEvent
from ai.backend.manager.event_dispatcher.delivery import stream_id_time
from ai.backend.manager.events import EVENT_TYPES, event_type
from ai.backend.manager.events.agent import AgentHeartbeatEvent, AgentTerminatedEvent
from ai.backend.manager.events.bgtask import BgtaskUpdatedEvent
from ai.backend.manager.events.envelope import (
    AnycastEnvelope,
    BroadcastEnvelope,
    EventMetadata,
    decode_body,
)
from ai.backend.manager.events.kernel import KernelStartedEvent, KernelTerminatedEvent
from ai.backend.manager.events.session import SessionSuccessEvent
from ai.backend.manager.events.types import KernelLifecycleEventReason, ServicePortProtocol
from ai.backend.manager.services.agent.service import exit_status
from ai.backend.manager.types import AgentStatus

KID = "c74cf92e-19c0-4ef6-b30c-e8f047c088bb"
SID = "60ff96fb-e890-4bd6-9ae6-2521c2074b32"
TID = "ab000a85-354f-4ae5-b6ed-b8b46f488b95"
QSID = "user:a47f77aa-bfb5-4169-8d8f-2d86bf5ef080"
IMAGE_REF = {
    "name": "python",
    "project": "stable",
    "tag": "3.9-ubuntu20.04",
    "registry": "cr.backend.ai",
    "architecture": "x86_64",
    "is_local": False,
}

# The anycast agent_heartbeat payload of spec/events.md §1, verbatim.
HEARTBEAT_EXAMPLE = """
{"agent_info":{"ip":"127.0.0.1","region":null,"scaling_group":"default","addr":"tcp://127.0.0.1:6011",
 "public_key":null,"public_host":"127.0.0.1",
 "available_resource_slots":[{"resource_type":"cpu","quantity":"4"},{"resource_type":"mem","quantity":"34359738368"}],
 "slot_key_and_units":{"cpu":"count","mem":"bytes"},"version":"26.9.6",
 "compute_plugins":{"cpu":{"version":"..."},"mem":{"version":"..."}},"architecture":"x86_64",
 "auto_terminate_abusing_kernel":false}}
"""

CREATION_INFO = {
    "container_id": "c1",
    "kernel_host": "127.0.0.1",
    "repl_in_port": 30001,
    "repl_out_port": 30002,
    "service_ports": [
        {
            "name": "jupyter",
            "protocol": "http",
            "container_ports": [8080],
            "host_ports": [None],
            "is_inference": False,
        }
    ],
    "used_devices": {
        "units": {
            "cpu": {
                "root": {
                    "model_name": None,
                    "used": {"cpu": "1.5"},
                    "processing_units": None,
                    "memory_size": None,
                }
            }
        }
    },
}

# One full body per event name, as the reference models dump them (every field present).
SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "agent_started": {"reason": "self-started"},
    "agent_terminated": {"reason": "shutdown"},
    "agent_heartbeat": json.loads(HEARTBEAT_EXAMPLE),
    "agent_error": {
        "message": "boom",
        "traceback": None,
        "user": None,
        "context_env": {},
        "severity": "ERROR",
    },
    "agent_images_remove": {"image_canonicals": ["cr.backend.ai/stable/python:3.9"]},
    "agent_installed_images_remove": {
        "scanned_images": {"a:1": {"canonical": "a:1", "digest": "sha256:00"}}
    },
    "do_agent_resource_check": {"agent_id": "i-node01"},
    "image_pull_started": {
        "image": "cr.backend.ai/stable/python:3.9",
        "agent_id": "i-node01",
        "timestamp": 1736500000.25,
        "image_ref": IMAGE_REF,
    },
    "image_pull_finished": {
        "image": "cr.backend.ai/stable/python:3.9",
        "agent_id": "i-node01",
        "timestamp": 1736500001.5,
        "msg": "Image already exists",
        "image_ref": None,
    },
    "image_pull_failed": {
        "image": "cr.backend.ai/stable/python:3.9",
        "agent_id": "i-node01",
        "msg": "timeout",
        "image_ref": IMAGE_REF,
    },
    "kernel_preparing": {"kernel_id": KID, "session_id": SID, "reason": ""},
    "kernel_pulling": {"kernel_id": KID, "session_id": SID, "reason": "python:3.9"},
    "kernel_creating": {"kernel_id": KID, "session_id": SID, "reason": ""},
    "kernel_started": {
        "kernel_id": KID,
        "session_id": SID,
        "reason": "",
        "creation_info": CREATION_INFO,
    },
    "kernel_cancelled": {"kernel_id": KID, "session_id": SID, "reason": ""},
    "kernel_terminating": {
        "kernel_id": KID,
        "session_id": SID,
        "reason": "user-requested",
        "exit_code": -1,
    },
    "kernel_terminated": {
        "kernel_id": KID,
        "session_id": SID,
        "reason": "unknown",
        "exit_code": -1,
    },
    "do_sync_kernel_logs": {"kernel_id": KID, "container_id": "c1"},
    "session_enqueued": {"session_id": SID, "creation_id": "abc", "reason": "unknown"},
    "session_checking_precondition": {
        "session_id": SID,
        "creation_id": "abc",
        "reason": "unknown",
    },
    "session_started": {"session_id": SID, "creation_id": "abc", "reason": "unknown"},
    "session_cancelled": {
        "session_id": SID,
        "creation_id": "abc",
        "reason": "pending-timeout",
    },
    "session_terminating": {"session_id": SID, "reason": "user-requested"},
    "session_terminated": {"session_id": SID, "reason": "user-requested"},
    "session_success": {"session_id": SID, "reason": "task-finished", "exit_code": 0},
    "session_failure": {"session_id": SID, "reason": "task-failed", "exit_code": 1},
    "scheduling": {
        "session_id": SID,
        "creation_id": "abc",
        "status_transition": "SCHEDULED",
        "reason": "",
    },
    "execution_started": {"session_id": SID},
    "execution_finished": {"session_id": SID},
    "execution_timeout": {"session_id": SID},
    "execution_cancelled": {"session_id": SID},
    "bgtask_updated": {
        "task_id": TID,
        "current_progress": 1.0,
        "total_progress": 4.0,
        "message": None,
    },
    "bgtask_done": {"task_id": TID, "message": "done"},
    "bgtask_failed": {"task_id": TID, "message": "oops"},
    "bgtask_cancelled": {"task_id": TID, "message": None},
    "bgtask_partial_success": {"task_id": TID, "message": None, "errors": ["e1"]},
    "do_volume_mount": {
        "dir_name": "d",
        "volume_backend_name": "v",
        "quota_scope_id": QSID,
        "fs_location": "x",
        "fs_type": "nfs",
        "cmd_options": None,
        "scaling_group": None,
        "edit_fstab": False,
        "fstab_path": "/etc/fstab",
    },
    "do_volume_unmount": {
        "dir_name": "d",
        "volume_backend_name": "v",
        "quota_scope_id": QSID,
        "scaling_group": None,
        "edit_fstab": False,
        "fstab_path": None,
    },
    "volume_mounted": {
        "node_id": "n",
        "node_type": "agent",
        "mount_path": "/m",
        "quota_scope_id": QSID,
        "err_msg": None,
    },
    "volume_unmounted": {
        "node_id": "n",
        "node_type": "agent",
        "mount_path": "/m",
        "quota_scope_id": QSID,
        "err_msg": "busy",
    },
    # as the storage proxy 26.9.6 writes them
    "vfolder_clone_success": {
        "vfid": "user:dfa9da54-4b28-432f-be29-c0d680c7a412/b3ce8f293fe3487483e9f89c1b43faa6",
        "dst_vfid": "user:dfa9da54-4b28-432f-be29-c0d680c7a412/741ea46e06aa40e9a5ba030ebc692fcd",
    },
    "vfolder_clone_failure": {
        "vfid": "user:dfa9da54-4b28-432f-be29-c0d680c7a412/b3ce8f293fe3487483e9f89c1b43faa6",
        "dst_vfid": "user:dfa9da54-4b28-432f-be29-c0d680c7a412/741ea46e06aa40e9a5ba030ebc692fcd",
        "message": "m",
    },
    "service_registered": {
        "instance_id": "i1",
        "service_group": "g",
        "display_name": "agent",
        "version": "26.9.6",
        "labels": {},
        "endpoints": [
            {
                "role": "rpc",
                "scope": "private",
                "address": "127.0.0.1",
                "port": 6001,
                "protocol": "tcp",
                "metadata": {},
            }
        ],
        "startup_time": "2025-01-10T09:00:00Z",
        "config_hash": "",
    },
    "service_deregistered": {"instance_id": "i1", "service_group": "g"},
}

SPEC_REASONS = [
    "agent-termination",
    "already-terminated",
    "anomaly-detected",
    "exec-timeout",
    "failed-to-create",
    "failed-to-start",
    "force-terminated",
    "bootstrap-timeout",
    "hang-timeout",
    "idle-timeout",
    "idle-session-lifetime",
    "idle-utilization",
    "killed-by-event",
    "service-scaled-down",
    "new-container-started",
    "pending-timeout",
    "restarting",
    "restart-timeout",
    "resuming-agent-operation",
    "self-terminated",
    "task-failed",
    "task-timeout",
    "task-cancelled",
    "task-finished",
    "terminated-unknown-container",
    "unknown",
    "user-requested",
    "user-purged",
    "not-found-in-manager",
    "container-not-found",
    "route-termination",
    "dry-run-complete",
    "preempted-by-scheduler",
    "agent-resource-group-changed",
    "stale-kernel",
    "exceeded-max-retries",
    "abnormal-termination",
    "rescheduled",
    "triggered-by-scheduler",
    "passed-preconditions",
    "deprioritized-for-rescheduling",
    "preemption-reservation",
    "preempted-by-reservation",
    "kernel-handler-failure",
]


def test_every_event_name_has_a_sample_and_a_class() -> None:
    assert set(SAMPLE_BODIES) == set(EVENT_TYPES)
    for name, cls in EVENT_TYPES.items():
        assert cls.name == name
        assert event_type(name) is cls
    assert event_type("do_sokovan_process_schedule") is None


@pytest.mark.parametrize("name", sorted(SAMPLE_BODIES))
def test_body_round_trips_with_the_same_keys_and_values(name: str) -> None:
    cls = EVENT_TYPES[name]
    body = SAMPLE_BODIES[name]
    event = cls.from_json(json.dumps(body))
    dumped = json.loads(event.to_json())
    if name == "service_registered":  # pydantic writes UTC as "Z"
        assert dumped.pop("startup_time") == body["startup_time"]
        body = {k: v for k, v in body.items() if k != "startup_time"}
    assert dumped == body


@pytest.mark.parametrize("name", sorted(SAMPLE_BODIES))
def test_unknown_fields_are_ignored(name: str) -> None:
    body = {**SAMPLE_BODIES[name], "added_in_a_later_release": [1, 2]}
    event = EVENT_TYPES[name].from_json(json.dumps(body))
    assert "added_in_a_later_release" not in json.loads(event.to_json())


def test_heartbeat_example_parses_into_typed_fields() -> None:
    event = AgentHeartbeatEvent.from_json(HEARTBEAT_EXAMPLE)
    info = event.agent_info
    assert info.addr == "tcp://127.0.0.1:6011"
    assert info.region is None and info.public_key is None
    assert info.scaling_group == "default"
    assert info.slots() == {"cpu": Decimal(4), "mem": Decimal(34359738368)}
    assert info.slot_key_and_units == {"cpu": "count", "mem": "bytes"}
    dumped = json.loads(event.to_json())
    # Decimals travel as strings, never as floats or exponent notation.
    assert dumped["agent_info"]["available_resource_slots"] == [
        {"resource_type": "cpu", "quantity": "4"},
        {"resource_type": "mem", "quantity": "34359738368"},
    ]


def test_defaults_of_optional_fields() -> None:
    terminated = KernelTerminatedEvent.from_json(json.dumps({"kernel_id": KID, "session_id": SID}))
    assert terminated.reason is KernelLifecycleEventReason.UNKNOWN
    assert terminated.exit_code == -1
    assert terminated.kernel_id == uuid.UUID(KID)
    success = SessionSuccessEvent(session_id=uuid.UUID(SID))
    assert json.loads(success.to_json()) == {
        "session_id": SID,
        "reason": "unknown",
        "exit_code": -1,
    }


def test_kernel_started_keeps_service_ports_and_devices() -> None:
    event = KernelStartedEvent.from_json(json.dumps(SAMPLE_BODIES["kernel_started"]))
    port = event.creation_info.service_ports[0]
    assert port.protocol is ServicePortProtocol.HTTP
    assert port.host_ports == [None]
    used = event.creation_info.used_devices.units["cpu"]["root"].used
    assert used == {"cpu": Decimal("1.5")}


def test_numeric_device_amounts_are_accepted() -> None:
    body = json.loads(json.dumps(SAMPLE_BODIES["kernel_started"]))
    body["creation_info"]["used_devices"]["units"]["cpu"]["root"]["used"] = {"cpu": 2}
    event = KernelStartedEvent.from_json(json.dumps(body))
    assert event.creation_info.used_devices.units["cpu"]["root"].used == {"cpu": Decimal(2)}


def test_lifecycle_reasons_are_exactly_the_spec_list() -> None:
    assert sorted(r.value for r in KernelLifecycleEventReason) == sorted(SPEC_REASONS)


def test_unfamiliar_lifecycle_reason_is_kept_not_rejected() -> None:
    body = {"kernel_id": KID, "session_id": SID, "reason": "from-the-future", "exit_code": 3}
    event = KernelTerminatedEvent.from_json(json.dumps(body))
    assert event.reason == "from-the-future"
    known = KernelTerminatedEvent.from_json(json.dumps({**body, "reason": "user-requested"}))
    assert known.reason is KernelLifecycleEventReason.USER_REQUESTED


def test_missing_required_field_is_malformed() -> None:
    with pytest.raises(MalformedEvent):
        decode_body(KernelStartedEvent, json.dumps({"kernel_id": KID, "session_id": SID}))
    with pytest.raises(MalformedEvent):
        decode_body(AgentHeartbeatEvent, "not json")


def test_anycast_envelope_stream_fields() -> None:
    event = AgentTerminatedEvent(reason="agent-lost")
    envelope = AnycastEnvelope.of(event, source="i-node01")
    fields = envelope.to_stream_fields()
    assert fields == {
        b"name": b"agent_terminated",
        b"source": b"i-node01",
        b"payload": b'{"reason":"agent-lost"}',
    }
    assert AnycastEnvelope.from_stream_fields(fields) == envelope


def test_anycast_envelope_with_metadata_and_retry() -> None:
    envelope = AnycastEnvelope.of(
        AgentTerminatedEvent(reason="shutdown"),
        source="i-a",
        metadata=EventMetadata(request_id="req-1"),
    )
    retried = envelope.retried("1736500000123-0").retried("1736500009999-0")
    fields = retried.to_stream_fields()
    assert fields[b"_retry_count"] == b"2"
    assert fields[b"_origin_id"] == b"1736500000123-0"
    assert json.loads(fields[b"metadata"])["request_id"] == "req-1"
    decoded = AnycastEnvelope.from_stream_fields(fields)
    assert decoded.retry_count == 2
    assert decoded.origin_id == "1736500000123-0"
    assert decoded.metadata is not None and decoded.metadata.request_id == "req-1"
    assert stream_id_time("1736500000123-0") == pytest.approx(1736500000.123)


def test_reference_metadata_is_read_and_bad_metadata_does_not_drop_the_event() -> None:
    base = {b"name": b"agent_started", b"source": b"i-a", b"payload": b'{"reason":"x"}'}
    ref_metadata = json.dumps(
        {"request_id": None, "user": None, "triggered_user": None, "traceparent": "00-ab-cd-01"}
    ).encode()
    decoded = AnycastEnvelope.from_stream_fields({**base, b"metadata": ref_metadata})
    assert decoded.metadata is not None and decoded.metadata.traceparent == "00-ab-cd-01"
    assert AnycastEnvelope.from_stream_fields({**base, b"metadata": b"{nope"}).metadata is None


@pytest.mark.parametrize(
    "fields",
    [
        {b"source": b"i-a", b"payload": b"{}"},
        {b"name": b"x", b"payload": b"{}"},
        {b"name": b"x", b"source": b"i-a"},
        {b"name": b"\xff", b"source": b"i-a", b"payload": b"{}"},
        {b"name": b"x", b"source": b"i-a", b"payload": b"{}", b"_retry_count": b"many"},
    ],
)
def test_malformed_stream_entries(fields: dict[bytes, bytes]) -> None:
    with pytest.raises(MalformedEvent):
        AnycastEnvelope.from_stream_fields(fields)


def test_broadcast_envelope_nests_json_strings() -> None:
    task_id = uuid.UUID(TID)
    event = BgtaskUpdatedEvent(task_id=task_id, current_progress=1, total_progress=2, message="m")
    envelope = BroadcastEnvelope.of(event, source="i-mgr", metadata=EventMetadata())
    message = json.loads(envelope.to_json())
    assert set(message) == {"name", "source", "payload", "metadata"}
    assert message["name"] == "bgtask_updated"
    assert isinstance(message["payload"], str) and isinstance(message["metadata"], str)
    assert json.loads(message["payload"]) == {
        "task_id": TID,
        "current_progress": 1.0,
        "total_progress": 2.0,
        "message": "m",
    }
    assert BroadcastEnvelope.from_json(envelope.to_json()) == envelope
    without = BroadcastEnvelope.of(event, source="i-mgr")
    assert "metadata" not in json.loads(without.to_json())


@pytest.mark.parametrize(
    "raw",
    ["", "[]", "{}", '{"name": "x", "source": "s"}', '{"name": 1, "source": "s", "payload": "{}"}'],
)
def test_malformed_broadcast_messages(raw: str) -> None:
    with pytest.raises(MalformedEvent):
        BroadcastEnvelope.from_json(raw)


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("agent-lost", AgentStatus.LOST),
        ("agent-restart", AgentStatus.RESTARTING),
        ("shutdown", AgentStatus.TERMINATED),
        ("anything-else", AgentStatus.TERMINATED),
    ],
)
def test_exit_reason_to_status(reason: str, status: AgentStatus) -> None:
    assert exit_status(reason) is status
