"""Users: accounts that sign in; each owns keypairs and belongs to one domain."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import bool_column, enum_value_column
from ai.backend.manager.types import UserRole, UserStatus

users = sa.Table(
    "users",
    metadata,
    sa.Column("uuid", GUID, primary_key=True, server_default=sa.text("gen_random_uuid()")),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("email", sa.String(64), nullable=False, unique=True),
    # `pbkdf2_sha256$<rounds>$<salt hex>$<hash hex>` (see services/auth/password.py).
    sa.Column("password", sa.String),
    bool_column("need_password_change", False),
    sa.Column(
        "password_changed_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.now(),
    ),
    sa.Column("full_name", sa.String(64)),
    sa.Column("description", sa.String(500)),
    enum_value_column("status", UserStatus, UserStatus.BEFORE_VERIFICATION, index=True),
    sa.Column("status_info", sa.String),
    sa.Column("integration_id", sa.String(512)),
    sa.Column(
        "domain_name",
        sa.String(64),
        sa.ForeignKey("domains.name", onupdate="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("domain_id", GUID, sa.ForeignKey("domains.id"), nullable=False, index=True),
    enum_value_column("role", UserRole, UserRole.USER),
    sa.Column("allowed_client_ip", pg.ARRAY(pg.CIDR)),
    sa.Column("totp_key", sa.String(32)),
    bool_column("totp_activated", False),
    sa.Column("totp_activated_at", sa.DateTime(timezone=True)),
    sa.Column(
        "resource_policy",
        sa.String(256),
        sa.ForeignKey("user_resource_policies.name", onupdate="CASCADE"),
        nullable=False,
    ),
    bool_column("sudo_session_enabled", False),
    sa.Column("container_uid", sa.Integer),
    sa.Column("container_main_gid", sa.Integer),
    sa.Column("container_gids", pg.ARRAY(sa.Integer)),
    created_at_column(),
    updated_at_column(),
)
