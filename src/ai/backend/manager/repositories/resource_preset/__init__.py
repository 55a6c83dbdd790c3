from ai.backend.manager.repositories.resource_preset.repository import ResourcePresetRepository
from ai.backend.manager.repositories.resource_preset.types import (
    CheckPresetsSnapshot,
    PresetRecord,
    ScopeLimits,
)

__all__ = ("CheckPresetsSnapshot", "PresetRecord", "ResourcePresetRepository", "ScopeLimits")
