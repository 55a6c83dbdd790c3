from ai.backend.manager.repositories.group.repository import GroupRepository

__all__ = ["GroupRepository"]
