from ai.backend.manager.repositories.domain.repository import DomainRepository

__all__ = ["DomainRepository"]
