"""Container registries, the images known from them, and image aliases."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from ai.backend.manager.models.base import GUID, created_at_column, metadata, pg_enum
from ai.backend.manager.models.columns import bool_column, enum_value_column, uuid_pk
from ai.backend.manager.types import ContainerRegistryType, ImageStatus, ImageType

container_registries = sa.Table(
    "container_registries",
    metadata,
    uuid_pk("id"),
    sa.Column("url", sa.String(512), nullable=False, index=True),
    sa.Column("registry_name", sa.String(255), nullable=False, index=True),
    enum_value_column("type", ContainerRegistryType, ContainerRegistryType.DOCKER, index=True),
    sa.Column("project", sa.String(255), index=True),
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
    # The canonical reference, e.g. `cr.backend.ai/stable/python:3.9-ubuntu20.04`.
    sa.Column("name", sa.String, nullable=False, index=True),
    sa.Column("project", sa.String),
    # The image name without registry, project and tag (`python`).
    sa.Column("image", sa.String, nullable=False, index=True),
    sa.Column("tag", sa.Text),
    sa.Column("registry", sa.String, nullable=False, index=True),
    sa.Column(
        "registry_id",
        GUID,
        sa.ForeignKey("container_registries.id"),
        nullable=False,
        index=True,
    ),
    sa.Column(
        "architecture",
        sa.String,
        nullable=False,
        default="x86_64",
        server_default="x86_64",
        index=True,
    ),
    sa.Column("config_digest", sa.CHAR(72), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    bool_column("is_local", False),
    sa.Column("type", pg_enum(ImageType, "imagetype"), nullable=False),
    sa.Column("accelerators", sa.String),
    sa.Column(
        "labels", sa.JSON, nullable=False, default=dict, server_default=sa.text("'{}'::json")
    ),
    bool_column("customized", False),
    sa.Column("creator_id", GUID, sa.ForeignKey("users.uuid"), index=True),
    # `{slot: {"min": ..., "max": ...}}`
    sa.Column(
        "resources",
        pg.JSONB,
        nullable=False,
        default=dict,
        server_default=sa.text("'{}'::jsonb"),
    ),
    enum_value_column("status", ImageStatus, ImageStatus.ALIVE),
    sa.Column(
        "last_used_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.func.now(),
    ),
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
    sa.Column(
        "image",
        GUID,
        sa.ForeignKey("images.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)
