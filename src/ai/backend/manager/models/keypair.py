"""Keypairs: the access/secret key pairs API requests are signed with."""

from __future__ import annotations

import sqlalchemy as sa

from ai.backend.manager.models.base import GUID, created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    ACCESS_KEY,
    Cascade,
    bool_column,
    dotfiles_column,
    int_column,
    ref,
    resource_policy_ref,
    str_column,
    timestamp,
    unique_where,
    uuid_unique,
)

keypairs = sa.Table(
    "keypairs",
    metadata,
    sa.Column("access_key", ACCESS_KEY, primary_key=True),
    uuid_unique("id"),
    sa.Column("secret_key", sa.Text, nullable=False),
    bool_column("is_active", True, index=True),
    bool_column("is_admin", False, index=True),
    bool_column("is_default", False),
    timestamp("last_used"),
    # Requests per rate-limit window, and the running count of API calls.
    int_column("rate_limit", 10000),
    int_column("num_queries", 0),
    sa.Column("ssh_public_key", sa.Text),
    sa.Column("ssh_private_key", sa.Text),
    ref("user", GUID, "users.uuid", cascade=Cascade.UPDATE, index=True),
    resource_policy_ref("keypair_resource_policies"),
    dotfiles_column(),
    str_column("bootstrap_script", sa.String(64 * 1024), ""),
    created_at_column(),
    updated_at_column(),
    # A user has at most one default (main) keypair.
    unique_where("uq_keypairs_user_is_default", "user", where="is_default"),
    # the default order of keypair lists
    sa.Index("ix_keypairs_created_at_access_key", "created_at", "access_key"),
)
