"""Resource presets: named slot bundles users pick from (global, or per scaling group)."""

from __future__ import annotations

import sqlalchemy as sa

from ai.backend.manager.models.base import metadata
from ai.backend.manager.models.columns import (
    SCALING_GROUP_NAME,
    resource_slot_column,
    unique_where,
    uuid_pk,
)

resource_presets = sa.Table(
    "resource_presets",
    metadata,
    uuid_pk("id"),
    sa.Column("name", sa.String(256), nullable=False),
    resource_slot_column("resource_slots", empty_default=False),
    sa.Column("shared_memory", sa.BigInteger),
    # NULL: a global preset, visible in every scaling group.
    sa.Column("scaling_group_name", SCALING_GROUP_NAME),
    # A name is taken once among the global presets, and once within each scaling group.
    unique_where("uq_resource_presets_name_global", "name", where="scaling_group_name IS NULL"),
    unique_where(
        "uq_resource_presets_name_scaling_group_name",
        "name",
        "scaling_group_name",
        where="scaling_group_name IS NOT NULL",
    ),
)
