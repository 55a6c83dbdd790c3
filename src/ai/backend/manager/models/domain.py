"""Domains: the top tenancy level; users and projects belong to exactly one."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import created_at_column, metadata, updated_at_column
from ai.backend.manager.models.columns import (
    DOMAIN_NAME,
    EMPTY_VARCHAR_ARRAY,
    bool_column,
    dotfiles_column,
    enum_value_column,
    resource_slot_column,
    unique_where,
    uuid_unique,
    vfolder_host_permission_column,
)
from ai.backend.manager.types import DomainStatus

domains = sa.Table(
    "domains",
    metadata,
    sa.Column("name", DOMAIN_NAME, primary_key=True),
    uuid_unique("id"),
    sa.Column("description", sa.String(512)),
    bool_column("is_active", True),
    enum_value_column("status", DomainStatus, DomainStatus.ACTIVE, index=True),
    bool_column("is_default", False),
    resource_slot_column("total_resource_slots"),
    vfolder_host_permission_column(),
    # The container registries (by name) this domain may use images from.
    sa.Column(
        "allowed_docker_registries",
        pg.ARRAY(sa.String),
        nullable=False,
        default=list,
        server_default=EMPTY_VARCHAR_ARRAY,
    ),
    sa.Column("integration_id", sa.String(512)),
    dotfiles_column(),
    created_at_column(),
    updated_at_column(),
    # At most one domain is the default one.
    unique_where("uq_domains_is_default", "is_default", where="is_default"),
)
