"""Image pull progress reported by an agent (anycast)."""

from __future__ import annotations

from typing import ClassVar

from ai.backend.manager.events.base import Event
from ai.backend.manager.events.types import ImageRef


class ImagePullStartedEvent(Event):
    name: ClassVar[str] = "image_pull_started"

    image: str
    agent_id: str
    timestamp: float  # epoch seconds
    image_ref: ImageRef | None = None


class ImagePullFinishedEvent(Event):
    """Also sent when no pull was needed (`msg` = "Image already exists")."""

    name: ClassVar[str] = "image_pull_finished"

    image: str
    agent_id: str
    timestamp: float
    msg: str | None = None
    image_ref: ImageRef | None = None


class ImagePullFailedEvent(Event):
    name: ClassVar[str] = "image_pull_failed"

    image: str
    agent_id: str
    msg: str
    image_ref: ImageRef | None = None
