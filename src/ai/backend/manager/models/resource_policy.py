"""Resource policies: per keypair (sessions and slots), per user and per project (storage)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from ai.backend.manager.models.base import created_at_column, metadata, pg_enum
from ai.backend.manager.models.columns import (
    POLICY_NAME,
    bool_column,
    int_column,
    resource_slot_column,
    unique_where,
    uuid_unique,
    vfolder_host_permission_column,
)
from ai.backend.manager.types import DefaultForUnspecified


def _policy_table(name: str, *columns: SchemaItem) -> sa.Table:
    """A policy is looked up by its name; every kind starts with the same identity columns."""
    return sa.Table(
        name,
        metadata,
        sa.Column("name", POLICY_NAME, primary_key=True),
        uuid_unique("uuid"),
        created_at_column(),
        *columns,
    )


def _required_int(name: str, type_: type[sa.Integer] = sa.Integer) -> sa.Column[int]:
    return sa.Column(name, type_, nullable=False)


keypair_resource_policies = _policy_table(
    "keypair_resource_policies",
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
    _required_int("max_concurrent_sessions"),
    sa.Column("max_pending_session_count", sa.Integer),
    resource_slot_column("max_pending_session_resource_slots", nullable=True, empty_default=False),
    sa.Column("max_priority", sa.Integer),
    int_column("max_concurrent_sftp_sessions", 1),
    _required_int("max_containers_per_session"),
    _required_int("idle_timeout", sa.BigInteger),
    vfolder_host_permission_column(),
    # At most one policy is the default one.
    unique_where("uq_keypair_resource_policies_is_default", "is_default", where="is_default"),
)

user_resource_policies = _policy_table(
    "user_resource_policies",
    _required_int("max_vfolder_count"),
    _required_int("max_quota_scope_size", sa.BigInteger),
    _required_int("max_session_count_per_model_session"),
    int_column("max_customized_image_count", 3),
    sa.Column("max_concurrent_logins", sa.Integer),
)

project_resource_policies = _policy_table(
    "project_resource_policies",
    _required_int("max_vfolder_count"),
    _required_int("max_quota_scope_size", sa.BigInteger),
    _required_int("max_network_count"),
)
