from ai.backend.manager.repositories.scheduler.repository import PassResult, SchedulerRepository

__all__ = ["PassResult", "SchedulerRepository"]
