"""Kernels (the containers of a session) and the slots allocated to each."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata
from ai.backend.manager.models.columns import (
    ACCESS_KEY,
    AGENT_ID,
    bool_column,
    domain_name_ref,
    enum_value_column,
    int_column,
    json_object_column,
    link,
    ref,
    resource_group_id_ref,
    scaling_group_name_ref,
    slot_amount,
    slot_name_ref,
    str_column,
    timestamp,
    uuid_pk,
)
from ai.backend.manager.types import ClusterMode, KernelStatus, SessionResult, SessionTypes

kernels = sa.Table(
    "kernels",
    metadata,
    uuid_pk("id"),
    # --- the session it belongs to (copied from the session at creation) ---
    ref("session_id", GUID, "sessions.id", index=True),
    sa.Column("session_creation_id", sa.String(32)),
    sa.Column("session_name", sa.String(128), index=True),
    enum_value_column("session_type", SessionTypes, SessionTypes.INTERACTIVE, index=True),
    enum_value_column("cluster_mode", ClusterMode, ClusterMode.SINGLE_NODE, length=16),
    int_column("cluster_size", 1),
    # --- its place in the cluster ---
    str_column("cluster_role", sa.String(16), "main", index=True),
    # 1-based index within the role (main1, sub1, sub2, ...).
    sa.Column("cluster_idx", sa.Integer, nullable=False),
    int_column("local_rank", 0),
    sa.Column("cluster_hostname", sa.String(64), nullable=False),
    sa.Column("uid", sa.Integer),
    sa.Column("main_gid", sa.Integer),
    sa.Column("gids", pg.ARRAY(sa.Integer)),
    # --- where it runs ---
    scaling_group_name_ref("scaling_group"),
    resource_group_id_ref(),
    # NULL until the scheduler assigns the kernel to an agent.
    ref("agent", AGENT_ID, "agents.id", nullable=True, index=True),
    sa.Column("agent_addr", sa.String(128)),
    # --- whose it is ---
    domain_name_ref(),
    ref("group_id", GUID, "groups.id"),
    sa.Column("user_uuid", GUID, nullable=False),
    sa.Column("access_key", ACCESS_KEY),
    # --- what it runs: the canonical image reference and its parts ---
    sa.Column("image", sa.String(512)),
    ref("image_id", GUID, "images.id", nullable=True, index=True),
    str_column("architecture", sa.String(32), "x86_64", nullable=True),
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
    *(int_column(f"{port}_port", 0) for port in ("repl_in", "repl_out", "stdin", "stdout")),
    # A list of `{name, protocol, container_ports, host_ports, ...}`.
    sa.Column("service_ports", pg.JSONB),
    sa.Column("preopen_ports", pg.ARRAY(sa.Integer)),
    bool_column("use_host_network", False),
    # --- lifecycle ---
    timestamp("terminated_at", index=True),
    timestamp("starts_at"),
    enum_value_column("status", KernelStatus, KernelStatus.PENDING, index=True),
    timestamp("status_changed", index=True),
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
    timestamp("last_seen"),
    timestamp("last_observed_at"),
    created_at_column(),
    sa.Index("ix_kernels_session_id_cluster_role", "session_id", "cluster_role"),
    sa.Index("ix_kernels_status_cluster_role", "status", "cluster_role"),
)

# One row per (kernel, slot). A session's requested/occupied slots are sums over its kernels;
# rows whose resources were given back carry `free_at`.
resource_allocations = sa.Table(
    "resource_allocations",
    metadata,
    uuid_pk("id"),
    link("kernel_id", GUID, "kernels.id", index=False),
    slot_name_ref(),
    # The amount moves through the stages below; each stage stamps its own time.
    slot_amount("requested"),
    slot_amount("prereserved", zero=True),
    slot_amount("reserved", zero=True),
    slot_amount("used", nullable=True),
    *(timestamp(f"{stage}_at") for stage in ("prereserved", "reserved", "used", "free")),
    created_at_column(),
    sa.UniqueConstraint("kernel_id", "slot_name", name="uq_resource_allocations_kernel_id_slot"),
)
