"""Container registry rows, and storing what a rescan found, in PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Final

import sqlalchemy as sa
import sqlalchemy.exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ai.backend.manager.data.image import RegistryInput, RegistryRecord, ScanImport, ScannedImage
from ai.backend.manager.models.image import container_registries, images
from ai.backend.manager.repositories.db import begin, begin_readonly
from ai.backend.manager.types import ContainerRegistryType, ImageStatus

# Rows per INSERT/UPDATE statement when storing a rescan.
IMPORT_BATCH: Final = 500
_NULLABLE: Final = frozenset({"project", "username", "password", "extra", "ssl_verify"})


class RegistryInUse(Exception):
    """Sessions still refer to images of the registry."""


def registry_from_row(row: Any) -> RegistryRecord:
    mapping = row._mapping
    same = {k: mapping[k] for k in ("id", "url", "project", "is_global", "ssl_verify")}
    return RegistryRecord(
        name=mapping["registry_name"],
        type=ContainerRegistryType(mapping["type"]),
        username=mapping["username"],
        password=mapping["password"],
        extra=dict(mapping["extra"]) if mapping["extra"] else None,
        **same,
    )


def _chunks[T](items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lock_key(text: str) -> int:
    """A signed 64-bit advisory lock key for `text`."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


class ContainerRegistryRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- registries ------------------------------------------------------------------------------

    async def list_registries(self) -> list[RegistryRecord]:
        query = sa.select(container_registries).order_by(
            container_registries.c.registry_name,
            container_registries.c.project.nulls_first(),
            container_registries.c.id,
        )
        async with begin_readonly(self._engine) as conn:
            return [registry_from_row(r) for r in (await conn.execute(query)).all()]

    async def get(self, registry_id: uuid.UUID) -> RegistryRecord | None:
        query = sa.select(container_registries).where(container_registries.c.id == registry_id)
        async with begin_readonly(self._engine) as conn:
            row = (await conn.execute(query)).first()
        return registry_from_row(row) if row is not None else None

    async def find(self, name: str | None, project: str | None = None) -> list[RegistryRecord]:
        """The rows named `name` (all, when None), of `project` only when it is given."""
        query = sa.select(container_registries)
        if name is not None:
            query = query.where(container_registries.c.registry_name == name)
        if project is not None:
            query = query.where(container_registries.c.project == project)
        query = query.order_by(
            container_registries.c.registry_name,
            container_registries.c.project.nulls_first(),
            container_registries.c.id,
        )
        async with begin_readonly(self._engine) as conn:
            return [registry_from_row(r) for r in (await conn.execute(query)).all()]

    async def _duplicate(
        self,
        conn: AsyncConnection,
        name: str,
        project: str | None,
        exclude: uuid.UUID | None = None,
    ) -> bool:
        query = sa.select(sa.func.count()).where(
            container_registries.c.registry_name == name,
            container_registries.c.project.is_(None)
            if project is None
            else container_registries.c.project == project,
        )
        if exclude is not None:
            query = query.where(container_registries.c.id != exclude)
        return bool(await conn.scalar(query))

    async def create(self, values: RegistryInput) -> RegistryRecord | None:
        """Insert a row; None when (name, project) already has one."""
        assert values.registry_name is not None and values.url is not None
        row: dict[str, Any] = {
            "registry_name": values.registry_name,
            "url": values.url,
            "type": values.type or ContainerRegistryType.DOCKER,
            "project": values.project,
            "username": values.username,
            "password": values.password,
            "ssl_verify": True if values.ssl_verify is None else values.ssl_verify,
            "is_global": True if values.is_global is None else values.is_global,
            "extra": dict(values.extra) if values.extra is not None else None,
        }
        async with begin(self._engine) as conn:
            await conn.execute(
                sa.select(sa.func.pg_advisory_xact_lock(_lock_key("cr:" + values.registry_name)))
            )
            if await self._duplicate(conn, values.registry_name, values.project):
                return None
            created = (
                await conn.execute(
                    sa.insert(container_registries).values(row).returning(container_registries)
                )
            ).one()
        return registry_from_row(created)

    async def update(
        self, registry_id: uuid.UUID, values: RegistryInput
    ) -> RegistryRecord | bool | None:
        """Change the given fields; None if there is no such row, False if the change would
        duplicate another row's (name, project)."""
        changes: dict[str, Any] = {
            name: getattr(values, name)
            for name in (
                "registry_name",
                "url",
                "type",
                "project",
                "username",
                "password",
                "ssl_verify",
                "is_global",
            )
            if getattr(values, name) is not None
        }
        if values.extra is not None:
            changes["extra"] = dict(values.extra)
        for name in values.cleared & _NULLABLE:
            changes[name] = None
        async with begin(self._engine) as conn:
            current = (
                await conn.execute(
                    sa.select(container_registries)
                    .where(container_registries.c.id == registry_id)
                    .with_for_update()
                )
            ).first()
            if current is None:
                return None
            name = changes.get("registry_name", current.registry_name)
            project = changes.get("project", current.project)
            if await self._duplicate(conn, name, project, exclude=registry_id):
                return False
            if changes:
                await conn.execute(
                    sa.update(container_registries)
                    .where(container_registries.c.id == registry_id)
                    .values(changes)
                )
            row = (
                await conn.execute(
                    sa.select(container_registries).where(container_registries.c.id == registry_id)
                )
            ).one()
        return registry_from_row(row)

    async def delete(self, registry_id: uuid.UUID) -> tuple[RegistryRecord, int] | None:
        """Delete the row with the images it holds (their aliases go with them). Returns the
        row and how many images went; None if there is no such row. Raises `RegistryInUse`
        when sessions still refer to one of its images."""
        async with begin(self._engine) as conn:
            row = (
                await conn.execute(
                    sa.select(container_registries)
                    .where(container_registries.c.id == registry_id)
                    .with_for_update()
                )
            ).first()
            if row is None:
                return None
            try:
                async with conn.begin_nested():
                    removed = await conn.execute(
                        sa.delete(images).where(images.c.registry_id == registry_id)
                    )
            except sa.exc.IntegrityError:
                raise RegistryInUse(row.registry_name) from None
            await conn.execute(
                sa.delete(container_registries).where(container_registries.c.id == registry_id)
            )
        return registry_from_row(row), int(removed.rowcount or 0)

    # --- rescans ---------------------------------------------------------------------------------

    async def known_builds(
        self, registry_names: Sequence[str]
    ) -> dict[tuple[str, str], ScannedImage]:
        """The stored builds of these registries by (canonical name, config digest): a rescan
        need not fetch a config blob it has already read."""
        query = sa.select(
            images.c.name,
            images.c.registry,
            images.c.project,
            images.c.image,
            images.c.tag,
            images.c.architecture,
            images.c.config_digest,
            images.c.size_bytes,
            images.c.labels,
            images.c.resources,
            images.c.accelerators,
            images.c.type,
        ).where(images.c.registry.in_(list(registry_names)), images.c.customized.is_(False))
        async with begin_readonly(self._engine) as conn:
            rows = (await conn.execute(query)).all()
        known: dict[tuple[str, str], ScannedImage] = {}
        for row in rows:
            digest = (row.config_digest or "").strip()
            known[(row.name, digest)] = ScannedImage(
                canonical=row.name,
                registry=row.registry,
                project=row.project,
                image=row.image,
                tag=row.tag or "",
                architecture=row.architecture,
                config_digest=digest,
                size_bytes=int(row.size_bytes),
                labels={str(k): str(v) for k, v in (row.labels or {}).items()},
                resources=dict(row.resources or {}),
                accelerators=row.accelerators,
                type=row.type,
            )
        return known

    async def import_scan(
        self, registries: Sequence[RegistryRecord], scanned: Sequence[ScannedImage]
    ) -> ScanImport:
        """Store a rescan in one transaction: insert new builds, update known ones (making
        forgotten ones live again). Builds the registry no longer has are left as they are."""
        by_name: dict[str, RegistryRecord] = {}
        for registry in registries:
            # The row of the image's project, or else the registry's row without a project.
            by_name.setdefault(registry.name, registry)
        rows_by_key: dict[tuple[str, str | None], uuid.UUID] = {
            (r.name, r.project): r.id for r in registries
        }
        created = updated = revived = 0
        async with begin(self._engine) as conn:
            # One rescan of a registry at a time (another waits, then sees this one's rows).
            for name in sorted({r.name for r in registries}):
                await conn.execute(
                    sa.select(sa.func.pg_advisory_xact_lock(_lock_key("cr:" + name)))
                )
            for batch in _chunks(scanned, IMPORT_BATCH):
                existing = {
                    (row.name, row.architecture): (row.id, row.status)
                    for row in (
                        await conn.execute(
                            sa.select(
                                images.c.id, images.c.name, images.c.architecture, images.c.status
                            )
                            .where(images.c.name.in_(sorted({i.canonical for i in batch})))
                            .with_for_update()
                        )
                    ).all()
                }
                inserts: list[dict[str, Any]] = []
                updates: list[dict[str, Any]] = []
                seen: set[tuple[str, str]] = set()
                for image in batch:
                    key = (image.canonical, image.architecture)
                    if key in seen:
                        continue
                    seen.add(key)
                    registry_id = rows_by_key.get((image.registry, image.project))
                    if registry_id is None:
                        registry_id = by_name[image.registry].id
                    values = {
                        "registry_id": registry_id,
                        "registry": image.registry,
                        "project": image.project,
                        "image": image.image,
                        "tag": image.tag,
                        "config_digest": image.config_digest,
                        "size_bytes": image.size_bytes,
                        "type": image.type,
                        "accelerators": image.accelerators,
                        "labels": dict(image.labels),
                        "resources": dict(image.resources),
                        "status": ImageStatus.ALIVE,
                    }
                    found = existing.get(key)
                    if found is None:
                        inserts.append(
                            {"name": image.canonical, "architecture": image.architecture, **values}
                        )
                    else:
                        image_id, status = found
                        if ImageStatus(status) is not ImageStatus.ALIVE:
                            revived += 1
                        updates.append({"_id": image_id, **values})
                if inserts:
                    await conn.execute(sa.insert(images), inserts)
                    created += len(inserts)
                if updates:
                    await conn.execute(
                        sa.update(images)
                        .where(images.c.id == sa.bindparam("_id"))
                        .values({k: sa.bindparam(k) for k in updates[0] if k != "_id"}),
                        updates,
                    )
                    updated += len(updates)
        return ScanImport(created=created, updated=updated, revived=revived)
