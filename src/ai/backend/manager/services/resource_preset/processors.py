"""The processors of resource preset operations (REST handlers and GraphQL resolvers run them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ai.backend.manager.actions.base import ActionProcessor
from ai.backend.manager.actions.resource import (
    CheckResourcePresetsAction,
    CreateResourcePresetAction,
    DeleteResourcePresetAction,
    GetResourcePresetAction,
    ListContainerRegistriesAction,
    ListResourcePresetsAction,
    ModifyResourcePresetAction,
)
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.repositories.resource_preset import PresetRecord, ResourcePresetRepository
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.resource_preset.service import (
    CheckPresetsResult,
    ResourcePresetService,
)


@dataclass(frozen=True)
class ResourcePresetProcessors:
    list_presets: ActionProcessor[ListResourcePresetsAction, list[PresetRecord]]
    list_presets_json: ActionProcessor[ListResourcePresetsAction, list[dict[str, Any]]]
    get: ActionProcessor[GetResourcePresetAction, PresetRecord | None]
    check: ActionProcessor[CheckResourcePresetsAction, CheckPresetsResult]
    create: ActionProcessor[CreateResourcePresetAction, PresetRecord]
    modify: ActionProcessor[ModifyResourcePresetAction, PresetRecord]
    delete: ActionProcessor[DeleteResourcePresetAction, PresetRecord]
    container_registries: ActionProcessor[ListContainerRegistriesAction, dict[str, str]]


def build_resource_preset_processors(
    deps: AdminDeps, metrics: ManagerMetrics
) -> ResourcePresetProcessors:
    service = ResourcePresetService(ResourcePresetRepository(deps.db), deps.check_presets_cache)
    return ResourcePresetProcessors(
        list_presets=ActionProcessor(service.list_presets, metrics=metrics),
        list_presets_json=ActionProcessor(service.list_presets_json, metrics=metrics),
        get=ActionProcessor(service.get_preset, metrics=metrics),
        check=ActionProcessor(service.check_presets, metrics=metrics),
        create=ActionProcessor(service.create_preset, metrics=metrics),
        modify=ActionProcessor(service.modify_preset, metrics=metrics),
        delete=ActionProcessor(service.delete_preset, metrics=metrics),
        container_registries=ActionProcessor(service.container_registries, metrics=metrics),
    )
