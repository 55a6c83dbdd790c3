"""HTTP client of container registries (the v2 API, and Harbor's project listing)."""

from ai.backend.manager.clients.container_registry.client import (
    INDEX_TYPES,
    MANIFEST_TYPES,
    Manifest,
    RegistryClient,
    RegistryClientSettings,
)

__all__ = (
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "Manifest",
    "RegistryClient",
    "RegistryClientSettings",
)
