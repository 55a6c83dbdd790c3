"""An index on the default order of the folder lists.

Revision ID: c4e8a2f7b913
Revises: b7d3e5a1c920
Create Date: 2026-11-30 11:10:00

A `vfolder_list` page at a large offset sorted every visible folder; with this index the
page's ids come from walking the index backwards.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4e8a2f7b913"
down_revision: str | Sequence[str] | None = "b7d3e5a1c920"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_vfolders_created_at_id", "vfolders", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_vfolders_created_at_id", table_name="vfolders")
