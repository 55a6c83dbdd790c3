"""Indexes on the default order of the user and keypair lists.

Revision ID: b7d3e5a1c920
Revises: 6a1f0c2d9e47
Create Date: 2026-11-30 09:50:00

A page of `user_list` / `keypair_list` at a large offset sorted the whole table; with these
indexes it walks the index instead.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7d3e5a1c920"
down_revision: str | Sequence[str] | None = "6a1f0c2d9e47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_users_created_at_uuid", "users", ["created_at", "uuid"])
    op.create_index("ix_keypairs_created_at_access_key", "keypairs", ["created_at", "access_key"])


def downgrade() -> None:
    op.drop_index("ix_keypairs_created_at_access_key", table_name="keypairs")
    op.drop_index("ix_users_created_at_uuid", table_name="users")
