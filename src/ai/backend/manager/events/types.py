"""Enumerations and nested models shared by several event bodies."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field


class KernelLifecycleEventReason(enum.StrEnum):
    """Why a kernel or session changed state; travels as its value (listed alphabetically)."""

    ABNORMAL_TERMINATION = "abnormal-termination"
    AGENT_RESOURCE_GROUP_CHANGED = "agent-resource-group-changed"
    AGENT_TERMINATION = "agent-termination"
    ALREADY_TERMINATED = "already-terminated"
    ANOMALY_DETECTED = "anomaly-detected"
    BOOTSTRAP_TIMEOUT = "bootstrap-timeout"
    CONTAINER_NOT_FOUND = "container-not-found"
    DEPRIORITIZED_FOR_RESCHEDULING = "deprioritized-for-rescheduling"
    DRY_RUN_COMPLETE = "dry-run-complete"
    EXCEEDED_MAX_RETRIES = "exceeded-max-retries"
    EXEC_TIMEOUT = "exec-timeout"
    FAILED_TO_CREATE = "failed-to-create"
    FAILED_TO_START = "failed-to-start"
    FORCE_TERMINATED = "force-terminated"
    HANG_TIMEOUT = "hang-timeout"
    IDLE_SESSION_LIFETIME = "idle-session-lifetime"
    IDLE_TIMEOUT = "idle-timeout"
    IDLE_UTILIZATION = "idle-utilization"
    KERNEL_HANDLER_FAILURE = "kernel-handler-failure"
    KILLED_BY_EVENT = "killed-by-event"
    NEW_CONTAINER_STARTED = "new-container-started"
    NOT_FOUND_IN_MANAGER = "not-found-in-manager"
    PASSED_PRECONDITIONS = "passed-preconditions"
    PENDING_TIMEOUT = "pending-timeout"
    PREEMPTED_BY_RESERVATION = "preempted-by-reservation"
    PREEMPTED_BY_SCHEDULER = "preempted-by-scheduler"
    PREEMPTION_RESERVATION = "preemption-reservation"
    RESCHEDULED = "rescheduled"
    RESTART_TIMEOUT = "restart-timeout"
    RESTARTING = "restarting"
    RESUMING_AGENT_OPERATION = "resuming-agent-operation"
    ROUTE_TERMINATION = "route-termination"
    SELF_TERMINATED = "self-terminated"
    SERVICE_SCALED_DOWN = "service-scaled-down"
    STALE_KERNEL = "stale-kernel"
    TASK_CANCELLED = "task-cancelled"
    TASK_FAILED = "task-failed"
    TASK_FINISHED = "task-finished"
    TASK_TIMEOUT = "task-timeout"
    TERMINATED_UNKNOWN_CONTAINER = "terminated-unknown-container"
    TRIGGERED_BY_SCHEDULER = "triggered-by-scheduler"
    UNKNOWN = "unknown"
    USER_PURGED = "user-purged"
    USER_REQUESTED = "user-requested"


# A reason we understand as an enum member, or (from a newer peer) any other string: we would
# rather keep a kernel_terminated with an unfamiliar reason than drop it as malformed.
type LifecycleReason = Annotated[
    KernelLifecycleEventReason | str, Field(union_mode="left_to_right")
]


class AgentExitReason(enum.StrEnum):
    """The `reason` strings of agent_started / agent_terminated."""

    SELF_STARTED = "self-started"
    REVIVED = "revived"
    SHUTDOWN = "shutdown"
    AGENT_LOST = "agent-lost"
    AGENT_RESTART = "agent-restart"


class LogLevel(enum.StrEnum):
    CRITICAL = "CRITICAL"
    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"
    DEBUG = "DEBUG"
    TRACE = "TRACE"
    NOTSET = "NOTSET"


class ServicePortProtocol(enum.StrEnum):
    HTTP = "http"
    TCP = "tcp"
    PREOPEN = "preopen"
    INTERNAL = "internal"
    VNC = "vnc"
    RDP = "rdp"


class WireModel(BaseModel):
    """A nested body object: same JSON conventions as events, tolerant of unknown keys."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class ResourceSlotEntry(WireModel):
    resource_type: str
    quantity: Decimal


class AgentInfo(WireModel):
    """What an agent reports about itself in every heartbeat."""

    ip: str
    region: str | None = None
    scaling_group: str | None = None
    addr: str
    public_key: str | None = None
    public_host: str
    available_resource_slots: list[ResourceSlotEntry]
    slot_key_and_units: dict[str, str]
    version: str
    compute_plugins: dict[str, dict[str, Any]] = Field(default_factory=dict)
    architecture: str
    auto_terminate_abusing_kernel: bool = False

    def slots(self) -> dict[str, Decimal]:
        return {entry.resource_type: entry.quantity for entry in self.available_resource_slots}


class ImageRef(WireModel):
    name: str
    project: str | None = None
    tag: str
    registry: str
    architecture: str
    is_local: bool = False


class ScannedImage(WireModel):
    canonical: str
    digest: str


class ServicePortInfo(WireModel):
    name: str
    protocol: Annotated[ServicePortProtocol | str, Field(union_mode="left_to_right")]
    container_ports: list[int]
    host_ports: list[int | None]
    is_inference: bool = False


class UsedDevice(WireModel):
    model_name: str | None = None
    used: Mapping[str, Decimal]
    processing_units: int | None = None
    memory_size: int | None = None


class UsedDevices(WireModel):
    # {device_name: {device_id: UsedDevice}}
    units: Mapping[str, Mapping[str, UsedDevice]] = Field(default_factory=dict)


class KernelCreationInfo(WireModel):
    """Where a started kernel runs and what it occupies (in kernel_started)."""

    container_id: str
    kernel_host: str
    repl_in_port: int
    repl_out_port: int
    service_ports: list[ServicePortInfo] = Field(default_factory=list)
    used_devices: UsedDevices = Field(default_factory=UsedDevices)


class ServiceEndpointInfo(WireModel):
    role: str
    scope: str
    address: str
    port: int
    protocol: str
    metadata: dict[str, Any] = Field(default_factory=dict)
