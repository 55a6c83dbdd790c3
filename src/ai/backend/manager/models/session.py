"""Sessions: what users create; each runs one or more kernels (containers)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata
from ai.backend.manager.models.columns import (
    ACCESS_KEY,
    EMPTY_VARCHAR_ARRAY,
    SCALING_GROUP_NAME,
    bool_column,
    domain_name_ref,
    enum_value_column,
    int_column,
    json_object_column,
    link,
    ref,
    resource_group_id_ref,
    scaling_group_name_ref,
    timestamp,
    unique_where,
    uuid_pk,
)
from ai.backend.manager.types import (
    SESSION_TERMINAL_STATUSES,
    ClusterMode,
    NetworkType,
    SessionResult,
    SessionStatus,
    SessionTypes,
)


def _status_not_in(statuses: frozenset[SessionStatus]) -> str:
    quoted = sorted(f"'{status.value}'" for status in statuses)
    return f"status NOT IN ({', '.join(quoted)})"


sessions = sa.Table(
    "sessions",
    metadata,
    uuid_pk("id"),
    sa.Column("creation_id", sa.String(32)),
    sa.Column("name", sa.String(128), index=True),
    enum_value_column("session_type", SessionTypes, SessionTypes.INTERACTIVE, index=True),
    # --- scheduling ---
    int_column("priority", 10, index=True),
    bool_column("is_preemptible", True),
    int_column("job_priority", 0),
    enum_value_column("cluster_mode", ClusterMode, ClusterMode.SINGLE_NODE, length=16),
    int_column("cluster_size", 1),
    # kernel_groups, handler_options, agent_selection_policy, ...
    json_object_column("options"),
    sa.Column("agent_ids", pg.ARRAY(sa.String)),
    sa.Column("designated_agent_ids", pg.ARRAY(sa.String)),
    sa.Column("session_group_id", GUID, index=True),
    resource_group_id_ref(),
    scaling_group_name_ref("scaling_group_name"),
    sa.Column(
        "target_sgroup_names",
        pg.ARRAY(SCALING_GROUP_NAME),
        default=list,
        server_default=EMPTY_VARCHAR_ARRAY,
    ),
    # --- ownership ---
    domain_name_ref(),
    ref("domain_id", GUID, "domains.id", index=True),
    ref("group_id", GUID, "groups.id", index=True),
    sa.Column("user_uuid", GUID, nullable=False, index=True),
    sa.Column("access_key", ACCESS_KEY, index=True),
    # --- what runs ---
    sa.Column("images", pg.ARRAY(sa.String)),
    sa.Column("image_ids", pg.ARRAY(GUID)),
    sa.Column("tag", sa.String(64)),
    # A list of mount descriptions (vfolder id, host path, kernel path, permission, ...).
    sa.Column("vfolder_mounts", pg.JSONB),
    json_object_column("environ", nullable=True),
    sa.Column("bootstrap_script", sa.String(16 * 1024)),
    bool_column("use_host_network", False),
    sa.Column("timeout", sa.BigInteger),
    sa.Column("batch_timeout", sa.BigInteger),
    # --- lifecycle ---
    timestamp("terminated_at", index=True),
    timestamp("starts_at"),
    timestamp("requested_starts_at"),
    enum_value_column("status", SessionStatus, SessionStatus.PENDING, index=True),
    sa.Column("status_info", sa.Text),
    sa.Column("status_data", pg.JSONB),
    # `{STATUS_NAME: iso-timestamp}` of every status the session has been in.
    sa.Column("status_history", pg.JSONB),
    sa.Column("callback_url", sa.Text),
    sa.Column("startup_command", sa.Text),
    enum_value_column("result", SessionResult, SessionResult.UNDEFINED, index=True),
    int_column("num_queries", 0, type_=sa.BigInteger, nullable=True),
    sa.Column("last_stat", pg.JSONB),
    # --- networking and serving ---
    enum_value_column("network_type", NetworkType, None, nullable=True),
    sa.Column("network_id", sa.String(128)),
    sa.Column("replica_id", GUID),
    created_at_column(),
    sa.Index("ix_sessions_status_priority", "status", "priority"),
    sa.Index("ix_sessions_created_at", "created_at"),
    # A user's live sessions have distinct names; finished ones may repeat them.
    unique_where(
        "uq_sessions_name_user_uuid_nonterminal",
        "name",
        "user_uuid",
        where=_status_not_in(SESSION_TERMINAL_STATUSES),
    ),
)

# Edges of the dependency graph between sessions: `session_id` waits for `depends_on`.
session_dependencies = sa.Table(
    "session_dependencies",
    metadata,
    link("session_id", GUID, "sessions.id", primary_key=True),
    link("depends_on", GUID, "sessions.id", primary_key=True),
)
