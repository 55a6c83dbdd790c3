"""Kernels (the containers of a session) and the slots allocated to each."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata
from ai.backend.manager.models.columns import (
    SlotAmount,
    bool_column,
    enum_value_column,
    int_column,
    json_object_column,
    uuid_pk,
)
from ai.backend.manager.types import ClusterMode, KernelStatus, SessionResult, SessionTypes

kernels = sa.Table(
    "kernels",
    metadata,
    uuid_pk("id"),
    sa.Column("session_id", GUID, sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("session_creation_id", sa.String(32)),
    sa.Column("session_name", sa.String(128), index=True),
    enum_value_column("session_type", SessionTypes, SessionTypes.INTERACTIVE, index=True),
    enum_value_column("cluster_mode", ClusterMode, ClusterMode.SINGLE_NODE, length=16),
    int_column("cluster_size", 1),
    sa.Column(
        "cluster_role",
        sa.String(16),
        nullable=False,
        default="main",
        server_default="main",
        index=True,
    ),
    # 1-based index within the role (main1, sub1, sub2, ...).
    sa.Column("cluster_idx", sa.Integer, nullable=False),
    int_column("local_rank", 0),
    sa.Column("cluster_hostname", sa.String(64), nullable=False),
    sa.Column("uid", sa.Integer),
    sa.Column("main_gid", sa.Integer),
    sa.Column("gids", pg.ARRAY(sa.Integer)),
    sa.Column(
        "scaling_group",
        sa.String(64),
        sa.ForeignKey("scaling_groups.name", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "resource_group_id",
        GUID,
        sa.ForeignKey("scaling_groups.id"),
        nullable=False,
        index=True,
    ),
    # NULL until the scheduler assigns the kernel to an agent.
    sa.Column("agent", sa.String(64), sa.ForeignKey("agents.id"), index=True),
    sa.Column("agent_addr", sa.String(128)),
    sa.Column(
        "domain_name",
        sa.String(64),
        sa.ForeignKey("domains.name", onupdate="CASCADE"),
        nullable=False,
    ),
    sa.Column("group_id", GUID, sa.ForeignKey("groups.id"), nullable=False),
    sa.Column("user_uuid", GUID, nullable=False),
    sa.Column("access_key", sa.String(20)),
    # The canonical image reference.
    sa.Column("image", sa.String(512)),
    sa.Column("image_id", GUID, sa.ForeignKey("images.id"), index=True),
    sa.Column("architecture", sa.String(32), default="x86_64", server_default="x86_64"),
    sa.Column("registry", sa.String(512)),
    sa.Column("tag", sa.String(64)),
    sa.Column("container_id", sa.String(64)),
    json_object_column("occupied_shares"),
    sa.Column("environ", pg.ARRAY(sa.String)),
    sa.Column("mounts", pg.ARRAY(sa.String)),
    json_object_column("mount_map", nullable=True),
    sa.Column("vfolder_mounts", pg.JSONB),
    json_object_column("attached_devices", nullable=True),
    json_object_column("resource_opts", nullable=True),
    sa.Column("bootstrap_script", sa.String(16 * 1024)),
    sa.Column("kernel_host", sa.String(128)),
    # Known once the agent has created the container; 0 before.
    int_column("repl_in_port", 0),
    int_column("repl_out_port", 0),
    int_column("stdin_port", 0),
    int_column("stdout_port", 0),
    # A list of `{name, protocol, container_ports, host_ports, ...}`.
    sa.Column("service_ports", pg.JSONB),
    sa.Column("preopen_ports", pg.ARRAY(sa.Integer)),
    bool_column("use_host_network", False),
    sa.Column("terminated_at", sa.DateTime(timezone=True), index=True),
    sa.Column("starts_at", sa.DateTime(timezone=True)),
    enum_value_column("status", KernelStatus, KernelStatus.PENDING, index=True),
    sa.Column("status_changed", sa.DateTime(timezone=True), index=True),
    sa.Column("status_info", sa.Text),
    sa.Column("status_data", pg.JSONB),
    sa.Column("status_history", pg.JSONB),
    sa.Column("callback_url", sa.Text),
    sa.Column("startup_command", sa.Text),
    enum_value_column("result", SessionResult, SessionResult.UNDEFINED, index=True),
    sa.Column("internal_data", pg.JSONB),
    sa.Column("container_log", sa.LargeBinary),
    int_column("num_queries", 0, type_=sa.BigInteger, nullable=True),
    sa.Column("last_stat", pg.JSONB),
    sa.Column("last_seen", sa.DateTime(timezone=True)),
    sa.Column("last_observed_at", sa.DateTime(timezone=True)),
    created_at_column(),
    sa.Index("ix_kernels_session_id_cluster_role", "session_id", "cluster_role"),
    sa.Index("ix_kernels_status_cluster_role", "status", "cluster_role"),
)


def _amount(name: str) -> sa.Column[Decimal]:
    return sa.Column(
        name, SlotAmount, nullable=False, default=Decimal(0), server_default=sa.text("0")
    )


# One row per (kernel, slot). A session's requested/occupied slots are sums over its kernels;
# rows whose resources were given back carry `free_at`.
resource_allocations = sa.Table(
    "resource_allocations",
    metadata,
    uuid_pk("id"),
    sa.Column(
        "kernel_id",
        GUID,
        sa.ForeignKey("kernels.id", onupdate="CASCADE", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "slot_name",
        sa.String(64),
        sa.ForeignKey("resource_slot_types.slot_name", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("requested", SlotAmount, nullable=False),
    _amount("prereserved"),
    _amount("reserved"),
    sa.Column("used", SlotAmount),
    sa.Column("prereserved_at", sa.DateTime(timezone=True)),
    sa.Column("reserved_at", sa.DateTime(timezone=True)),
    sa.Column("used_at", sa.DateTime(timezone=True)),
    sa.Column("free_at", sa.DateTime(timezone=True)),
    created_at_column(),
    sa.UniqueConstraint("kernel_id", "slot_name", name="uq_resource_allocations_kernel_id_slot"),
)
