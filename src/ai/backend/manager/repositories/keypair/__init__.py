from ai.backend.manager.repositories.keypair.cache import KeypairCache
from ai.backend.manager.repositories.keypair.repository import (
    KeypairAdminRepository,
    KeypairRepository,
)

__all__ = ["KeypairAdminRepository", "KeypairCache", "KeypairRepository"]
