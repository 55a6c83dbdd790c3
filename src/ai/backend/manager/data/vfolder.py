"""Virtual folder records as the repository returns them, and what creating one takes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ai.backend.manager.types import (
    VFolderOperationStatus,
    VFolderOwnershipType,
    VFolderPermission,
    VFolderUsageMode,
)

# Ranks of the mount permissions: a caller holding a higher rank may do what a lower one allows.
PERMISSION_RANK: dict[VFolderPermission, int] = {
    VFolderPermission.READ_ONLY: 1,
    VFolderPermission.READ_WRITE: 2,
    VFolderPermission.RW_DELETE: 3,
}


def permission_covers(held: VFolderPermission, needed: VFolderPermission) -> bool:
    return PERMISSION_RANK[held] >= PERMISSION_RANK[needed]


@dataclass(frozen=True, slots=True)
class VFolderRecord:
    # what it is and where it lives
    id: uuid.UUID
    name: str
    host: str
    quota_scope_id: str
    domain_name: str
    # whose it is
    ownership_type: VFolderOwnershipType
    user: uuid.UUID | None
    group: uuid.UUID | None
    creator_id: uuid.UUID | None
    creator: str | None
    # how it is used
    usage_mode: VFolderUsageMode
    default_mount_permission: VFolderPermission
    cloneable: bool
    unmanaged_path: str | None
    # where it is in its life
    status: VFolderOperationStatus
    status_changed: datetime | None
    created_at: datetime
    last_used: datetime | None
    # limits and usage as last recorded
    cur_size: int | None
    num_files: int | None
    max_size: int | None
    max_files: int | None
    # the owner's email (user folders) and the project's name (project folders), when joined
    user_email: str | None = None
    group_name: str | None = None

    @property
    def vfid(self) -> str:
        """How the storage proxy names the folder: `<quota scope>/<id hex>`."""
        return f"{self.quota_scope_id}/{self.id.hex}"


@dataclass(frozen=True, slots=True)
class VFolderAccess:
    """A folder as one caller sees it: the permission they hold and whether they own it
    (owners and administrators may rename, delete and change its options)."""

    folder: VFolderRecord
    permission: VFolderPermission
    is_owner: bool


@dataclass(frozen=True, slots=True)
class VFolderCaller:
    """Who asks, as far as folder access is concerned."""

    user_uuid: uuid.UUID
    domain_name: str
    role: str  # superadmin | admin | user | monitor

    @property
    def is_superadmin(self) -> bool:
        return self.role == "superadmin"

    @property
    def is_admin(self) -> bool:
        return self.role in ("superadmin", "admin")


@dataclass(frozen=True, slots=True)
class ProjectForFolder:
    """A project a folder may be created in, with the limits of its resource policy."""

    id: uuid.UUID
    name: str
    domain_name: str
    is_active: bool
    is_member: bool
    max_vfolder_count: int
    max_quota_scope_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class VFolderCreateSpec:
    """A new folder's row, inserted as CREATING until the storage proxy has made it."""

    id: uuid.UUID
    name: str
    host: str
    domain_name: str
    quota_scope_id: str
    usage_mode: VFolderUsageMode
    default_mount_permission: VFolderPermission
    creator: str
    creator_id: uuid.UUID
    ownership_type: VFolderOwnershipType
    user: uuid.UUID | None
    group: uuid.UUID | None
    cloneable: bool
    # the owner's folder allowance (0 or less: no limit)
    max_vfolder_count: int


@dataclass(frozen=True, slots=True)
class VFolderListScope:
    """Which folders a list covers: `everything`, one `domain_name`, or what `accessible_to`
    may use (own, shared with them, their projects'); optionally one project and one
    ownership kind. `include_deleted` keeps folders in and past the trash."""

    accessible_to: uuid.UUID | None = None
    domain_name: str | None = None
    group_id: uuid.UUID | None = None
    ownership_type: VFolderOwnershipType | None = None
    only_owned: bool = False
    only_shared: bool = False
    include_deleted: bool = True


@dataclass(frozen=True, slots=True)
class UploadTicket:
    url: str
    token: str


@dataclass(frozen=True, slots=True)
class MkdirResult:
    success: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    # the status the storage proxy answered (207 when some paths failed)
    status: int = 201


@dataclass(frozen=True, slots=True)
class ResolvedMount:
    """A folder named in a session's mounts, resolved for one user: what the agent needs."""

    name: str
    vfolder_id: uuid.UUID
    host: str
    quota_scope_id: str
    permission: VFolderPermission
    usage_mode: VFolderUsageMode
    # the folder's path on the storage host, as the storage proxy reports it
    host_path: str

    @property
    def vfid(self) -> str:
        return f"{self.quota_scope_id}/{self.vfolder_id.hex}"
