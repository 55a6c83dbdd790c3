"""Virtual folders, per-user sharing permissions and pending invitations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    bool_column,
    enum_value_column,
    int_column,
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

_DELETED_STATUS_SQL = ", ".join(f"'{s.value}'" for s in sorted(VFOLDER_DELETED_STATUSES))

vfolders = sa.Table(
    "vfolders",
    metadata,
    uuid_pk("id"),
    # `proxy:volume`
    sa.Column("host", sa.String(128), nullable=False, index=True),
    sa.Column("domain_name", sa.String(64), nullable=False, index=True),
    # `user:<uuid>` or `project:<uuid>`
    sa.Column("quota_scope_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(128), nullable=False, index=True),
    enum_value_column("usage_mode", VFolderUsageMode, VFolderUsageMode.GENERAL, index=True),
    enum_value_column("default_mount_permission", VFolderPermission, VFolderPermission.READ_WRITE),
    int_column("max_files", 1000, nullable=True),
    sa.Column("max_size", sa.Integer),
    int_column("num_files", 0, nullable=True),
    int_column("cur_size", 0, nullable=True),
    sa.Column("last_used", sa.DateTime(timezone=True)),
    # The creator's email.
    sa.Column("creator", sa.String(128)),
    sa.Column("creator_id", GUID),
    sa.Column("unmanaged_path", sa.String(512)),
    enum_value_column(
        "ownership_type", VFolderOwnershipType, VFolderOwnershipType.USER, index=True
    ),
    # Exactly one of `user` / `group` is set, according to `ownership_type`.
    sa.Column("user", GUID, index=True),
    sa.Column("group", GUID, index=True),
    bool_column("cloneable", False),
    enum_value_column("status", VFolderOperationStatus, VFolderOperationStatus.READY, index=True),
    sa.Column("status_history", pg.JSONB),
    sa.Column("status_changed", sa.DateTime(timezone=True), index=True),
    created_at_column(),
    updated_at_column(),
    # Names are unique within a project, among folders not deleted for good.
    sa.Index(
        "uq_vfolders_group_name",
        "group",
        "name",
        unique=True,
        postgresql_where=sa.text(f"status NOT IN ({_DELETED_STATUS_SQL})"),
    ),
)


def _vfolder_fk() -> sa.Column[Any]:
    return sa.Column(
        "vfolder",
        GUID,
        sa.ForeignKey("vfolders.id", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


# A folder shared with a user, and with which permission.
vfolder_permissions = sa.Table(
    "vfolder_permissions",
    metadata,
    uuid_pk("id"),
    _vfolder_fk(),
    sa.Column(
        "user",
        GUID,
        sa.ForeignKey("users.uuid", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    enum_value_column("permission", VFolderPermission, VFolderPermission.READ_WRITE),
    sa.UniqueConstraint("vfolder", "user", name="uq_vfolder_permissions_vfolder_user"),
)

# An offer to share a folder, from one user (email) to another, until accepted or rejected.
vfolder_invitations = sa.Table(
    "vfolder_invitations",
    metadata,
    uuid_pk("id"),
    enum_value_column("permission", VFolderPermission, VFolderPermission.READ_WRITE),
    sa.Column("inviter", sa.String(256), nullable=False),
    sa.Column("invitee", sa.String(256), nullable=False, index=True),
    enum_value_column("state", VFolderInvitationState, VFolderInvitationState.PENDING),
    _vfolder_fk(),
    created_at_column(),
    sa.Column(
        "modified_at",
        sa.DateTime(timezone=True),
        server_default=sa.func.now(),
        onupdate=sa.func.now(),
    ),
)
