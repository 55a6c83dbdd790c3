"""Background task progress (broadcast, with the last state cached under `bgtask.<task_id>`)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import Field

from ai.backend.manager.events.base import Event

BGTASK_CACHE_DOMAIN = "bgtask"


def bgtask_cache_id(task_id: uuid.UUID) -> str:
    return f"{BGTASK_CACHE_DOMAIN}.{task_id}"


class BgtaskEvent(Event):
    task_id: uuid.UUID

    @property
    def cache_id(self) -> str:
        return bgtask_cache_id(self.task_id)


class BgtaskUpdatedEvent(BgtaskEvent):
    name: ClassVar[str] = "bgtask_updated"

    current_progress: float
    total_progress: float
    message: str | None = None


class BgtaskDoneEvent(BgtaskEvent):
    name: ClassVar[str] = "bgtask_done"

    message: str | None = None


class BgtaskFailedEvent(BgtaskEvent):
    name: ClassVar[str] = "bgtask_failed"

    message: str | None = None


class BgtaskCancelledEvent(BgtaskEvent):
    name: ClassVar[str] = "bgtask_cancelled"

    message: str | None = None


class BgtaskPartialSuccessEvent(BgtaskEvent):
    name: ClassVar[str] = "bgtask_partial_success"

    message: str | None = None
    errors: list[str] = Field(default_factory=list)
