"""The session event hub, its broadcast relays and the SSE stream `GET /events/session`."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ai.backend.manager.actions.session import GetSessionInfoAction
from ai.backend.manager.api.context import API_CONTEXT, REQUEST_USER, APIContext
from ai.backend.manager.api.middlewares.errors import error_middleware
from ai.backend.manager.api.rest import events as sse
from ai.backend.manager.data.session import SessionRecord
from ai.backend.manager.errors.base import InvalidAPIParameters
from ai.backend.manager.errors.session import SessionNotFound
from ai.backend.manager.event_dispatcher.dispatcher import EventDispatcher
from ai.backend.manager.events.base import Event
from ai.backend.manager.events.kernel import KernelPullingEvent, KernelTerminatedEvent
from ai.backend.manager.events.session import (
    SchedulingEvent,
    SessionFailureEvent,
    SessionSuccessEvent,
)
from ai.backend.manager.services.session.event_hub import (
    EventScope,
    SessionEventHub,
    SessionStreamEvent,
    StreamCompletion,
    final_events,
    register_session_event_relays,
    session_event_name,
)
from ai.backend.manager.types import SessionResult, SessionStatus, SessionTypes
from tests.unit.test_gql_session_types import KERNEL_ID, SESSION_ID, USER, make_session

OTHER_ID = uuid.UUID("99999999-2222-3333-4444-555555555555")


def ev(name: str, session_id: uuid.UUID = SESSION_ID, **kwargs: Any) -> SessionStreamEvent:
    scope = EventScope.KERNEL if name.startswith("kernel_") else EventScope.SESSION
    return SessionStreamEvent(name=name, session_id=session_id, scope=scope, **kwargs)


# --- the hub -------------------------------------------------------------------------------------


async def test_publish_fans_out_to_every_subscriber_of_the_session() -> None:
    hub = SessionEventHub()
    first, second, other = (
        hub.subscribe(SESSION_ID),
        hub.subscribe(SESSION_ID),
        hub.subscribe(OTHER_ID),
    )
    assert hub.publish(ev("session_started")) == 2
    assert (await first.get()) == ev("session_started")
    assert (await second.get()) == ev("session_started")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(other.get(), 0.05)


async def test_a_slow_subscriber_loses_its_oldest_events() -> None:
    hub = SessionEventHub(queue_size=2)
    subscription = hub.subscribe(SESSION_ID)
    for name in ("session_scheduled", "session_preparing", "session_started"):
        hub.publish(ev(name))
    assert subscription.dropped == 1
    assert [(await subscription.get()), (await subscription.get())] == [
        ev("session_preparing"),
        ev("session_started"),
    ]


async def test_unsubscribing_stops_delivery_and_ends_the_reader() -> None:
    hub = SessionEventHub()
    with hub.subscribe(SESSION_ID) as subscription:
        assert hub.subscriber_count(SESSION_ID) == 1
    assert hub.subscriber_count() == 0
    assert hub.publish(ev("session_started")) == 0
    assert subscription.ended
    assert (await subscription.get()) is None


async def test_closing_the_hub_ends_every_subscription() -> None:
    hub = SessionEventHub(queue_size=1)
    subscription = hub.subscribe(SESSION_ID)
    hub.publish(ev("session_started"))
    waiting = asyncio.create_task(hub.subscribe(OTHER_ID).get())
    await asyncio.sleep(0)
    hub.close()
    assert (await waiting) is None
    # The end marker replaced the queued event since the queue was full.
    assert [e async for e in subscription] == []
    assert (await hub.subscribe(SESSION_ID).get()) is None


# --- relays --------------------------------------------------------------------------------------


class FakeDispatcher:
    def __init__(self) -> None:
        self.handlers: dict[str, Callable[[str, Any], Awaitable[None]]] = {}

    def subscribe[E: Event](
        self, event_cls: type[E], handler: Callable[[str, E], Awaitable[None]]
    ) -> None:
        self.handlers[event_cls.name] = cast(Callable[[str, Any], Awaitable[None]], handler)

    async def deliver(self, event: Event) -> None:
        await self.handlers[event.name]("i-agent-1", event)


@pytest.fixture
def relayed() -> tuple[FakeDispatcher, SessionEventHub]:
    dispatcher, hub = FakeDispatcher(), SessionEventHub()
    register_session_event_relays(dispatcher, hub)
    return dispatcher, hub


def test_relays_subscribe_to_the_broadcast_events(
    relayed: tuple[FakeDispatcher, SessionEventHub],
) -> None:
    dispatcher, _ = relayed
    assert set(dispatcher.handlers) == {
        "scheduling",
        "session_success",
        "session_failure",
        "kernel_preparing",
        "kernel_pulling",
        "kernel_creating",
        "kernel_started",
        "kernel_terminating",
        "kernel_terminated",
        "kernel_cancelled",
    }
    # The real dispatcher accepts them too (no wire name is claimed twice).
    real = EventDispatcher(cast(Any, None), node_id="test")
    register_session_event_relays(real, SessionEventHub())


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("PENDING", "session_enqueued"),
        ("SCHEDULED", "session_scheduled"),
        ("PULLING", "session_pulling"),
        ("RUNNING", "session_started"),
        ("TERMINATED", "session_terminated"),
        ("CANCELLED", "session_cancelled"),
    ],
)
async def test_status_transitions_become_session_events(
    relayed: tuple[FakeDispatcher, SessionEventHub], status: str, expected: str
) -> None:
    dispatcher, hub = relayed
    subscription = hub.subscribe(SESSION_ID)
    await dispatcher.deliver(
        SchedulingEvent(
            session_id=SESSION_ID, creation_id="c", status_transition=status, reason="why"
        )
    )
    assert (await subscription.get()) == ev(expected, status=status, reason="why")


async def test_kernel_and_result_events_are_relayed(
    relayed: tuple[FakeDispatcher, SessionEventHub],
) -> None:
    dispatcher, hub = relayed
    subscription = hub.subscribe(SESSION_ID)
    await dispatcher.deliver(
        KernelPullingEvent(kernel_id=KERNEL_ID, session_id=SESSION_ID, reason="python:3.9")
    )
    await dispatcher.deliver(
        KernelTerminatedEvent(
            kernel_id=KERNEL_ID, session_id=SESSION_ID, reason="task-finished", exit_code=3
        )
    )
    await dispatcher.deliver(SessionSuccessEvent(session_id=SESSION_ID, reason="task-finished"))
    await dispatcher.deliver(SessionFailureEvent(session_id=SESSION_ID, exit_code=3))
    pulled, terminated, success, failure = [await subscription.get() for _ in range(4)]
    assert pulled == ev(
        "kernel_pulling", status="PULLING", reason="python:3.9", kernel_id=KERNEL_ID
    )
    assert terminated is not None and terminated.exit_code == 3
    assert terminated.status == "TERMINATED" and terminated.kernel_id == KERNEL_ID
    # A success without an exit code must not make the CLI exit non-zero.
    assert success == ev("session_success", reason="task-finished", exit_code=0)
    assert failure is not None and failure.exit_code == 3 and failure.is_result


# --- the end of a stream -------------------------------------------------------------------------


def test_terminal_names() -> None:
    assert session_event_name(SessionStatus.ERROR) == "session_error"
    assert ev("session_error").is_terminal and ev("session_cancelled").is_terminal
    assert not ev("session_terminating").is_terminal


def test_final_events_of_a_finished_batch_session() -> None:
    finished = make_session(
        session_type=SessionTypes.BATCH,
        status=SessionStatus.TERMINATED,
        result=SessionResult.FAILURE,
        status_info="task-finished",
        status_data={"kernel": {"exit_code": 2}},
    )
    assert [(e.name, e.exit_code) for e in final_events(finished)] == [
        ("session_failure", 2),
        ("session_terminated", 2),
    ]
    assert final_events(make_session()) == []


def test_completion_waits_for_the_outcome_of_a_batch_session() -> None:
    completion = StreamCompletion(expect_result=True, settle=3.0)
    completion.observe(ev("session_terminated"), now=10.0)
    assert not completion.done(11.0)
    assert completion.done(13.0)
    completion.observe(ev("session_success"), now=11.0)
    assert completion.done(11.0)

    interactive = StreamCompletion(expect_result=False, settle=3.0)
    interactive.observe(ev("kernel_terminated"), now=1.0)
    assert not interactive.done(100.0)
    interactive.observe(ev("session_terminated"), now=1.0)
    assert interactive.done(1.0)


# --- the SSE endpoint ----------------------------------------------------------------------------


class FakeGetInfo:
    """Answers with `current` (or SessionNotFound while it is None / `misses` remain)."""

    def __init__(self, current: SessionRecord | None, *, misses: int = 0) -> None:
        self.current = current
        self.misses = misses
        self.actions: list[GetSessionInfoAction] = []

    async def run(self, action: GetSessionInfoAction) -> SessionRecord:
        self.actions.append(action)
        if self.misses > 0 or self.current is None:
            self.misses -= 1
            raise SessionNotFound(f"No session matches {action.reference!r}")
        return self.current


@web.middleware
async def fake_auth(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    request[REQUEST_USER] = USER
    return await handler(request)


class SSEHarness:
    def __init__(self, client: TestClient[web.Request, web.Application], hub: SessionEventHub):
        self.client = client
        self.hub = hub

    async def open(self, **params: str) -> Any:
        return await self.client.get("/events/session", params=params)

    async def wait_subscribed(self, session_id: uuid.UUID = SESSION_ID) -> None:
        for _ in range(200):
            if self.hub.subscriber_count(session_id) > 0:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the stream never subscribed")


async def read_stream(response: Any) -> list[tuple[str, Any]]:
    """(event name, parsed data) of each message, plus ("comment", text) of comments."""
    messages: list[tuple[str, Any]] = []
    name, data = "message", None
    async with asyncio.timeout(5):
        while line := await response.content.readline():
            text = line.decode().rstrip("\r\n")
            if text.startswith(":"):
                messages.append(("comment", text[1:].strip()))
            elif text.startswith("event:"):
                name = text.split(":", 1)[1].strip()
            elif text.startswith("data:"):
                data = json.loads(text.split(":", 1)[1])
            elif not text:
                if data is not None:
                    messages.append((name, data))
                name, data = "message", None
            else:
                raise AssertionError(f"unexpected SSE line {text!r}")
    return messages


def events_only(messages: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [m for m in messages if m[0] != "comment"]


@pytest.fixture
async def get_info() -> FakeGetInfo:
    return FakeGetInfo(make_session())


@pytest.fixture
async def harness(get_info: FakeGetInfo) -> AsyncIterator[SSEHarness]:
    hub = SessionEventHub()
    app = web.Application(middlewares=[error_middleware, fake_auth])
    processors = SimpleNamespace(session=SimpleNamespace(get_info=get_info))
    app[API_CONTEXT] = cast(APIContext, SimpleNamespace(processors=processors))
    app[sse.SESSION_EVENT_HUB] = hub
    app[sse.SESSION_EVENT_STREAM_OPTIONS] = sse.SessionEventStreamOptions(
        keepalive_interval=0.05, lookup_retry=0.3, lookup_interval=0.05, settle=0.2
    )
    sse.register_routes(app)
    async with TestClient(TestServer(app)) as client:
        yield SSEHarness(client, hub)


async def test_stream_relays_events_and_closes_at_the_end(harness: SSEHarness) -> None:
    response = await harness.open(sessionName="mysess", scope="*")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    await harness.wait_subscribed()
    harness.hub.publish(ev("kernel_pulling", status="PULLING", reason="img", kernel_id=KERNEL_ID))
    harness.hub.publish(ev("session_started", status="RUNNING"))
    harness.hub.publish(ev("session_terminated", status="TERMINATED", reason="user-requested"))
    messages = events_only(await read_stream(response))

    assert [name for name, _ in messages] == [
        "kernel_pulling",
        "session_started",
        "session_terminated",
        "server_close",
    ]
    assert messages[0][1] == {
        "sessionId": str(SESSION_ID),
        "sessionName": "mysess",
        "ownerAccessKey": USER.access_key,
        "reason": "img",
        "exitCode": None,
        "status": "PULLING",
        "kernelId": str(KERNEL_ID),
    }
    assert messages[2][1]["reason"] == "user-requested"
    assert messages[-1][1] == {}
    assert harness.hub.subscriber_count() == 0


async def test_scope_filters_but_the_end_still_closes(harness: SSEHarness) -> None:
    response = await harness.open(sessionId=str(SESSION_ID), scope="kernel")
    await harness.wait_subscribed()
    harness.hub.publish(ev("session_started"))
    harness.hub.publish(ev("kernel_terminated", kernel_id=KERNEL_ID, exit_code=0))
    harness.hub.publish(ev("session_terminated"))
    names = [name for name, _ in events_only(await read_stream(response))]
    assert names == ["kernel_terminated", "server_close"]


async def test_idle_streams_get_keepalive_comments(harness: SSEHarness) -> None:
    response = await harness.open(sessionName="mysess")
    await harness.wait_subscribed()
    await asyncio.sleep(0.2)
    harness.hub.publish(ev("session_cancelled"))
    messages = await read_stream(response)
    assert ("comment", "keep-alive") in messages
    assert [n for n, _ in events_only(messages)] == ["session_cancelled", "server_close"]


async def test_an_ended_session_gets_its_end_at_once(
    harness: SSEHarness, get_info: FakeGetInfo
) -> None:
    get_info.current = make_session(
        session_type=SessionTypes.BATCH,
        status=SessionStatus.TERMINATED,
        result=SessionResult.SUCCESS,
    )
    messages = events_only(await read_stream(await harness.open(sessionName="mysess")))
    assert [(n, d.get("exitCode")) for n, d in messages] == [
        ("session_success", 0),
        ("session_terminated", None),
        ("server_close", None),
    ]


async def test_a_batch_outcome_after_termination_is_still_delivered(
    harness: SSEHarness, get_info: FakeGetInfo
) -> None:
    get_info.current = replace(make_session(), session_type=SessionTypes.BATCH)
    response = await harness.open(sessionName="mysess")
    await harness.wait_subscribed()
    harness.hub.publish(ev("session_terminated"))
    harness.hub.publish(ev("session_failure", exit_code=1))
    names = [n for n, _ in events_only(await read_stream(response))]
    assert names == ["session_terminated", "session_failure", "server_close"]


async def test_a_batch_outcome_alone_ends_the_stream_after_settling(
    harness: SSEHarness, get_info: FakeGetInfo
) -> None:
    get_info.current = replace(make_session(), session_type=SessionTypes.BATCH)
    response = await harness.open(sessionName="mysess")
    await harness.wait_subscribed()
    harness.hub.publish(ev("session_success", exit_code=0))
    messages = events_only(await read_stream(response))
    assert [(n, d.get("exitCode")) for n, d in messages] == [
        ("session_success", 0),
        ("server_close", None),
    ]


async def test_a_session_that_appears_late_is_found(
    harness: SSEHarness, get_info: FakeGetInfo
) -> None:
    get_info.misses = 2
    response = await harness.open(sessionName="mysess", owner_access_key="AKOWNER")
    assert response.status == 200
    assert get_info.actions[0] == GetSessionInfoAction(
        requester=USER, reference="mysess", owner_access_key="AKOWNER"
    )
    assert get_info.actions[-1].reference == str(SESSION_ID)
    await harness.wait_subscribed()
    harness.hub.publish(ev("session_error"))
    assert [n for n, _ in events_only(await read_stream(response))] == [
        "session_error",
        "server_close",
    ]


async def test_an_unknown_session_is_a_404_problem(
    harness: SSEHarness, get_info: FakeGetInfo
) -> None:
    get_info.current = None
    response = await harness.open(sessionName="nope")
    assert response.status == 404
    body = await response.json(content_type=None)
    assert body["type"].endswith("session-not-found")
    assert len(get_info.actions) > 1


async def test_a_request_without_a_session_is_a_400(harness: SSEHarness) -> None:
    response = await harness.open(scope="*")
    assert response.status == 400
    response = await harness.open(sessionName="mysess", scope="bogus")
    assert response.status == 400


async def test_shutdown_ends_streams_without_server_close(harness: SSEHarness) -> None:
    response = await harness.open(sessionName="mysess")
    await harness.wait_subscribed()
    harness.hub.close()
    assert events_only(await read_stream(response)) == []


def test_scope_parsing() -> None:
    assert sse.parse_scope(None) == frozenset(EventScope)
    assert sse.parse_scope("*") == frozenset(EventScope)
    assert sse.parse_scope("session,kernel") == frozenset(EventScope)
    assert sse.parse_scope("session") == {EventScope.SESSION}
    with pytest.raises(InvalidAPIParameters):
        sse.parse_scope("agent")
