"""Users: accounts that sign in; each owns keypairs and belongs to one domain."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import (
    GUID,
    created_at_column,
    metadata,
    now_column,
    updated_at_column,
)
from ai.backend.manager.models.columns import (
    UUID_SERVER_DEFAULT,
    bool_column,
    domain_name_ref,
    enum_value_column,
    ref,
    resource_policy_ref,
    timestamp,
)
from ai.backend.manager.types import UserRole, UserStatus

users = sa.Table(
    "users",
    metadata,
    sa.Column("uuid", GUID, primary_key=True, server_default=UUID_SERVER_DEFAULT),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("email", sa.String(64), nullable=False, unique=True),
    # `pbkdf2_sha256$<rounds>$<salt hex>$<hash hex>` (see services/auth/password.py).
    sa.Column("password", sa.String),
    bool_column("need_password_change", False),
    now_column("password_changed_at"),
    sa.Column("full_name", sa.String(64)),
    sa.Column("description", sa.String(500)),
    enum_value_column("status", UserStatus, UserStatus.BEFORE_VERIFICATION, index=True),
    sa.Column("status_info", sa.String),
    sa.Column("integration_id", sa.String(512)),
    domain_name_ref(index=True),
    ref("domain_id", GUID, "domains.id", index=True),
    enum_value_column("role", UserRole, UserRole.USER),
    # Networks the user may sign in from; NULL places no restriction.
    sa.Column("allowed_client_ip", pg.ARRAY(pg.CIDR)),
    # Two-factor sign-in (TOTP): the shared secret and whether it has been confirmed.
    sa.Column("totp_key", sa.String(32)),
    bool_column("totp_activated", False),
    timestamp("totp_activated_at"),
    resource_policy_ref("user_resource_policies"),
    bool_column("sudo_session_enabled", False),
    # Overrides of the uid/gids the user's containers run as.
    sa.Column("container_uid", sa.Integer),
    sa.Column("container_main_gid", sa.Integer),
    sa.Column("container_gids", pg.ARRAY(sa.Integer)),
    created_at_column(),
    updated_at_column(),
    # the default order of user lists: a page at any offset walks this index, not the table
    sa.Index("ix_users_created_at_uuid", "created_at", "uuid"),
)
