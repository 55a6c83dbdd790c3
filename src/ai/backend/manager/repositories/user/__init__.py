from ai.backend.manager.repositories.user.repository import UserRepository

__all__ = ["UserRepository"]
