from ai.backend.manager.repositories.session.repository import SessionRepository

__all__ = ["SessionRepository"]
