from ai.backend.manager.repositories.container_registry.repository import (
    ContainerRegistryRepository,
    RegistryInUse,
)

__all__ = ["ContainerRegistryRepository", "RegistryInUse"]
