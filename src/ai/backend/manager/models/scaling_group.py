"""Scaling groups (resource groups): pools of agents, and who may use each pool."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata
from ai.backend.manager.models.columns import (
    bool_column,
    json_object_column,
    uuid_pk,
    uuid_unique,
)

scaling_groups = sa.Table(
    "scaling_groups",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    uuid_unique("id"),
    sa.Column("description", sa.String(512)),
    bool_column("is_active", True, nullable=True, index=True),
    bool_column("is_public", True, index=True),
    # Agents that name no (or an unknown) scaling group join the default one.
    bool_column("is_default", False),
    sa.Column("wsproxy_addr", sa.String(1024)),
    sa.Column("wsproxy_api_token", sa.String(128)),
    sa.Column("driver", sa.String(64), nullable=False),
    json_object_column("driver_opts"),
    sa.Column("scheduler", sa.String(64), nullable=False),
    bool_column("use_host_network", False),
    # allowed_session_types, pending_timeout, config, agent_selection_strategy, ...
    json_object_column("scheduler_opts"),
    sa.Column("fair_share_spec", pg.JSONB),
    json_object_column("default_deployment_options"),
    json_object_column("default_session_options"),
    created_at_column(),
    sa.Index(
        "uq_scaling_groups_is_default",
        "is_default",
        unique=True,
        postgresql_where=sa.text("is_default"),
    ),
)


def _resource_group_fk() -> sa.Column[Any]:
    return sa.Column(
        "resource_group_id",
        GUID,
        sa.ForeignKey("scaling_groups.id", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


sgroups_for_domains = sa.Table(
    "sgroups_for_domains",
    metadata,
    uuid_pk("id"),
    _resource_group_fk(),
    sa.Column(
        "domain_id",
        GUID,
        sa.ForeignKey("domains.id", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.UniqueConstraint("resource_group_id", "domain_id", name="uq_sgroup_domain"),
)

sgroups_for_groups = sa.Table(
    "sgroups_for_groups",
    metadata,
    uuid_pk("id"),
    _resource_group_fk(),
    sa.Column(
        "group",
        GUID,
        sa.ForeignKey("groups.id", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.UniqueConstraint("resource_group_id", "group", name="uq_sgroup_ugroup"),
)

sgroups_for_keypairs = sa.Table(
    "sgroups_for_keypairs",
    metadata,
    uuid_pk("id"),
    _resource_group_fk(),
    sa.Column(
        "access_key",
        sa.String(20),
        sa.ForeignKey("keypairs.access_key", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.UniqueConstraint("resource_group_id", "access_key", name="uq_sgroup_akey"),
)
