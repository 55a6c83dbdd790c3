"""Container registries: the rows operators register, and rescans of their images.

A registry row is (`registry_name`, `project`): `registry_name` is the host part of canonical
image names (`cr.backend.ai`, `127.0.0.1:5050`), `url` where its v2 API answers, `project` the
repository prefix (or Harbor project) that a rescan covers; several rows may share a name, one
per project. Credentials are stored for pulls and rescans and never shown back.

A rescan reads the registries (see `scanner`) and stores every image found in one transaction:
when the registry is down or answers garbage nothing changes; images with broken labels are
skipped and named in the warnings.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from ai.backend.manager.actions.container_registry import (
    CreateRegistryAction,
    DeleteRegistryAction,
    GetRegistryAction,
    ListRegistriesAction,
    ModifyRegistryAction,
    RescanImagesAction,
)
from ai.backend.manager.bgtask import BackgroundTaskRegistry, TaskReporter, TaskResult
from ai.backend.manager.data.image import RegistryInput, RegistryRecord, RescanOutcome
from ai.backend.manager.errors.base import PermissionDenied, ServiceUnavailable
from ai.backend.manager.errors.container_registry import (
    ContainerRegistryNotFound,
    InvalidContainerRegistry,
)
from ai.backend.manager.repositories.container_registry import (
    ContainerRegistryRepository,
    RegistryInUse,
)
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.container_registry.scanner import (
    HARBOR_TYPES,
    RegistryScanner,
)
from ai.backend.manager.services.image.reference import looks_like_registry
from ai.backend.manager.types import ContainerRegistryType

log = logging.getLogger(__name__)

_REGISTRY_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$")
_PROJECT = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)


def _require_superadmin(requester: AuthenticatedUser | None, what: str) -> None:
    if requester is not None and not requester.is_superadmin:
        raise PermissionDenied(f"Only superadmins can {what}")


def _check_name(name: str) -> str:
    name = name.strip()
    if not _REGISTRY_NAME.match(name) or not looks_like_registry(name):
        raise InvalidContainerRegistry(
            f"Invalid registry name {name!r}: use the host (and port) that image names start "
            "with, e.g. cr.backend.ai or 127.0.0.1:5050"
        )
    return name


def _check_url(url: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidContainerRegistry(
            f"Invalid registry URL {url!r}: expected http(s)://host[:port]"
        )
    return url


def _check_project(project: str) -> str:
    project = project.strip().strip("/")
    if not _PROJECT.match(project):
        raise InvalidContainerRegistry(f"Invalid project {project!r}")
    return project


def _validated(values: RegistryInput, *, creating: bool) -> RegistryInput:
    name = values.registry_name
    url = values.url
    if creating and (not name or not url):
        raise InvalidContainerRegistry("A registry needs a name and a URL")
    project = values.project
    return RegistryInput(
        registry_name=_check_name(name) if name is not None else None,
        url=_check_url(url) if url is not None else None,
        type=values.type,
        project=(_check_project(project) or None) if project else None,
        username=values.username,
        password=values.password,
        ssl_verify=values.ssl_verify,
        is_global=values.is_global,
        extra=values.extra,
        cleared=values.cleared | (frozenset({"project"}) if project == "" else frozenset()),
    )


def _summary(
    registries: Sequence[str],
    outcome_counts: tuple[int, int, int, int],
    skipped: int,
    not_kernel: int,
) -> str:
    scanned, created, updated, revived = outcome_counts
    text = (
        f"Rescanned {', '.join(registries)}: {scanned} images "
        f"({created} new, {updated} updated" + (f", {revived} restored" if revived else "") + ")"
    )
    if skipped:
        text += f"; {skipped} skipped with broken labels"
    if not_kernel:
        text += f"; {not_kernel} without the ai.backend.kernelspec label passed by"
    return text


class ContainerRegistryService:
    def __init__(
        self,
        repository: ContainerRegistryRepository,
        scanner: RegistryScanner | None = None,
        *,
        tasks: BackgroundTaskRegistry | None = None,
    ) -> None:
        self._repository = repository
        self._scanner = scanner or RegistryScanner()
        self._tasks = tasks

    # --- registries ------------------------------------------------------------------------------

    async def list_registries(self, action: ListRegistriesAction) -> list[RegistryRecord]:
        _require_superadmin(action.requester, "list container registries")
        return await self._repository.list_registries()

    async def get_registry(self, action: GetRegistryAction) -> RegistryRecord:
        _require_superadmin(action.requester, "read container registries")
        return (await self._targets(action.registry_id, action.hostname))[0]

    async def _targets(
        self, registry_id: uuid.UUID | None, hostname: str | None
    ) -> list[RegistryRecord]:
        if registry_id is not None:
            found = await self._repository.get(registry_id)
            if found is None:
                raise ContainerRegistryNotFound(f"No container registry with id {registry_id}")
            return [found]
        if hostname is None:
            raise InvalidContainerRegistry("Name the registry by id or hostname")
        rows = await self._repository.find(hostname.strip())
        if not rows:
            raise ContainerRegistryNotFound(f"No container registry named {hostname!r}")
        return rows

    async def create_registry(self, action: CreateRegistryAction) -> RegistryRecord:
        _require_superadmin(action.requester, "register container registries")
        values = _validated(action.values, creating=True)
        registry_type = values.type or ContainerRegistryType.DOCKER
        if registry_type in HARBOR_TYPES and not values.project:
            raise InvalidContainerRegistry("A Harbor registry needs a project")
        created = await self._repository.create(values)
        if created is None:
            project = f" with project {values.project!r}" if values.project else ""
            raise InvalidContainerRegistry(
                f"The registry {values.registry_name}{project} is already registered"
            )
        log.info("container registry %s (%s) registered", created.name, created.url)
        return created

    async def modify_registry(self, action: ModifyRegistryAction) -> list[RegistryRecord]:
        _require_superadmin(action.requester, "change container registries")
        values = _validated(action.values, creating=False)
        changed: list[RegistryRecord] = []
        for target in await self._targets(action.registry_id, action.hostname):
            result = await self._repository.update(target.id, values)
            if result is None:
                raise ContainerRegistryNotFound(f"No container registry with id {target.id}")
            if result is False:
                raise InvalidContainerRegistry(
                    "Another registry row already has that name and project"
                )
            assert isinstance(result, RegistryRecord)
            changed.append(result)
        return changed

    async def delete_registry(self, action: DeleteRegistryAction) -> list[RegistryRecord]:
        _require_superadmin(action.requester, "delete container registries")
        deleted: list[RegistryRecord] = []
        for target in await self._targets(action.registry_id, action.hostname):
            try:
                result = await self._repository.delete(target.id)
            except RegistryInUse:
                raise InvalidContainerRegistry(
                    f"Sessions still refer to images of {target.name}; forget those images "
                    "instead, or delete the registry once the sessions are purged"
                ) from None
            if result is not None:
                row, removed = result
                log.info("container registry %s deleted with %d images", row.name, removed)
                deleted.append(row)
        return deleted

    # --- rescans ---------------------------------------------------------------------------------

    async def resolve_rescan_targets(self, action: RescanImagesAction) -> list[RegistryRecord]:
        """The rows a rescan covers (checked before a background task starts)."""
        _require_superadmin(action.requester, "rescan images")
        registry = action.registry.strip() if action.registry else None
        project = action.project.strip().strip("/") if action.project else None
        rows = await self._repository.find(registry or None, None)
        if project:
            rows = [r for r in rows if r.project == project or r.project is None]
        if not rows:
            if registry:
                raise ContainerRegistryNotFound(
                    f"No container registry named {registry!r}"
                    + (f" with project {project!r}" if project else "")
                    + "; register it first (backend.ai mgr registry add)"
                )
            raise ContainerRegistryNotFound("No container registries are registered")
        if project:
            # A row without a project, scanned for one project only.
            rows = [
                r
                if r.project == project
                else RegistryRecord(
                    id=r.id,
                    name=r.name,
                    url=r.url,
                    type=r.type,
                    project=project,
                    username=r.username,
                    password=r.password,
                    ssl_verify=r.ssl_verify,
                    is_global=r.is_global,
                    extra=r.extra,
                )
                for r in rows
            ]
        return rows

    async def start_rescan(self, action: RescanImagesAction) -> uuid.UUID:
        """Check the request, then rescan in a background task (progress as `bgtask_updated`,
        skipped images as the errors of `bgtask_partial_success`); returns the task id."""
        registries = await self.resolve_rescan_targets(action)
        if self._tasks is None:
            raise ServiceUnavailable("Background tasks are not available in this process")

        async def run(reporter: TaskReporter) -> TaskResult:
            outcome = await self.rescan_registries(
                registries, replace(action, progress=reporter.update)
            )
            return TaskResult(message=outcome.message, errors=outcome.warnings)

        return await self._tasks.start(run, name="rescan-images")

    async def rescan(self, action: RescanImagesAction) -> RescanOutcome:
        registries = await self.resolve_rescan_targets(action)
        return await self.rescan_registries(registries, action)

    async def rescan_registries(
        self, registries: Sequence[RegistryRecord], action: RescanImagesAction
    ) -> RescanOutcome:
        known = await self._repository.known_builds(sorted({r.name for r in registries}))
        if action.progress is not None:
            report = await self._scanner.scan(registries, action.progress, known=known)
        else:
            report = await self._scanner.scan(registries, known=known)
        stored = await self._repository.import_scan(registries, report.images)
        names = tuple(dict.fromkeys(r.name for r in registries))
        message = _summary(
            names,
            (len(report.images), stored.created, stored.updated, stored.revived),
            len(report.warnings),
            report.not_kernel_images,
        )
        log.info("%s", message)
        return RescanOutcome(
            message=message,
            registries=names,
            scanned=len(report.images),
            created=stored.created,
            updated=stored.updated,
            revived=stored.revived,
            warnings=tuple(report.warnings),
        )
