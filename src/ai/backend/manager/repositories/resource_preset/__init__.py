from ai.backend.manager.data.resource_preset import (
    CheckPresetsSnapshot,
    PresetRecord,
    ScopeLimits,
)
from ai.backend.manager.repositories.resource_preset.repository import ResourcePresetRepository

__all__ = ("CheckPresetsSnapshot", "PresetRecord", "ResourcePresetRepository", "ScopeLimits")
