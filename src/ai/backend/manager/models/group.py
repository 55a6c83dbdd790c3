"""Groups (projects, in the API's words) and their members."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    bool_column,
    dotfiles_column,
    enum_value_column,
    resource_slot_column,
    uuid_pk,
    vfolder_host_permission_column,
)
from ai.backend.manager.types import ProjectStatus, ProjectType

groups = sa.Table(
    "groups",
    metadata,
    uuid_pk("id"),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("description", sa.String(512)),
    bool_column("is_active", True, nullable=True),
    enum_value_column("status", ProjectStatus, ProjectStatus.ACTIVE, index=True),
    sa.Column("integration_id", sa.String(512)),
    sa.Column(
        "domain_name",
        sa.String(64),
        sa.ForeignKey("domains.name", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    resource_slot_column("total_resource_slots"),
    vfolder_host_permission_column(),
    dotfiles_column(),
    sa.Column(
        "resource_policy",
        sa.String(256),
        sa.ForeignKey("project_resource_policies.name", onupdate="CASCADE"),
        nullable=False,
    ),
    enum_value_column("type", ProjectType, ProjectType.GENERAL),
    sa.Column("creator_id", GUID, sa.ForeignKey("users.uuid")),
    sa.Column("container_registry", pg.JSONB),
    created_at_column(),
    updated_at_column(),
    sa.UniqueConstraint("name", "domain_name", name="uq_groups_name_domain_name"),
    # A user has at most one personal project.
    sa.Index(
        "uq_groups_personal_creator",
        "creator_id",
        unique=True,
        postgresql_where=sa.text("type = 'personal'"),
    ),
)

association_groups_users = sa.Table(
    "association_groups_users",
    metadata,
    uuid_pk("id"),
    sa.Column(
        "user_id",
        GUID,
        sa.ForeignKey("users.uuid", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "group_id",
        GUID,
        sa.ForeignKey("groups.id", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.UniqueConstraint("user_id", "group_id", name="uq_association_user_id_group_id"),
)
