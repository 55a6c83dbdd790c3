"""Background tasks: long-running work with an id, progress events and an outcome."""

from ai.backend.manager.bgtask.follow import (
    TaskEvents,
    TaskFollower,
    follow_task,
    read_task_state,
)
from ai.backend.manager.bgtask.hub import BgtaskEventHub, register_bgtask_relays
from ai.backend.manager.bgtask.registry import (
    BackgroundTaskRegistry,
    TaskFunction,
    TaskReporter,
    TaskResult,
)

__all__ = (
    "BackgroundTaskRegistry",
    "BgtaskEventHub",
    "TaskEvents",
    "TaskFollower",
    "TaskFunction",
    "TaskReporter",
    "TaskResult",
    "follow_task",
    "read_task_state",
    "register_bgtask_relays",
)
