"""Agents: the nodes that run kernels, their per-slot capacity and their local images."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from ai.backend.manager.models.base import (
    GUID,
    created_at_column,
    metadata,
    pg_enum,
    updated_at_column,
)
from ai.backend.manager.models.columns import (
    SlotAmount,
    bool_column,
    json_object_column,
    uuid_unique,
)
from ai.backend.manager.types import AgentStatus

agents = sa.Table(
    "agents",
    metadata,
    # The agent's own id, e.g. `i-node01`.
    sa.Column("id", sa.String(64), primary_key=True),
    uuid_unique("uuid"),
    sa.Column(
        "status",
        pg_enum(AgentStatus, "agentstatus"),
        nullable=False,
        default=AgentStatus.ALIVE,
        server_default=AgentStatus.ALIVE.name,
        index=True,
    ),
    sa.Column("status_changed", sa.DateTime(timezone=True)),
    sa.Column("region", sa.String(64), nullable=False, index=True),
    sa.Column(
        "scaling_group",
        sa.String(64),
        sa.ForeignKey("scaling_groups.name", onupdate="CASCADE"),
        nullable=False,
        default="default",
        server_default="default",
        index=True,
    ),
    sa.Column(
        "resource_group_id",
        GUID,
        sa.ForeignKey("scaling_groups.id"),
        nullable=False,
        index=True,
    ),
    bool_column("schedulable", True),
    # `tcp://host:port` of the agent's RPC endpoint.
    sa.Column("addr", sa.String(128), nullable=False),
    sa.Column("public_host", sa.String(256)),
    # The agent's CURVE public key (Z85), when RPC encryption is on.
    sa.Column("public_key", sa.String(40)),
    sa.Column("first_contact", sa.DateTime(timezone=True), server_default=sa.func.now()),
    sa.Column("lost_at", sa.DateTime(timezone=True)),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("architecture", sa.String(32), nullable=False),
    json_object_column("compute_plugins"),
    bool_column("auto_terminate_abusing_kernel", False),
)


def _amount(name: str, *, zero_default: bool = True) -> sa.Column[Decimal]:
    if not zero_default:
        return sa.Column(name, SlotAmount, nullable=False)
    return sa.Column(
        name, SlotAmount, nullable=False, default=Decimal(0), server_default=sa.text("0")
    )


# One row per (agent, slot): capacity from heartbeats, and what is reserved and used of it.
agent_resources = sa.Table(
    "agent_resources",
    metadata,
    sa.Column(
        "agent_id",
        sa.String(64),
        sa.ForeignKey("agents.id", onupdate="CASCADE", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "slot_name",
        sa.String(64),
        sa.ForeignKey("resource_slot_types.slot_name", onupdate="CASCADE"),
        primary_key=True,
        index=True,
    ),
    sa.Column("agent_uuid", GUID, nullable=False),
    _amount("capacity", zero_default=False),
    _amount("reserved"),
    _amount("prereserved"),
    _amount("used"),
    created_at_column(),
    updated_at_column(),
)

agent_installed_images = sa.Table(
    "agent_installed_images",
    metadata,
    sa.Column(
        "agent_id",
        sa.String(64),
        sa.ForeignKey("agents.id", onupdate="CASCADE", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "image_id",
        GUID,
        sa.ForeignKey("images.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    created_at_column(),
)
