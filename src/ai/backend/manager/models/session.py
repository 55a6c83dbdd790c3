"""Sessions: what users create; each runs one or more kernels (containers)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata
from ai.backend.manager.models.columns import (
    bool_column,
    enum_value_column,
    int_column,
    json_object_column,
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

_TERMINAL_STATUS_SQL = ", ".join(f"'{s.value}'" for s in sorted(SESSION_TERMINAL_STATUSES))

sessions = sa.Table(
    "sessions",
    metadata,
    uuid_pk("id"),
    sa.Column("creation_id", sa.String(32)),
    sa.Column("name", sa.String(128), index=True),
    enum_value_column("session_type", SessionTypes, SessionTypes.INTERACTIVE, index=True),
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
    sa.Column(
        "resource_group_id",
        GUID,
        sa.ForeignKey("scaling_groups.id"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "scaling_group_name",
        sa.String(64),
        sa.ForeignKey("scaling_groups.name", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "target_sgroup_names",
        pg.ARRAY(sa.String(64)),
        default=list,
        server_default=sa.text("'{}'::varchar[]"),
    ),
    sa.Column(
        "domain_name",
        sa.String(64),
        sa.ForeignKey("domains.name", onupdate="CASCADE"),
        nullable=False,
    ),
    sa.Column("domain_id", GUID, sa.ForeignKey("domains.id"), nullable=False, index=True),
    sa.Column("group_id", GUID, sa.ForeignKey("groups.id"), nullable=False, index=True),
    sa.Column("user_uuid", GUID, nullable=False, index=True),
    sa.Column("access_key", sa.String(20), index=True),
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
    sa.Column("terminated_at", sa.DateTime(timezone=True), index=True),
    sa.Column("starts_at", sa.DateTime(timezone=True)),
    sa.Column("requested_starts_at", sa.DateTime(timezone=True)),
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
    enum_value_column("network_type", NetworkType, None, nullable=True),
    sa.Column("network_id", sa.String(128)),
    sa.Column("replica_id", GUID),
    created_at_column(),
    sa.Index("ix_sessions_status_priority", "status", "priority"),
    sa.Index("ix_sessions_created_at", "created_at"),
    # A user's live sessions have distinct names; finished ones may repeat them.
    sa.Index(
        "uq_sessions_name_user_uuid_nonterminal",
        "name",
        "user_uuid",
        unique=True,
        postgresql_where=sa.text(f"status NOT IN ({_TERMINAL_STATUS_SQL})"),
    ),
)

session_dependencies = sa.Table(
    "session_dependencies",
    metadata,
    sa.Column(
        "session_id",
        GUID,
        sa.ForeignKey("sessions.id", onupdate="CASCADE", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    sa.Column(
        "depends_on",
        GUID,
        sa.ForeignKey("sessions.id", onupdate="CASCADE", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
