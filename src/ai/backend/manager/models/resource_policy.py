"""Resource policies: per keypair (sessions and slots), per user and per project (storage)."""

from __future__ import annotations

import sqlalchemy as sa

from ai.backend.manager.models.base import created_at_column, metadata, pg_enum
from ai.backend.manager.models.columns import (
    bool_column,
    int_column,
    resource_slot_column,
    uuid_unique,
    vfolder_host_permission_column,
)
from ai.backend.manager.types import DefaultForUnspecified

keypair_resource_policies = sa.Table(
    "keypair_resource_policies",
    metadata,
    sa.Column("name", sa.String(256), primary_key=True),
    uuid_unique("uuid"),
    created_at_column(),
    bool_column("is_default", False),
    sa.Column(
        "default_for_unspecified",
        pg_enum(DefaultForUnspecified, "defaultforunspecified"),
        nullable=False,
        default=DefaultForUnspecified.LIMITED,
        server_default=DefaultForUnspecified.LIMITED.name,
    ),
    resource_slot_column("total_resource_slots"),
    int_column("max_session_lifetime", 0),
    sa.Column("max_concurrent_sessions", sa.Integer, nullable=False),
    sa.Column("max_pending_session_count", sa.Integer),
    resource_slot_column("max_pending_session_resource_slots", nullable=True, empty_default=False),
    sa.Column("max_priority", sa.Integer),
    int_column("max_concurrent_sftp_sessions", 1),
    sa.Column("max_containers_per_session", sa.Integer, nullable=False),
    sa.Column("idle_timeout", sa.BigInteger, nullable=False),
    vfolder_host_permission_column(),
    # At most one policy is the default one.
    sa.Index(
        "uq_keypair_resource_policies_is_default",
        "is_default",
        unique=True,
        postgresql_where=sa.text("is_default"),
    ),
)

user_resource_policies = sa.Table(
    "user_resource_policies",
    metadata,
    sa.Column("name", sa.String(256), primary_key=True),
    uuid_unique("uuid"),
    created_at_column(),
    sa.Column("max_vfolder_count", sa.Integer, nullable=False),
    sa.Column("max_quota_scope_size", sa.BigInteger, nullable=False),
    sa.Column("max_session_count_per_model_session", sa.Integer, nullable=False),
    int_column("max_customized_image_count", 3),
    sa.Column("max_concurrent_logins", sa.Integer),
)

project_resource_policies = sa.Table(
    "project_resource_policies",
    metadata,
    sa.Column("name", sa.String(256), primary_key=True),
    uuid_unique("uuid"),
    created_at_column(),
    sa.Column("max_vfolder_count", sa.Integer, nullable=False),
    sa.Column("max_quota_scope_size", sa.BigInteger, nullable=False),
    sa.Column("max_network_count", sa.Integer, nullable=False),
)
