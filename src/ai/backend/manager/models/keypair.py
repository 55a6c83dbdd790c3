"""Keypairs: the access/secret key pairs API requests are signed with."""

from __future__ import annotations

import sqlalchemy as sa

from ai.backend.manager.models.base import GUID, created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    bool_column,
    dotfiles_column,
    int_column,
    uuid_unique,
)

keypairs = sa.Table(
    "keypairs",
    metadata,
    sa.Column("access_key", sa.String(20), primary_key=True),
    uuid_unique("id"),
    sa.Column("secret_key", sa.Text, nullable=False),
    bool_column("is_active", True, index=True),
    bool_column("is_admin", False, index=True),
    bool_column("is_default", False),
    sa.Column("last_used", sa.DateTime(timezone=True)),
    int_column("rate_limit", 10000),
    int_column("num_queries", 0),
    sa.Column("ssh_public_key", sa.Text),
    sa.Column("ssh_private_key", sa.Text),
    sa.Column(
        "user",
        GUID,
        sa.ForeignKey("users.uuid", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "resource_policy",
        sa.String(256),
        sa.ForeignKey("keypair_resource_policies.name", onupdate="CASCADE"),
        nullable=False,
    ),
    dotfiles_column(),
    sa.Column(
        "bootstrap_script",
        sa.String(64 * 1024),
        nullable=False,
        default="",
        server_default="",
    ),
    created_at_column(),
    updated_at_column(),
    # A user has at most one default (main) keypair.
    sa.Index(
        "uq_keypairs_user_is_default",
        "user",
        unique=True,
        postgresql_where=sa.text("is_default"),
    ),
)
