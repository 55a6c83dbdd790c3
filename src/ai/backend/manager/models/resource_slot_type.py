"""Resource slot types: the known slot names (cpu, mem, accelerators) and how to show them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    bool_column,
    enum_value_column,
    int_column,
    str_column,
    uuid_unique,
)
from ai.backend.manager.types import SlotType

# How clients format amounts of a slot unless told otherwise.
_PLAIN_NUMBER_FORMAT = '{"binary": false, "round_length": 0}'

resource_slot_types = sa.Table(
    "resource_slot_types",
    metadata,
    sa.Column("slot_name", sa.String(64), primary_key=True),
    uuid_unique("uuid"),
    enum_value_column("slot_type", SlotType, None, length=16),
    bool_column("required", False),
    bool_column("enabled", True),
    # Presentation: all NOT NULL, empty when unset.
    str_column("display_name", sa.String(128), ""),
    str_column("description", sa.String(256), ""),
    str_column("display_unit", sa.String(32), ""),
    str_column("display_icon", sa.String(64), ""),
    # `{"binary": bool, "round_length": int}`
    sa.Column(
        "number_format",
        pg.JSONB,
        nullable=False,
        default=lambda: {"binary": False, "round_length": 0},
        server_default=sa.text(f"'{_PLAIN_NUMBER_FORMAT}'::jsonb"),
    ),
    int_column("rank", 0),
    created_at_column(),
    updated_at_column(),
)
