"""The processors of container registry operations (GraphQL resolvers and the CLI run them)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.container_registry import (
    CreateRegistryAction,
    DeleteRegistryAction,
    GetRegistryAction,
    ListRegistriesAction,
    ModifyRegistryAction,
    RescanImagesAction,
)
from ai.backend.manager.data.image import RegistryRecord, RescanOutcome
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.container_registry import ContainerRegistryRepository
from ai.backend.manager.services.container_registry.service import ContainerRegistryService
from ai.backend.manager.services.deps import AdminDeps


@dataclass(frozen=True)
class ContainerRegistryProcessors:
    service: ContainerRegistryService
    list_all: ActionProcessor[ListRegistriesAction, list[RegistryRecord]]
    get: ActionProcessor[GetRegistryAction, RegistryRecord]
    create: ActionProcessor[CreateRegistryAction, RegistryRecord]
    modify: ActionProcessor[ModifyRegistryAction, list[RegistryRecord]]
    delete: ActionProcessor[DeleteRegistryAction, list[RegistryRecord]]
    # Checks the request and names the registries a rescan covers (before a task starts).
    rescan_targets: ActionProcessor[RescanImagesAction, list[RegistryRecord]]
    rescan: ActionProcessor[RescanImagesAction, RescanOutcome]
    # Starts a rescan as a background task; returns its id.
    start_rescan: ActionProcessor[RescanImagesAction, uuid.UUID]


def build_container_registry_processors(
    deps: AdminDeps, metrics: ManagerMetrics
) -> ContainerRegistryProcessors:
    service = ContainerRegistryService(ContainerRegistryRepository(deps.db), tasks=deps.bgtasks)
    return ContainerRegistryProcessors(
        service=service,
        list_all=ActionProcessor(service.list_registries, metrics=metrics),
        get=ActionProcessor(service.get_registry, metrics=metrics),
        create=ActionProcessor(service.create_registry, metrics=metrics),
        modify=ActionProcessor(service.modify_registry, metrics=metrics),
        delete=ActionProcessor(service.delete_registry, metrics=metrics),
        rescan_targets=ActionProcessor(service.resolve_rescan_targets, metrics=metrics),
        rescan=ActionProcessor(service.rescan, metrics=metrics),
        start_rescan=ActionProcessor(service.start_rescan, metrics=metrics),
    )
