"""Errors about background tasks."""

from __future__ import annotations

from ai.backend.manager.errors.base import ObjectNotFound


class BackgroundTaskNotFound(ObjectNotFound):
    """No task with this id is running, and none ended within the time its state is kept."""

    error_type = "background-task-not-found"
    error_title = "No such background task."
    error_domain = "bgtask"
