"""Session and kernel records as the repository takes and returns them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ai.backend.manager.data.vfolder_mount import VFolderMount
from ai.backend.manager.types import (
    ClusterMode,
    KernelStatus,
    ResourceSlot,
    SessionResult,
    SessionStatus,
    SessionTypes,
)


@dataclass(frozen=True, slots=True)
class KernelSpec:
    """One kernel of a session being enqueued."""

    kernel_id: uuid.UUID
    cluster_role: str
    cluster_idx: int
    local_rank: int
    cluster_hostname: str
    image: str
    image_id: uuid.UUID
    architecture: str
    registry: str
    requested_slots: ResourceSlot
    resource_opts: dict[str, Any]
    preopen_ports: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """Everything needed to enqueue a session (validated by the service)."""

    session_id: uuid.UUID
    creation_id: str
    name: str
    session_type: SessionTypes
    priority: int
    cluster_mode: ClusterMode
    cluster_size: int
    resource_group_id: uuid.UUID
    scaling_group_name: str
    domain_name: str
    domain_id: uuid.UUID
    group_id: uuid.UUID
    user_uuid: uuid.UUID
    access_key: str
    tag: str | None
    environ: dict[str, str]
    bootstrap_script: str | None
    startup_command: str | None
    callback_url: str | None
    requested_starts_at: datetime | None
    batch_timeout: int | None
    designated_agent_ids: list[str] | None
    dependencies: list[uuid.UUID]
    kernels: list[KernelSpec]
    vfolder_mounts: list[VFolderMount] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KernelRecord:
    id: uuid.UUID
    session_id: uuid.UUID
    cluster_role: str
    cluster_idx: int
    local_rank: int
    cluster_hostname: str
    status: KernelStatus
    status_info: str | None
    status_data: dict[str, Any] | None
    status_changed: datetime | None
    agent: str | None
    agent_addr: str | None
    image: str
    architecture: str
    registry: str | None
    container_id: str | None
    kernel_host: str | None
    service_ports: list[dict[str, Any]] | None
    preopen_ports: list[int] | None
    resource_opts: dict[str, Any] | None
    occupied_slots: ResourceSlot
    created_at: datetime | None
    terminated_at: datetime | None


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: uuid.UUID
    creation_id: str | None
    name: str
    session_type: SessionTypes
    priority: int
    cluster_mode: ClusterMode
    cluster_size: int
    scaling_group_name: str
    domain_name: str
    group_id: uuid.UUID
    group_name: str | None
    user_uuid: uuid.UUID
    user_email: str | None
    access_key: str | None
    images: list[str]
    tag: str | None
    status: SessionStatus
    status_info: str | None
    status_data: dict[str, Any] | None
    status_history: dict[str, str] | None
    result: SessionResult
    environ: dict[str, str] | None
    bootstrap_script: str | None
    startup_command: str | None
    callback_url: str | None
    created_at: datetime | None
    terminated_at: datetime | None
    starts_at: datetime | None
    requested_starts_at: datetime | None
    batch_timeout: int | None
    agent_ids: list[str]
    kernels: list[KernelRecord]
    dependencies: list[uuid.UUID]
    # the agent's `VFolderMount` JSON of each mounted folder
    vfolder_mounts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def main_kernel(self) -> KernelRecord | None:
        for kernel in self.kernels:
            if kernel.cluster_role == "main":
                return kernel
        return self.kernels[0] if self.kernels else None

    @property
    def occupied_slots(self) -> ResourceSlot:
        total: ResourceSlot = {}
        for kernel in self.kernels:
            for slot, amount in kernel.occupied_slots.items():
                total[slot] = total.get(slot, 0) + amount
        return total


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A session that moved from one status to another (for events and SSE)."""

    session_id: uuid.UUID
    before: SessionStatus
    after: SessionStatus
    reason: str | None = None
