from ai.backend.manager.repositories.keypair.cache import KeypairCache
from ai.backend.manager.repositories.keypair.repository import KeypairRepository

__all__ = ["KeypairCache", "KeypairRepository"]
