"""Agents: the nodes that run kernels, their per-slot capacity and their local images."""

from __future__ import annotations

import sqlalchemy as sa

from ai.backend.manager.models.base import (
    GUID,
    created_at_column,
    metadata,
    pg_enum,
    updated_at_column,
)
from ai.backend.manager.models.columns import (
    AGENT_ID,
    Cascade,
    bool_column,
    json_object_column,
    link,
    ref,
    resource_group_id_ref,
    scaling_group_name_ref,
    slot_amount,
    slot_name_ref,
    timestamp,
    uuid_unique,
)
from ai.backend.manager.types import AgentStatus

agents = sa.Table(
    "agents",
    metadata,
    # The agent's own id, e.g. `i-node01`.
    sa.Column("id", AGENT_ID, primary_key=True),
    uuid_unique("uuid"),
    sa.Column(
        "status",
        pg_enum(AgentStatus, "agentstatus"),
        nullable=False,
        default=AgentStatus.ALIVE,
        server_default=AgentStatus.ALIVE.name,
        index=True,
    ),
    timestamp("status_changed"),
    sa.Column("region", sa.String(64), nullable=False, index=True),
    scaling_group_name_ref("scaling_group", default="default", server_default="default"),
    resource_group_id_ref(),
    bool_column("schedulable", True),
    # `tcp://host:port` of the agent's RPC endpoint.
    sa.Column("addr", sa.String(128), nullable=False),
    sa.Column("public_host", sa.String(256)),
    # The agent's CURVE public key (Z85), when RPC encryption is on.
    sa.Column("public_key", sa.String(40)),
    timestamp("first_contact", server_default=sa.func.now()),
    timestamp("lost_at"),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("architecture", sa.String(32), nullable=False),
    json_object_column("compute_plugins"),
    bool_column("auto_terminate_abusing_kernel", False),
)


def _agent_key() -> sa.Column[str]:
    return link("agent_id", AGENT_ID, "agents.id", primary_key=True, index=False)


# One row per (agent, slot): capacity from heartbeats, and what is reserved and used of it.
agent_resources = sa.Table(
    "agent_resources",
    metadata,
    _agent_key(),
    slot_name_ref(primary_key=True),
    sa.Column("agent_uuid", GUID, nullable=False),
    slot_amount("capacity"),
    slot_amount("reserved", zero=True),
    slot_amount("prereserved", zero=True),
    slot_amount("used", zero=True),
    created_at_column(),
    updated_at_column(),
)

# The images each agent reports having pulled.
agent_installed_images = sa.Table(
    "agent_installed_images",
    metadata,
    _agent_key(),
    ref("image_id", GUID, "images.id", cascade=Cascade.DELETE, primary_key=True, index=True),
    created_at_column(),
)
