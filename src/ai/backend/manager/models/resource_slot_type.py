"""Resource slot types: the known slot names (cpu, mem, accelerators) and how to show them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    bool_column,
    enum_value_column,
    int_column,
    uuid_unique,
)
from ai.backend.manager.types import SlotType


def _display_text(name: str, length: int) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=False, default="", server_default="")


resource_slot_types = sa.Table(
    "resource_slot_types",
    metadata,
    sa.Column("slot_name", sa.String(64), primary_key=True),
    uuid_unique("uuid"),
    enum_value_column("slot_type", SlotType, None, length=16),
    bool_column("required", False),
    bool_column("enabled", True),
    _display_text("display_name", 128),
    _display_text("description", 256),
    _display_text("display_unit", 32),
    _display_text("display_icon", 64),
    # `{"binary": bool, "round_length": int}`: how clients format amounts of this slot.
    sa.Column(
        "number_format",
        pg.JSONB,
        nullable=False,
        default=lambda: {"binary": False, "round_length": 0},
        server_default=sa.text("""'{"binary": false, "round_length": 0}'::jsonb"""),
    ),
    int_column("rank", 0),
    created_at_column(),
    updated_at_column(),
)
