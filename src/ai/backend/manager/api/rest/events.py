"""Server-Sent Events: `GET /events/session` (a session's lifecycle, rest-api.md §1.3) and
`GET /events/background-task` (a background task's progress and outcome).

The session is looked up first, so an unknown or invisible session is an ordinary problem-JSON
error. Then every event is `event: <name>` with a one-line JSON `data:` object, a comment line
keeps idle connections open, and once the session has ended the stream sends `server_close`
(the client stops reconnecting on it) and closes. No `retry:` field is sent: the client reads it
as seconds, not milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from ai.backend.manager.actions.processors import Processors
from ai.backend.manager.actions.session import GetSessionInfoAction
from ai.backend.manager.api.context import api_context, current_user
from ai.backend.manager.bgtask.follow import TaskEvents
from ai.backend.manager.data.session import SessionRecord
from ai.backend.manager.errors.base import InvalidAPIParameters, ServiceUnavailable
from ai.backend.manager.errors.session import SessionNotFound
from ai.backend.manager.events.bgtask import (
    BgtaskEvent,
    BgtaskPartialSuccessEvent,
    BgtaskUpdatedEvent,
)
from ai.backend.manager.services.session.event_hub import (
    EventScope,
    SessionEventHub,
    SessionEventSubscription,
    SessionStreamEvent,
    StreamCompletion,
    final_events,
)
from ai.backend.manager.types import SessionTypes

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class SessionEventStreamOptions:
    # A comment line goes out after this long without events (proxies drop idle connections).
    keepalive_interval: float = 15.0
    # A session named right after its creation request may not be visible yet: look again
    # for this long before answering 404.
    lookup_retry: float = 2.0
    lookup_interval: float = 0.2
    # How long to wait for a batch session's outcome around its termination (StreamCompletion).
    settle: float = 3.0


SESSION_EVENT_HUB = web.AppKey("session_event_hub", SessionEventHub)
SESSION_EVENT_STREAM_OPTIONS = web.AppKey("session_event_stream_options", SessionEventStreamOptions)

BGTASK_EVENTS = web.AppKey("bgtask_events", TaskEvents)

SERVER_CLOSE = "server_close"
_ALL_SCOPES = frozenset(EventScope)


def parse_scope(raw: str | None) -> frozenset[EventScope]:
    """`*` (the default), or a comma-separated list of `session` and `kernel`."""
    scopes: set[EventScope] = set()
    for part in (raw or "*").split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name == "*":
            return _ALL_SCOPES
        try:
            scopes.add(EventScope(name))
        except ValueError:
            raise InvalidAPIParameters(
                f"Unknown event scope {part.strip()!r} (use '*', 'session' or 'kernel')"
            ) from None
    return frozenset(scopes) or _ALL_SCOPES


def event_data(session: SessionRecord, event: SessionStreamEvent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "sessionId": str(session.id),
        "sessionName": session.name,
        "ownerAccessKey": session.access_key,
        "reason": event.reason,
        "exitCode": event.exit_code,
        "status": event.status,
    }
    if event.kernel_id is not None:
        data["kernelId"] = str(event.kernel_id)
    return data


def encode_event(name: str, data: dict[str, Any]) -> bytes:
    # json.dumps escapes newlines inside strings, so `data` always stays on one line.
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


async def _find_session(
    processors: Processors, action: GetSessionInfoAction, options: SessionEventStreamOptions
) -> SessionRecord:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.lookup_retry
    while True:
        try:
            return await processors.session.get_info.run(action)
        except SessionNotFound:
            if loop.time() + options.lookup_interval > deadline:
                raise
        await asyncio.sleep(options.lookup_interval)


class _SessionEventWriter:
    def __init__(
        self,
        response: web.StreamResponse,
        session: SessionRecord,
        scopes: frozenset[EventScope],
    ) -> None:
        self._response = response
        self._session = session
        self._scopes = scopes

    async def event(self, event: SessionStreamEvent) -> None:
        if event.scope in self._scopes:
            await self._response.write(encode_event(event.name, event_data(self._session, event)))

    async def close(self) -> None:
        await self._response.write(encode_event(SERVER_CLOSE, {}))

    async def keepalive(self) -> None:
        await self._response.write(b": keep-alive\n\n")


async def _relay(
    subscription: SessionEventSubscription,
    writer: _SessionEventWriter,
    completion: StreamCompletion,
    options: SessionEventStreamOptions,
) -> None:
    loop = asyncio.get_running_loop()
    while True:
        timeout = options.keepalive_interval
        if completion.deadline is not None:
            timeout = max(0.0, min(timeout, completion.deadline - loop.time()))
        try:
            event = await asyncio.wait_for(subscription.get(), timeout)
        except TimeoutError:
            if completion.done(loop.time()):
                await writer.close()
                return
            await writer.keepalive()
            continue
        if event is None:
            # The hub shut down (this manager is stopping): end without `server_close` so
            # the client reconnects, to another manager if there is one.
            return
        await writer.event(event)
        completion.observe(event, loop.time())
        if completion.done(loop.time()):
            await writer.close()
            return


async def stream_session_events(request: web.Request) -> web.StreamResponse:
    query = request.query
    reference = query.get("sessionId") or query.get("sessionName") or query.get("name")
    if not reference:
        raise InvalidAPIParameters("Either `sessionId` or `sessionName` is required")
    scopes = parse_scope(query.get("scope"))
    options = request.config_dict.get(SESSION_EVENT_STREAM_OPTIONS) or SessionEventStreamOptions()
    hub = request.config_dict[SESSION_EVENT_HUB]
    processors = api_context(request).processors
    action = GetSessionInfoAction(
        requester=current_user(request),
        reference=reference,
        owner_access_key=query.get("owner_access_key") or query.get("ownerAccessKey") or None,
    )
    session = await _find_session(processors, action, options)

    with hub.subscribe(session.id) as subscription:
        # Read it again now that we are subscribed: a change between the first read and the
        # subscription would otherwise go unnoticed (above all, the session's end).
        with contextlib.suppress(SessionNotFound):
            session = await processors.session.get_info.run(
                replace(action, reference=str(session.id))
            )
        response = web.StreamResponse(
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        response.content_type = "text/event-stream"
        await response.prepare(request)
        writer = _SessionEventWriter(response, session, scopes)
        # From here on the response has started: errors can only end the stream.
        try:
            ended = final_events(session)
            if ended:
                for event in ended:
                    await writer.event(event)
                await writer.close()
            else:
                completion = StreamCompletion(
                    expect_result=session.session_type == SessionTypes.BATCH,
                    settle=options.settle,
                )
                await _relay(subscription, writer, completion, options)
        except ConnectionError:
            log.debug("the watcher of session %s went away", session.id)
        except Exception:
            log.exception("the event stream of session %s failed", session.id)
    return response


# --- background tasks --------------------------------------------------------------------------


def bgtask_event_message(event: BgtaskEvent) -> tuple[str, dict[str, Any]]:
    """The client's view of a task event: its SSE name and data.

    A partial success is reported as `bgtask_done` with its `errors` (the client treats both
    names alike, and older clients know only `bgtask_done`).
    """
    message = getattr(event, "message", None) or ""
    data: dict[str, Any] = {"task_id": str(event.task_id), "message": message}
    if isinstance(event, BgtaskUpdatedEvent):
        data["current_progress"] = event.current_progress
        data["total_progress"] = event.total_progress
        return event.name, data
    if isinstance(event, BgtaskPartialSuccessEvent):
        data["errors"] = list(event.errors)
        return "bgtask_done", data
    return event.name, data


async def stream_background_task_events(request: web.Request) -> web.StreamResponse:
    """Progress of the task `task_id` until its end, then `server_close`; 404 if unknown."""
    raw = request.query.get("task_id") or request.query.get("taskId")
    if not raw:
        raise InvalidAPIParameters("`task_id` is required")
    try:
        task_id = uuid.UUID(raw)
    except ValueError:
        raise InvalidAPIParameters(f"`task_id` must be a UUID, not {raw!r}") from None
    current_user(request)
    options = request.config_dict.get(SESSION_EVENT_STREAM_OPTIONS) or SessionEventStreamOptions()
    task_events = request.config_dict.get(BGTASK_EVENTS)
    if task_events is None:
        raise ServiceUnavailable("Background task events are not available on this server")
    async with task_events.follow(task_id, recheck_interval=options.keepalive_interval) as follower:
        response = web.StreamResponse(
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        response.content_type = "text/event-stream"
        await response.prepare(request)
        try:
            async for event in follower.events():
                if event is None:
                    await response.write(b": keep-alive\n\n")
                    continue
                name, data = bgtask_event_message(event)
                await response.write(encode_event(name, data))
                if not isinstance(event, BgtaskUpdatedEvent):
                    await response.write(encode_event(SERVER_CLOSE, {}))
        except ConnectionError:
            log.debug("the watcher of task %s went away", task_id)
        except Exception:
            log.exception("the event stream of task %s failed", task_id)
    return response


async def _close_hub(app: web.Application) -> None:
    # Streams would otherwise hold up the graceful shutdown until its timeout.
    hub = app.get(SESSION_EVENT_HUB)
    if hub is not None:
        hub.close()
    task_events = app.get(BGTASK_EVENTS)
    if task_events is not None:
        task_events.hub.close()


def register_routes(app: web.Application) -> None:
    """Add the SSE routes; `app[SESSION_EVENT_HUB]` and `app[BGTASK_EVENTS]` must be set
    before the app starts."""
    app.router.add_get("/events/session", stream_session_events)
    app.router.add_get("/events/background-task", stream_background_task_events)
    app.on_shutdown.append(_close_hub)
