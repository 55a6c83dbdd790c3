"""Background tasks: their events reach `GET /events/background-task` followers, early or late."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp

from ai.backend.manager.bgtask import TaskReporter, TaskResult
from tests.integration.conftest import RunningManager
from tests.integration.sse import SSEMessage, read_sse
from tests.signing import USER_ACCESS_KEY, USER_SECRET_KEY, signed_headers


def _stream_url(manager: RunningManager, task_id: uuid.UUID | str) -> tuple[str, str]:
    rel = f"/events/background-task?task_id={task_id}"
    return rel, manager.base_url + rel


async def _follow(
    http: aiohttp.ClientSession, manager: RunningManager, task_id: uuid.UUID
) -> list[SSEMessage]:
    rel, url = _stream_url(manager, task_id)
    headers = signed_headers(
        "GET", rel, host=manager.host, access_key=USER_ACCESS_KEY, secret_key=USER_SECRET_KEY
    )
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.content_type == "text/event-stream"
        return await read_sse(resp)


async def test_a_tasks_progress_and_end_reach_a_subscriber(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    gate = asyncio.Event()

    async def work(reporter: TaskReporter) -> str:
        await gate.wait()
        await reporter.update(1, 2, "half way")
        await reporter.update(2, 2, "all of it")
        return "finished"

    task_id = await manager.root.bgtasks.start(work, name="test-progress")
    rel, url = _stream_url(manager, task_id)
    async with http.get(url, headers=signed_headers("GET", rel, host=manager.host)) as resp:
        assert resp.status == 200
        first = await read_sse(resp, until="bgtask_updated")
        assert first == [
            SSEMessage(
                "bgtask_updated",
                {
                    "task_id": str(task_id),
                    "message": "Task started",
                    "current_progress": 0,
                    "total_progress": 0,
                },
            )
        ]
        gate.set()
        rest = await read_sse(resp)
    assert [(m.event, m.data.get("message")) for m in rest] == [
        ("bgtask_updated", "half way"),
        ("bgtask_updated", "all of it"),
        ("bgtask_done", "finished"),
        ("server_close", None),
    ]
    assert rest[1].data["current_progress"] == 2 and rest[1].data["total_progress"] == 2


async def test_a_late_subscriber_gets_the_final_state(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    async def work(reporter: TaskReporter) -> str:
        await reporter.update(1, 1, "done soon")
        return "all copied"

    task_id = await manager.root.bgtasks.start(work, name="test-late")
    await manager.root.bgtasks.wait(task_id)
    messages = await _follow(http, manager, task_id)
    assert [m.event for m in messages] == ["bgtask_done", "server_close"]
    assert messages[0].data == {"task_id": str(task_id), "message": "all copied"}


async def test_a_failed_task_reports_why(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    async def work(reporter: TaskReporter) -> None:
        raise RuntimeError("the disk is on fire")

    task_id = await manager.root.bgtasks.start(work, name="test-fail")
    await manager.root.bgtasks.wait(task_id)
    messages = await _follow(http, manager, task_id)
    assert [m.event for m in messages] == ["bgtask_failed", "server_close"]
    assert messages[0].data["message"] == "the disk is on fire"


async def test_a_partial_success_is_done_with_its_errors(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    async def work(reporter: TaskReporter) -> TaskResult:
        return TaskResult("2 of 3", errors=("c: not found",))

    task_id = await manager.root.bgtasks.start(work, name="test-partial")
    await manager.root.bgtasks.wait(task_id)
    messages = await _follow(http, manager, task_id)
    assert [m.event for m in messages] == ["bgtask_done", "server_close"]
    assert messages[0].data["errors"] == ["c: not found"]


async def test_an_unknown_task_is_a_404_problem(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    rel, url = _stream_url(manager, uuid.uuid4())
    async with http.get(url, headers=signed_headers("GET", rel, host=manager.host)) as resp:
        assert resp.status == 404
        body = await resp.json()
    assert body["type"].endswith("/background-task-not-found")


async def test_a_malformed_task_id_is_a_400_problem(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    rel, url = _stream_url(manager, "not-a-uuid")
    async with http.get(url, headers=signed_headers("GET", rel, host=manager.host)) as resp:
        assert resp.status == 400
        assert (await resp.json())["type"].endswith("/invalid-api-params")


async def test_an_anonymous_follower_is_refused(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    _, url = _stream_url(manager, uuid.uuid4())
    async with http.get(url) as resp:
        assert resp.status == 401


async def test_events_of_another_producer_are_relayed(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    """A task run elsewhere (a storage proxy, another manager) is followed the same way."""
    from ai.backend.manager.events.bgtask import BgtaskDoneEvent, BgtaskUpdatedEvent

    task_id = uuid.uuid4()
    producer = manager.root.events
    started = BgtaskUpdatedEvent(
        task_id=task_id, current_progress=0, total_progress=0, message="Task started"
    )
    await producer.broadcast_with_cache(started, source="proxy-x", cache_id=started.cache_id)
    rel, url = _stream_url(manager, task_id)
    async with http.get(url, headers=signed_headers("GET", rel, host=manager.host)) as resp:
        assert resp.status == 200
        assert [m.event for m in await read_sse(resp, until="bgtask_updated")] == ["bgtask_updated"]
        done = BgtaskDoneEvent(task_id=task_id, message=None)
        await producer.broadcast_with_cache(done, source="proxy-x", cache_id=done.cache_id)
        rest = await read_sse(resp)
    assert [(m.event, m.data["message"] if m.data else None) for m in rest] == [
        ("bgtask_done", ""),
        ("server_close", None),
    ]


async def test_tasks_cut_short_by_a_shutdown_are_cancelled(
    manager: RunningManager, http: aiohttp.ClientSession
) -> None:
    from ai.backend.manager.bgtask import BackgroundTaskRegistry

    registry = BackgroundTaskRegistry(manager.root.events, source="test-shutdown")

    async def forever(reporter: TaskReporter) -> None:
        await asyncio.Event().wait()

    task_id = await registry.start(forever, name="test-forever")
    await registry.shutdown()
    messages = await _follow(http, manager, task_id)
    assert [m.event for m in messages] == ["bgtask_cancelled", "server_close"]
