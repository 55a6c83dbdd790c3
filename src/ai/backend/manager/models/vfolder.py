"""Virtual folders, per-user sharing permissions and pending invitations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    DOMAIN_NAME,
    bool_column,
    enum_value_column,
    int_column,
    link,
    timestamp,
    unique_where,
    uuid_pk,
)
from ai.backend.manager.types import (
    VFOLDER_DELETED_STATUSES,
    VFolderInvitationState,
    VFolderOperationStatus,
    VFolderOwnershipType,
    VFolderPermission,
    VFolderUsageMode,
)

_LIVE_FOLDER_SQL = "status NOT IN ({})".format(
    ", ".join(sorted(f"'{status.value}'" for status in VFOLDER_DELETED_STATUSES))
)

vfolders = sa.Table(
    "vfolders",
    metadata,
    uuid_pk("id"),
    # `proxy:volume`
    sa.Column("host", sa.String(128), nullable=False, index=True),
    sa.Column("domain_name", DOMAIN_NAME, nullable=False, index=True),
    # `user:<uuid>` or `project:<uuid>`
    sa.Column("quota_scope_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(128), nullable=False, index=True),
    enum_value_column("usage_mode", VFolderUsageMode, VFolderUsageMode.GENERAL, index=True),
    enum_value_column("default_mount_permission", VFolderPermission, VFolderPermission.READ_WRITE),
    # Limits and usage, as last reported by the storage proxy.
    int_column("max_files", 1000, nullable=True),
    sa.Column("max_size", sa.Integer),
    int_column("num_files", 0, nullable=True),
    int_column("cur_size", 0, nullable=True),
    timestamp("last_used"),
    # The creator's email.
    sa.Column("creator", sa.String(128)),
    sa.Column("creator_id", GUID),
    sa.Column("unmanaged_path", sa.String(512)),
    enum_value_column(
        "ownership_type", VFolderOwnershipType, VFolderOwnershipType.USER, index=True
    ),
    # Exactly one of `user` / `group` is set, according to `ownership_type`.
    *(sa.Column(owner, GUID, index=True) for owner in ("user", "group")),
    bool_column("cloneable", False),
    enum_value_column("status", VFolderOperationStatus, VFolderOperationStatus.READY, index=True),
    sa.Column("status_history", pg.JSONB),
    timestamp("status_changed", index=True),
    created_at_column(),
    updated_at_column(),
    # Names are unique within a project, among folders not deleted for good.
    unique_where("uq_vfolders_group_name", "group", "name", where=_LIVE_FOLDER_SQL),
    # the lists' default order (newest first), walked backwards
    sa.Index("ix_vfolders_created_at_id", "created_at", "id"),
)


def _shared_folder() -> sa.Column[Any]:
    return link("vfolder", GUID, "vfolders.id")


def _permission() -> sa.Column[Any]:
    return enum_value_column("permission", VFolderPermission, VFolderPermission.READ_WRITE)


# A folder shared with a user, and with which permission.
vfolder_permissions = sa.Table(
    "vfolder_permissions",
    metadata,
    uuid_pk("id"),
    _shared_folder(),
    link("user", GUID, "users.uuid"),
    _permission(),
    sa.UniqueConstraint("vfolder", "user", name="uq_vfolder_permissions_vfolder_user"),
)

# An offer to share a folder, from one user (email) to another, until accepted or rejected.
vfolder_invitations = sa.Table(
    "vfolder_invitations",
    metadata,
    uuid_pk("id"),
    _permission(),
    sa.Column("inviter", sa.String(256), nullable=False),
    sa.Column("invitee", sa.String(256), nullable=False, index=True),
    enum_value_column("state", VFolderInvitationState, VFolderInvitationState.PENDING),
    _shared_folder(),
    created_at_column(),
    timestamp("modified_at", server_default=sa.func.now(), onupdate=sa.func.now()),
)
