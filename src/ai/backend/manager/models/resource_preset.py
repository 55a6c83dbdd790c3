"""Resource presets: named slot bundles users pick from (global, or per scaling group)."""

from __future__ import annotations

import sqlalchemy as sa

from ai.backend.manager.models.base import metadata
from ai.backend.manager.models.columns import resource_slot_column, uuid_pk

resource_presets = sa.Table(
    "resource_presets",
    metadata,
    uuid_pk("id"),
    sa.Column("name", sa.String(256), nullable=False),
    resource_slot_column("resource_slots", empty_default=False),
    sa.Column("shared_memory", sa.BigInteger),
    # NULL: a global preset, visible in every scaling group.
    sa.Column("scaling_group_name", sa.String(64)),
    sa.Index(
        "uq_resource_presets_name_global",
        "name",
        unique=True,
        postgresql_where=sa.text("scaling_group_name IS NULL"),
    ),
    sa.Index(
        "uq_resource_presets_name_scaling_group_name",
        "name",
        "scaling_group_name",
        unique=True,
        postgresql_where=sa.text("scaling_group_name IS NOT NULL"),
    ),
)
