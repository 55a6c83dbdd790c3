"""Scaling groups (resource groups): pools of agents, and who may use each pool."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata
from ai.backend.manager.models.columns import (
    ACCESS_KEY,
    SCALING_GROUP_NAME,
    bool_column,
    json_object_column,
    link,
    unique_where,
    uuid_pk,
    uuid_unique,
)

scaling_groups = sa.Table(
    "scaling_groups",
    metadata,
    sa.Column("name", SCALING_GROUP_NAME, primary_key=True),
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
    unique_where("uq_scaling_groups_is_default", "is_default", where="is_default"),
)


def _access_table(table: str, member: sa.Column[Any], unique_name: str) -> sa.Table:
    """Which domains/projects/keypairs may use which scaling group: one row per pair."""
    return sa.Table(
        table,
        metadata,
        uuid_pk("id"),
        link("resource_group_id", GUID, "scaling_groups.id"),
        member,
        sa.UniqueConstraint("resource_group_id", member.name, name=unique_name),
    )


sgroups_for_domains = _access_table(
    "sgroups_for_domains", link("domain_id", GUID, "domains.id"), "uq_sgroup_domain"
)
sgroups_for_groups = _access_table(
    "sgroups_for_groups", link("group", GUID, "groups.id"), "uq_sgroup_ugroup"
)
sgroups_for_keypairs = _access_table(
    "sgroups_for_keypairs",
    link("access_key", ACCESS_KEY, "keypairs.access_key"),
    "uq_sgroup_akey",
)
