"""Images, their aliases and container registries in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.image import (
    AddedImage,
    AliasChange,
    ImageRecord,
    NewImage,
    NewRegistry,
    RegistryRecord,
)
from ai.backend.manager.models.agent import agent_installed_images, agents
from ai.backend.manager.models.domain import domains
from ai.backend.manager.models.image import container_registries, image_aliases, images
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.types import AgentStatus, ContainerRegistryType, ImageStatus

_registry_columns = (
    container_registries.c.id.label("cr_id"),
    container_registries.c.registry_name.label("cr_name"),
    container_registries.c.url.label("cr_url"),
    container_registries.c.type.label("cr_type"),
    container_registries.c.project.label("cr_project"),
    container_registries.c.username.label("cr_username"),
    container_registries.c.password.label("cr_password"),
    container_registries.c.ssl_verify.label("cr_ssl_verify"),
    container_registries.c.is_global.label("cr_is_global"),
)

# An image row with its registry, its aliases and the ALIVE agents that report having it, in
# one statement.
_alias_list = (
    sa.select(sa.func.array_agg(image_aliases.c.alias))
    .where(image_aliases.c.image == images.c.id, image_aliases.c.alias.is_not(None))
    .scalar_subquery()
    .label("alias_list")
)
_installed_list = (
    sa.select(sa.func.array_agg(agent_installed_images.c.agent_id))
    .select_from(
        agent_installed_images.join(agents, agents.c.id == agent_installed_images.c.agent_id)
    )
    .where(
        agent_installed_images.c.image_id == images.c.id,
        agents.c.status == AgentStatus.ALIVE,
    )
    .scalar_subquery()
    .label("installed_list")
)
_image_select = sa.select(images, *_registry_columns, _alias_list, _installed_list).select_from(
    images.join(container_registries, images.c.registry_id == container_registries.c.id)
)

# The canonical name first, then the architecture: the order every listing uses.
_image_order = (images.c.name, images.c.architecture)


def _registry_from_row(row: sa.Row[Any]) -> RegistryRecord:
    return RegistryRecord(
        id=row.cr_id,
        name=row.cr_name,
        url=row.cr_url,
        type=ContainerRegistryType(row.cr_type),
        project=row.cr_project,
        username=row.cr_username,
        password=row.cr_password,
        ssl_verify=row.cr_ssl_verify,
        is_global=row.cr_is_global,
    )


def _image_from_row(
    row: sa.Row[Any], aliases: Sequence[str], installed: Sequence[str] = ()
) -> ImageRecord:
    labels = row.labels or {}
    return ImageRecord(
        id=row.id,
        name=row.name,
        project=row.project,
        image=row.image,
        tag=row.tag,
        registry=row.registry,
        architecture=row.architecture,
        # CHAR(72) pads the 71 characters of `sha256:<64 hex>` with a space.
        config_digest=(row.config_digest or "").strip(),
        size_bytes=int(row.size_bytes),
        is_local=row.is_local,
        type=row.type,
        accelerators=row.accelerators,
        labels={str(k): str(v) for k, v in labels.items()},
        resources=dict(row.resources or {}),
        status=ImageStatus(row.status),
        customized=row.customized,
        created_at=row.created_at,
        registry_info=_registry_from_row(row),
        aliases=tuple(sorted(aliases)),
        creator_id=row.creator_id,
        installed_agents=tuple(sorted(installed)),
    )


async def _fetch(conn: AsyncConnection, where: sa.ColumnElement[bool]) -> list[ImageRecord]:
    rows = (await conn.execute(_image_select.where(where).order_by(*_image_order))).all()
    return [_image_from_row(row, row.alias_list or (), row.installed_list or ()) for row in rows]


def _statuses(statuses: Iterable[ImageStatus] | None) -> sa.ColumnElement[bool]:
    if statuses is None:
        return sa.true()
    return images.c.status.in_(list(statuses))


class ImageRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- reads -----------------------------------------------------------------------------------

    async def get_by_id(self, image_id: uuid.UUID) -> ImageRecord | None:
        async with begin_readonly(self._engine) as conn:
            found = await _fetch(conn, images.c.id == image_id)
        return found[0] if found else None

    async def find_by_names(
        self, names: Sequence[str], *, statuses: Iterable[ImageStatus] | None = None
    ) -> list[ImageRecord]:
        """Every build (any architecture) whose canonical name is one of `names`."""
        if not names:
            return []
        async with begin_readonly(self._engine) as conn:
            return await _fetch(conn, sa.and_(images.c.name.in_(names), _statuses(statuses)))

    async def find_by_names_or_alias(
        self, names: Sequence[str], alias: str
    ) -> tuple[list[ImageRecord], list[ImageRecord]]:
        """In one round of reads: the builds named `names` (any status), and the builds (any
        architecture, any status) sharing the name of the image `alias` points at."""
        alias_target = (
            sa.select(images.c.name)
            .select_from(image_aliases.join(images, images.c.id == image_aliases.c.image))
            .where(image_aliases.c.alias == alias)
            .scalar_subquery()
        )
        async with begin_readonly(self._engine) as conn:
            found = await _fetch(
                conn, sa.or_(images.c.name.in_(list(names)), images.c.name == alias_target)
            )
        named = set(names)
        target = next((b.name for b in found if alias in b.aliases), None)
        by_name = [b for b in found if b.name in named]
        by_alias = [b for b in found if b.name == target] if target is not None else []
        return by_name, by_alias

    async def find_by_name_suffix(
        self, suffix: str, *, statuses: Iterable[ImageStatus] | None = None
    ) -> list[ImageRecord]:
        """Every build whose canonical name ends with `/` + `suffix` (a whole-component match)."""
        condition = images.c.name.endswith("/" + suffix, autoescape=True)
        async with begin_readonly(self._engine) as conn:
            return await _fetch(conn, sa.and_(condition, _statuses(statuses)))

    async def list_images(
        self, *, statuses: Iterable[ImageStatus] | None = None
    ) -> list[ImageRecord]:
        async with begin_readonly(self._engine) as conn:
            return await _fetch(conn, _statuses(statuses))

    async def allowed_registries(self, domain_name: str) -> list[str] | None:
        """The registries a domain's users may see images of; None if the domain is unknown."""
        query = sa.select(domains.c.allowed_docker_registries).where(domains.c.name == domain_name)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return [str(name) for name in (row.allowed_docker_registries or [])]

    # --- writes ----------------------------------------------------------------------------------

    async def add_image(self, registry: NewRegistry, image: NewImage) -> AddedImage:
        """Find or create the registry row, then insert the image or update it in place."""
        async with begin(self._engine) as conn:
            registry_id, registry_created = await self._ensure_registry(conn, registry)
            existing = (
                (
                    await conn.execute(
                        sa.select(images.c.id)
                        .where(images.c.name == image.name)
                        .where(images.c.architecture == image.architecture)
                        .with_for_update()
                    )
                )
                .scalars()
                .first()
            )
            values: dict[str, Any] = {
                "registry_id": registry_id,
                "registry": image.registry,
                "project": image.project,
                "image": image.image,
                "tag": image.tag,
                "type": image.type,
                "is_local": image.is_local,
                "status": ImageStatus.ALIVE,
            }
            optional: Mapping[str, Any] = {
                "config_digest": image.config_digest,
                "size_bytes": image.size_bytes,
                "labels": None if image.labels is None else dict(image.labels),
                "resources": None if image.resources is None else dict(image.resources),
            }
            values.update({k: v for k, v in optional.items() if v is not None})
            if existing is None:
                values.setdefault("config_digest", image.placeholder_digest)
                values.setdefault("size_bytes", 0)
                image_id = await conn.scalar(
                    sa.insert(images)
                    .values(name=image.name, architecture=image.architecture, **values)
                    .returning(images.c.id)
                )
            else:
                image_id = existing
                await conn.execute(sa.update(images).where(images.c.id == existing).values(values))
            record = (await _fetch(conn, images.c.id == image_id))[0]
        return AddedImage(
            image=record, image_created=existing is None, registry_created=registry_created
        )

    async def _ensure_registry(
        self, conn: AsyncConnection, registry: NewRegistry
    ) -> tuple[uuid.UUID, bool]:
        """The id of the row for (name, project), falling back to one without a project."""
        rows = (
            await conn.execute(
                sa.select(container_registries.c.id, container_registries.c.project)
                .where(container_registries.c.registry_name == registry.name)
                .order_by(container_registries.c.id)
            )
        ).all()
        for wanted in (registry.project, None):
            for row in rows:
                if row.project == wanted:
                    return row.id, False
        new_id = await conn.scalar(
            sa.insert(container_registries)
            .values(
                registry_name=registry.name,
                url=registry.url,
                type=registry.type,
                project=registry.project,
                is_global=registry.is_global,
            )
            .returning(container_registries.c.id)
        )
        assert new_id is not None
        return new_id, True

    async def set_alias(self, alias: str, image_id: uuid.UUID) -> AliasChange:
        """Point `alias` at the image, creating the alias or moving it from another image."""
        async with begin(self._engine) as conn:
            previous_id = (
                (
                    await conn.execute(
                        sa.select(image_aliases.c.image)
                        .where(image_aliases.c.alias == alias)
                        .with_for_update()
                    )
                )
                .scalars()
                .first()
            )
            previous_name: str | None = None
            if previous_id is None:
                await conn.execute(sa.insert(image_aliases).values(alias=alias, image=image_id))
            else:
                previous_name = await conn.scalar(
                    sa.select(images.c.name).where(images.c.id == previous_id)
                )
                if previous_id != image_id:
                    await conn.execute(
                        sa.update(image_aliases)
                        .where(image_aliases.c.alias == alias)
                        .values(image=image_id)
                    )
            record = (await _fetch(conn, images.c.id == image_id))[0]
        return AliasChange(alias=alias, image=record, previous_target=previous_name)

    async def remove_alias(self, alias: str) -> str | None:
        """Delete the alias; the canonical name it pointed at, or None when there was none."""
        async with begin(self._engine) as conn:
            image_id = await conn.scalar(
                sa.delete(image_aliases)
                .where(image_aliases.c.alias == alias)
                .returning(image_aliases.c.image)
            )
            if image_id is None:
                return None
            name = await conn.scalar(sa.select(images.c.name).where(images.c.id == image_id))
        return str(name) if name is not None else ""

    async def set_status(
        self,
        image_ids: Sequence[uuid.UUID],
        status: ImageStatus,
        *,
        from_statuses: Iterable[ImageStatus] | None = None,
    ) -> list[ImageRecord]:
        """Set the status of the given builds (those in `from_statuses`, if given); returns the
        rows changed."""
        if not image_ids:
            return []
        condition = sa.and_(images.c.id.in_(list(image_ids)), _statuses(from_statuses))
        async with begin(self._engine) as conn:
            changed = (
                await conn.execute(
                    sa.update(images).where(condition).values(status=status).returning(images.c.id)
                )
            ).scalars()
            ids = list(changed)
            if not ids:
                return []
            return await _fetch(conn, images.c.id.in_(ids))

    async def update_image(self, image_id: uuid.UUID, values: Mapping[str, Any]) -> ImageRecord:
        """Set columns of one build; returns it as stored."""
        async with begin(self._engine) as conn:
            if values:
                await conn.execute(sa.update(images).where(images.c.id == image_id).values(values))
            return (await _fetch(conn, images.c.id == image_id))[0]
