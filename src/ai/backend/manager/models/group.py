"""Groups (projects, in the API's words) and their members."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    bool_column,
    domain_name_ref,
    dotfiles_column,
    enum_value_column,
    link,
    ref,
    resource_policy_ref,
    resource_slot_column,
    unique_where,
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
    domain_name_ref(index=True),
    resource_slot_column("total_resource_slots"),
    vfolder_host_permission_column(),
    dotfiles_column(),
    resource_policy_ref("project_resource_policies"),
    enum_value_column("type", ProjectType, ProjectType.GENERAL),
    ref("creator_id", GUID, "users.uuid", nullable=True),
    sa.Column("container_registry", pg.JSONB),
    created_at_column(),
    updated_at_column(),
    # Names repeat across domains, not within one.
    sa.UniqueConstraint("name", "domain_name", name="uq_groups_name_domain_name"),
    # A user has at most one personal project.
    unique_where("uq_groups_personal_creator", "creator_id", where="type = 'personal'"),
)

# Membership: which users belong to which projects.
association_groups_users = sa.Table(
    "association_groups_users",
    metadata,
    uuid_pk("id"),
    link("user_id", GUID, "users.uuid"),
    link("group_id", GUID, "groups.id"),
    sa.UniqueConstraint("user_id", "group_id", name="uq_association_user_id_group_id"),
)
