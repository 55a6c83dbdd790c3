"""The launcher asks an agent to check an image only when that agent has not reported it ready
recently; `create_kernels` checks (and pulls) the image itself anyway."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from ai.backend.manager.clients.agent.types import ImageRefSpec
from ai.backend.manager.data.session import StatusChange
from ai.backend.manager.sokovan.launcher import ConfirmedImages, SessionLauncher
from ai.backend.manager.types import KernelStatus, SessionStatus

IMAGE = "cr.backend.ai/stable/python:3.9-ubuntu20.04"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeSessions:
    """Just enough of SessionRepository for `prepare`: every session moves, every kernel is on
    the agent it was given."""

    def __init__(self) -> None:
        self.kernels: dict[uuid.UUID, SimpleNamespace] = {}
        self.prepared: list[uuid.UUID] = []

    def add(self, agent: str) -> uuid.UUID:
        session_id = uuid.uuid4()
        self.kernels[session_id] = SimpleNamespace(
            id=uuid.uuid4(),
            session_id=session_id,
            agent=agent,
            agent_addr=f"tcp://{agent}:6001",
            status=KernelStatus.PREPARING,
            image=IMAGE,
            architecture="x86_64",
        )
        return session_id

    async def transition_sessions(
        self, session_ids: list[uuid.UUID], target: SessionStatus, **_: Any
    ) -> list[StatusChange]:
        return [StatusChange(sid, SessionStatus.SCHEDULED, target) for sid in session_ids]

    async def get_many(self, session_ids: list[uuid.UUID]) -> list[SimpleNamespace]:
        return [SimpleNamespace(id=sid, kernels=[self.kernels[sid]]) for sid in session_ids]

    async def transition_kernels(
        self, kernel_ids: list[uuid.UUID], target: KernelStatus, **_: Any
    ) -> list[StatusChange]:
        if target == KernelStatus.PREPARED:
            self.prepared += kernel_ids
        return []

    async def kernels_waiting_for_image(self, agent_id: str, image: str) -> list[uuid.UUID]:
        return []

    async def kernels_in(self, statuses: Any, *, agent_id: str | None = None) -> list[Any]:
        return []


class FakeAgents:
    def __init__(self) -> None:
        self.asked: list[tuple[str, list[str]]] = []

    def client(self, agent_id: str, addr: str, public_key: str | None = None) -> Any:
        agents = self

        class Client:
            async def check_and_pull(self, images: dict[str, Any]) -> dict[str, str]:
                agents.asked.append((agent_id, sorted(images)))
                return {}

        return Client()


class FakeImages:
    async def image_config(
        self, canonical: str, architecture: str
    ) -> tuple[dict[str, Any], ImageRefSpec]:
        ref = ImageRefSpec(
            name="stable/python",
            project="stable",
            tag="3.9-ubuntu20.04",
            registry="cr.backend.ai",
            architecture=architecture,
            is_local=False,
        )
        return {"canonical": canonical}, ref


async def _no_changes(changes: list[StatusChange]) -> None:
    return None


def make_launcher(clock: FakeClock) -> tuple[SessionLauncher, FakeSessions, FakeAgents]:
    sessions, agents = FakeSessions(), FakeAgents()
    launcher = SessionLauncher(
        sessions=sessions,  # type: ignore[arg-type]
        agents=agents,
        images=FakeImages(),
        on_changes=_no_changes,
        confirmed_images=ConfirmedImages(ttl=60.0, clock=clock),
    )
    return launcher, sessions, agents


async def test_an_image_the_agent_reported_ready_is_not_checked_again() -> None:
    clock = FakeClock()
    launcher, sessions, agents = make_launcher(clock)
    first = sessions.add("i-a")
    await launcher.prepare([first])
    assert agents.asked == [("i-a", [IMAGE])]

    await launcher.on_image_ready("i-a", IMAGE)
    second, elsewhere = sessions.add("i-a"), sessions.add("i-b")
    await launcher.prepare([second, elsewhere])
    assert agents.asked == [("i-a", [IMAGE]), ("i-b", [IMAGE])], "only the other agent is asked"
    assert sessions.prepared == [sessions.kernels[second].id]


async def test_the_confirmation_expires_and_is_dropped_on_failure_or_loss() -> None:
    clock = FakeClock()
    launcher, sessions, agents = make_launcher(clock)
    await launcher.on_image_ready("i-a", IMAGE)
    clock.now += 61
    await launcher.prepare([sessions.add("i-a")])
    assert len(agents.asked) == 1, "asked again after the TTL"

    await launcher.on_image_ready("i-a", IMAGE)
    await launcher.on_image_failed("i-a", IMAGE, "disk full")
    await launcher.prepare([sessions.add("i-a")])
    assert len(agents.asked) == 2, "asked again after a failure"

    await launcher.on_image_ready("i-a", IMAGE)
    await launcher.on_agent_gone("i-a")
    await launcher.prepare([sessions.add("i-a")])
    assert len(agents.asked) == 3, "asked again after the agent was lost"
