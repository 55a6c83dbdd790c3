"""Container registries, the images known from them, and image aliases."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata, now_column, pg_enum
from ai.backend.manager.models.columns import (
    EMPTY_JSON_OBJECT,
    Cascade,
    bool_column,
    enum_value_column,
    ref,
    str_column,
    uuid_pk,
)
from ai.backend.manager.types import ContainerRegistryType, ImageStatus, ImageType

container_registries = sa.Table(
    "container_registries",
    metadata,
    uuid_pk("id"),
    sa.Column("url", sa.String(512), nullable=False, index=True),
    sa.Column("registry_name", sa.String(255), nullable=False, index=True),
    enum_value_column("type", ContainerRegistryType, ContainerRegistryType.DOCKER, index=True),
    sa.Column("project", sa.String(255), index=True),
    # Credentials, when the registry wants them.
    sa.Column("username", sa.String(255)),
    sa.Column("password", sa.String),
    bool_column("ssl_verify", True, nullable=True, index=True),
    bool_column("is_global", True, index=True),
    sa.Column("extra", sa.JSON),
)

images = sa.Table(
    "images",
    metadata,
    uuid_pk("id"),
    # --- identity: `cr.backend.ai/stable/python:3.9-ubuntu20.04` is name, and then
    # registry `cr.backend.ai`, project `stable`, image `python`, tag `3.9-ubuntu20.04`.
    sa.Column("name", sa.String, nullable=False, index=True),
    sa.Column("project", sa.String),
    sa.Column("image", sa.String, nullable=False, index=True),
    sa.Column("tag", sa.Text),
    sa.Column("registry", sa.String, nullable=False, index=True),
    ref("registry_id", GUID, "container_registries.id", index=True),
    str_column("architecture", sa.String, "x86_64", index=True),
    # --- what the registry reports ---
    sa.Column("config_digest", sa.CHAR(72), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    bool_column("is_local", False),
    sa.Column("type", pg_enum(ImageType, "imagetype"), nullable=False),
    sa.Column("accelerators", sa.String),
    sa.Column(
        "labels", sa.JSON, nullable=False, default=dict, server_default=sa.text("'{}'::json")
    ),
    # --- customized images (committed from a session by a user) ---
    bool_column("customized", False),
    ref("creator_id", GUID, "users.uuid", nullable=True, index=True),
    # `{slot: {"min": ..., "max": ...}}`
    sa.Column(
        "resources", pg.JSONB, nullable=False, default=dict, server_default=EMPTY_JSON_OBJECT
    ),
    enum_value_column("status", ImageStatus, ImageStatus.ALIVE),
    now_column("last_used_at"),
    created_at_column(),
    sa.UniqueConstraint(
        "registry", "project", "name", "tag", "architecture", name="uq_image_identifier"
    ),
)

image_aliases = sa.Table(
    "image_aliases",
    metadata,
    uuid_pk("id"),
    sa.Column("alias", sa.String, unique=True),
    ref("image", GUID, "images.id", cascade=Cascade.DELETE, index=True),
)
