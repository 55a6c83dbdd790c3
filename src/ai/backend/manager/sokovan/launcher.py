"""The launcher: everything the manager asks agents to do for a session's kernels.

It prepares scheduled sessions (`check_and_pull`), creates their kernels once the images are
ready (`create_kernels`), and destroys them. Statuses only ever change through the session
repository, whose transition tables make every step idempotent: whether the agent's event or
the RPC's reply arrives first, the result is the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping
from typing import Any, Protocol

from ai.backend.manager.clients.agent.types import ImageRefSpec
from ai.backend.manager.data.session import (
    KernelRecord,
    SessionRecord,
    StatusChange,
)
from ai.backend.manager.errors.agent import AgentRPCError, AgentUnreachable
from ai.backend.manager.errors.session import (
    SessionFileNotFound,
    SessionNotFound,
    SessionNotRunning,
)
from ai.backend.manager.repositories.session import SessionRepository
from ai.backend.manager.types import (
    KERNEL_TERMINAL_STATUSES,
    SESSION_TERMINAL_STATUSES,
    KernelStatus,
    SessionStatus,
)

log = logging.getLogger(__name__)

_NOT_YET_CREATED = frozenset(
    {
        SessionStatus.PENDING,
        SessionStatus.SCHEDULED,
        SessionStatus.PREPARING,
        SessionStatus.PULLING,
        SessionStatus.PREPARED,
    }
)


# An agent that reported an image ready this recently is not asked to check it again before
# kernels are created from it: `create_kernels` checks (and, if needed, pulls) the image itself.
IMAGE_CONFIRMED_TTL = 60.0


class ConfirmedImages:
    """Which agents reported which images ready (`image_pull_finished`), and when."""

    def __init__(
        self, ttl: float = IMAGE_CONFIRMED_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._seen: dict[tuple[str, str], float] = {}

    def confirm(self, agent_id: str, image: str) -> None:
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[agent_id, image] = self._clock()

    def is_confirmed(self, agent_id: str, image: str) -> bool:
        seen = self._seen.get((agent_id, image))
        return seen is not None and self._clock() - seen < self._ttl

    def forget(self, agent_id: str, image: str | None = None) -> None:
        """Drop one image of an agent, or (no image) everything about the agent."""
        if image is not None:
            self._seen.pop((agent_id, image), None)
            return
        for key in [k for k in self._seen if k[0] == agent_id]:
            del self._seen[key]


class AgentClients(Protocol):
    def client(self, agent_id: str, addr: str, public_key: str | None = None) -> Any: ...


class ImageConfigs(Protocol):
    async def image_config(
        self, canonical: str, architecture: str
    ) -> tuple[dict[str, Any], ImageRefSpec]: ...


ChangeListener = Callable[[list[StatusChange]], Awaitable[None]]


class SessionLauncher:
    def __init__(
        self,
        *,
        sessions: SessionRepository,
        agents: AgentClients,
        images: ImageConfigs,
        on_changes: ChangeListener,
        auto_pull: str = "digest",
        confirmed_images: ConfirmedImages | None = None,
    ) -> None:
        self._sessions = sessions
        self._agents = agents
        self._images = images
        self._on_changes = on_changes
        self._auto_pull = auto_pull
        self._tasks: set[asyncio.Task[Any]] = set()
        self._confirmed = confirmed_images if confirmed_images is not None else ConfirmedImages()

    # --- background work ----------------------------------------------------------------------

    def spawn(self, coro: Awaitable[Any], name: str) -> None:
        async def _guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("launcher task %s failed", name)

        task = asyncio.create_task(_guarded(), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _changed(self, changes: list[StatusChange]) -> None:
        if not changes:
            return
        await self._on_changes(changes)
        for change in changes:
            if change.after == SessionStatus.PREPARED:
                self.spawn(self.create(change.session_id), f"create-{change.session_id}")
            elif change.after == SessionStatus.TERMINATING and change.before in (
                SessionStatus.RUNNING,
                SessionStatus.RESTARTING,
            ):
                # A kernel ended on its own: take the rest of the session down with it.
                self.spawn(self._destroy_rest(change.session_id), f"abnormal-{change.session_id}")

    def _client(self, kernel: KernelRecord) -> Any:
        assert kernel.agent is not None and kernel.agent_addr is not None
        return self._agents.client(kernel.agent, kernel.agent_addr)

    # --- preparing ----------------------------------------------------------------------------

    async def prepare(self, session_ids: Iterable[uuid.UUID]) -> None:
        """Scheduled sessions: ask their agents to make the images ready.

        All of them move to PREPARING first, then each agent gets one `check_and_pull` for
        every image its new kernels need: the agent's `image_pull_finished` (or failure) for
        an image settles every kernel waiting for it there, whichever session it belongs to.
        Kernels whose agent reported their image ready within `IMAGE_CONFIRMED_TTL` are
        prepared at once, without asking.
        """
        changes = await self._sessions.transition_sessions(
            list(session_ids), SessionStatus.PREPARING, kernel_target=KernelStatus.PREPARING
        )
        if not changes:
            return
        await self._changed(changes)
        sessions = await self._sessions.get_many([c.session_id for c in changes])
        by_agent: dict[str, list[KernelRecord]] = defaultdict(list)
        ready: list[uuid.UUID] = []
        for session in sessions:
            for kernel in session.kernels:
                if kernel.agent is None or kernel.status != KernelStatus.PREPARING:
                    continue
                if self._confirmed.is_confirmed(kernel.agent, kernel.image):
                    ready.append(kernel.id)
                else:
                    by_agent[kernel.agent].append(kernel)
        if ready:
            await self._changed(
                await self._sessions.transition_kernels(ready, KernelStatus.PREPARED)
            )
        configs: dict[tuple[str, str], dict[str, Any]] = {}
        for kernels in by_agent.values():
            for kernel in kernels:
                key = (kernel.image, kernel.architecture)
                if key not in configs:
                    configs[key], _ = await self._images.image_config(*key)

        async def pull_on(kernels: list[KernelRecord]) -> None:
            images = {k.image: configs[k.image, k.architecture] for k in kernels}
            try:
                await self._client(kernels[0]).check_and_pull(images)
            except (AgentRPCError, AgentUnreachable) as e:
                await self._fail_kernels(kernels, f"preparation failed: {e}")

        await asyncio.gather(*(pull_on(kernels) for kernels in by_agent.values()))

    async def on_image_ready(self, agent_id: str, image: str) -> None:
        """`image_pull_finished`: the agent's kernels waiting for the image are prepared."""
        self._confirmed.confirm(agent_id, image)
        waiting = await self._sessions.kernels_waiting_for_image(agent_id, image)
        changes = await self._sessions.transition_kernels(
            waiting, KernelStatus.PREPARED, only_agent=agent_id
        )
        await self._changed(changes)

    async def on_image_pulling(self, agent_id: str, image: str) -> None:
        waiting = await self._sessions.kernels_waiting_for_image(agent_id, image)
        changes = await self._sessions.transition_kernels(
            waiting, KernelStatus.PULLING, only_agent=agent_id
        )
        await self._changed(changes)

    async def on_image_failed(self, agent_id: str, image: str, message: str) -> None:
        self._confirmed.forget(agent_id, image)
        waiting = await self._sessions.kernels_waiting_for_image(agent_id, image)
        changes = await self._sessions.transition_kernels(
            waiting,
            KernelStatus.ERROR,
            reason="image-pull-failed",
            data={"error": {"message": message, "image": image, "agent": agent_id}},
            only_agent=agent_id,
        )
        await self._changed(changes)

    # --- creating -----------------------------------------------------------------------------

    async def create(self, session_id: uuid.UUID) -> None:
        """A prepared session: create its kernels on their agents."""
        change = await self._sessions.transition_session(
            session_id, SessionStatus.CREATING, kernel_target=KernelStatus.CREATING
        )
        if change is None:
            return
        await self._changed([change])
        session = await self._sessions.get(session_id)
        if session is None:
            return
        by_agent: dict[str, list[KernelRecord]] = defaultdict(list)
        for kernel in session.kernels:
            if kernel.agent is not None:
                by_agent[kernel.agent].append(kernel)
        cluster_info = _cluster_info(session)
        results = await asyncio.gather(
            *(
                self._create_on_agent(session, kernels, cluster_info)
                for kernels in by_agent.values()
            ),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            # Whatever did start must not linger: destroy it, the failure is already recorded.
            await self._destroy_kernels(session, "failed-to-create")

    async def _create_on_agent(
        self, session: SessionRecord, kernels: list[KernelRecord], cluster_info: dict[str, Any]
    ) -> None:
        configs: list[dict[str, Any]] = []
        image_refs: dict[uuid.UUID, ImageRefSpec] = {}
        for kernel in kernels:
            image_config, image_ref = await self._images.image_config(
                kernel.image, kernel.architecture
            )
            configs.append(_kernel_config(session, kernel, image_config, self._auto_pull))
            image_refs[kernel.id] = image_ref
        try:
            created = await self._client(kernels[0]).create_kernels(
                str(session.id),
                [str(k.id) for k in kernels],
                configs,
                cluster_info,
                image_refs,
            )
        except (AgentRPCError, AgentUnreachable) as e:
            await self._fail_kernels(kernels, f"kernel creation failed: {e}", error=e)
            raise
        changes: list[StatusChange] = []
        for info in created or []:
            if isinstance(info, Mapping) and info.get("id"):
                changes += await self._sessions.mark_kernel_started(
                    uuid.UUID(str(info["id"])), info
                )
        await self._changed(changes)

    async def on_kernel_started(
        self, kernel_id: uuid.UUID, creation_info: Mapping[str, Any]
    ) -> None:
        await self._changed(await self._sessions.mark_kernel_started(kernel_id, creation_info))

    async def on_kernel_terminated(self, kernel_id: uuid.UUID, reason: str, exit_code: int) -> None:
        changes = await self._sessions.transition_kernels(
            [kernel_id],
            KernelStatus.TERMINATED,
            reason=reason,
            data={"kernel": {"exit_code": exit_code}},
        )
        await self._changed(changes)

    async def _fail_kernels(
        self, kernels: Collection[KernelRecord], message: str, *, error: Exception | None = None
    ) -> None:
        data: dict[str, Any] = {"error": {"message": message}}
        if isinstance(error, AgentRPCError):
            data["error"].update({"name": error.exc_name, "repr": error.exc_repr})
        changes = await self._sessions.transition_kernels(
            [k.id for k in kernels], KernelStatus.ERROR, reason=message[:500], data=data
        )
        await self._changed(changes)

    # --- terminating --------------------------------------------------------------------------

    async def terminate(self, session: SessionRecord, *, reason: str, forced: bool) -> None:
        if session.status in SESSION_TERMINAL_STATUSES:
            return
        if session.status in _NOT_YET_CREATED:
            change = await self._sessions.transition_session(
                session.id,
                SessionStatus.CANCELLED,
                kernel_target=KernelStatus.CANCELLED,
                reason=reason,
            )
            if change is not None:
                await self._changed([change])
                return
            # It moved on meanwhile (e.g. to CREATING): terminate it as a live session.
            refreshed = await self._sessions.get(session.id)
            if refreshed is None or refreshed.status in SESSION_TERMINAL_STATUSES:
                return
            session = refreshed
        if forced:
            changes = await self._sessions.transition_kernels(
                [k.id for k in session.kernels], KernelStatus.TERMINATED, reason="force-terminated"
            )
            await self._changed(changes)
            self.spawn(self._destroy_kernels(session, "force-terminated"), f"force-{session.id}")
            return
        change = await self._sessions.transition_session(
            session.id,
            SessionStatus.TERMINATING,
            kernel_target=KernelStatus.TERMINATING,
            reason=reason,
        )
        if change is not None:
            await self._changed([change])
        self.spawn(self._destroy_kernels(session, reason), f"destroy-{session.id}")

    async def abandon(self, session: SessionRecord, message: str) -> None:
        """Give up on a session that is stuck: mark it failed and clean up on its agents."""
        await self._fail_kernels(session.kernels, message)
        self.spawn(self._destroy_kernels(session, "failed-to-start"), f"abandon-{session.id}")

    async def _destroy_rest(self, session_id: uuid.UUID) -> None:
        session = await self._sessions.get(session_id)
        if session is not None:
            await self._destroy_kernels(session, "abnormal-termination")

    async def _destroy_kernels(self, session: SessionRecord, reason: str) -> None:
        kernels = [k for k in session.kernels if k.agent is not None]

        async def destroy(kernel: KernelRecord) -> None:
            try:
                await self._client(kernel).destroy_kernel(str(kernel.id), str(session.id), reason)
            except AgentUnreachable as e:
                log.warning("cannot reach %s to destroy kernel %s: %s", kernel.agent, kernel.id, e)
                return
            except AgentRPCError as e:
                log.warning("agent %s failed to destroy kernel %s: %s", kernel.agent, kernel.id, e)
            if kernel.status not in KERNEL_TERMINAL_STATUSES:
                await self.on_kernel_terminated(kernel.id, reason, -1)

        await asyncio.gather(*(destroy(k) for k in kernels))

    async def on_agent_gone(self, agent_id: str) -> None:
        """An agent was lost or terminated: its kernels are gone with it."""
        self._confirmed.forget(agent_id)
        live = [
            kernel_id
            for kernel_id, _, _ in await self._sessions.kernels_in(
                [s for s in KernelStatus if s not in KERNEL_TERMINAL_STATUSES], agent_id=agent_id
            )
        ]
        changes = await self._sessions.transition_kernels(
            live, KernelStatus.TERMINATED, reason="agent-lost", only_agent=agent_id
        )
        await self._changed(changes)

    # --- talking to a running session ---------------------------------------------------------

    def _main(self, session: SessionRecord, kernel_id: uuid.UUID | None = None) -> KernelRecord:
        for kernel in session.kernels:
            if (kernel_id is None and kernel.cluster_role == "main") or kernel.id == kernel_id:
                return kernel
        raise SessionNotFound(f"No kernel {kernel_id} in session {session.name}")

    @contextlib.asynccontextmanager
    async def _kernel_rpc(self, kernel: KernelRecord) -> AsyncIterator[Any]:
        """The kernel's agent client; if the agent no longer knows the kernel (it vanished on
        the agent's side), the kernel is terminated here too and the caller is told so."""
        try:
            yield self._client(kernel)
        except AgentRPCError as e:
            if e.exc_name != "KeyError" or str(kernel.id) not in e.exc_repr:
                raise
            log.warning("agent %s no longer has kernel %s: terminating it", kernel.agent, kernel.id)
            await self.on_kernel_terminated(kernel.id, "already-terminated", -1)
            raise SessionNotRunning(
                f"The agent {kernel.agent} no longer has the kernel {kernel.id}: "
                "the session has ended"
            ) from None

    async def get_logs(self, session: SessionRecord, kernel_id: uuid.UUID | None) -> str:
        kernel = self._main(session, kernel_id)
        if kernel.agent is None or kernel.status in KERNEL_TERMINAL_STATUSES:
            return ""
        async with self._kernel_rpc(kernel) as client:
            result = await client.get_logs(str(kernel.id))
        logs = result.get("logs", "") if isinstance(result, Mapping) else ""
        return logs if isinstance(logs, str) else str(logs)

    async def interrupt(self, session: SessionRecord) -> dict[str, Any]:
        kernel = self._main(session)
        async with self._kernel_rpc(kernel) as client:
            result = await client.interrupt_kernel(str(kernel.id))
        return dict(result) if isinstance(result, Mapping) else {}

    async def complete(self, session: SessionRecord, code: str, opts: dict[str, Any]) -> Any:
        kernel = self._main(session)
        async with self._kernel_rpc(kernel) as client:
            return await client.get_completions(str(kernel.id), code, opts)

    async def execute(
        self, session: SessionRecord, run_id: str | None, mode: str, code: str, opts: dict[str, Any]
    ) -> dict[str, Any]:
        kernel = self._main(session)
        run_id = run_id or uuid.uuid4().hex
        async with self._kernel_rpc(kernel) as client:
            result = await client.execute(
                str(session.id), str(kernel.id), 9, run_id, mode, code, opts, 2.0
            )
        return normalise_execution_result(run_id, result)

    async def restart(self, session: SessionRecord) -> None:
        """Ask each kernel's agent to re-create its container; RUNNING again afterwards.

        If an agent refuses, its kernel keeps the container it had and the session goes
        back to RUNNING; the agent's error is raised to the caller.
        """
        change = await self._sessions.transition_session(
            session.id,
            SessionStatus.RESTARTING,
            kernel_target=KernelStatus.RESTARTING,
            reason="restarting",
        )
        if change is None:
            raise SessionNotRunning(f"The session {session.name!r} is not RUNNING")
        await self._changed([change])
        kernels = [k for k in session.kernels if k.agent is not None]

        async def restart_one(kernel: KernelRecord) -> None:
            _, image_ref = await self._images.image_config(kernel.image, kernel.architecture)
            async with self._kernel_rpc(kernel) as client:
                info = await client.restart_kernel(str(session.id), str(kernel.id), image_ref, {})
            await self._changed(
                await self._sessions.mark_kernel_started(kernel.id, dict(info or {}))
            )

        outcomes = await asyncio.gather(*(restart_one(k) for k in kernels), return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if failures:
            changes = await self._sessions.transition_kernels(
                [k.id for k in kernels], KernelStatus.RUNNING, reason="restart-failed"
            )
            await self._changed(changes)
            raise failures[0]

    # --- files in the main kernel -------------------------------------------------------------

    async def list_files(self, session: SessionRecord, path: str) -> dict[str, Any]:
        kernel = self._main(session)
        async with self._kernel_rpc(kernel) as client:
            result = await client.list_files(str(kernel.id), path)
        # an agent that lists nothing (the dummy backend) answers with empty strings
        return {
            "files": result.get("files") or "[]",
            "errors": result.get("errors") or "",
            "abspath": result.get("abspath") or path,
        }

    async def upload_files(self, session: SessionRecord, files: list[tuple[str, bytes]]) -> None:
        kernel = self._main(session)
        async with self._kernel_rpc(kernel) as client:
            for filename, data in files:
                await client.upload_file(str(kernel.id), filename, data)

    async def download_files(self, session: SessionRecord, paths: list[str]) -> list[bytes]:
        """One tar archive per path."""
        kernel = self._main(session)
        async with self._kernel_rpc(kernel) as client:
            archives = await asyncio.gather(
                *(client.download_file(str(kernel.id), p) for p in paths)
            )
        for path, archive in zip(paths, archives, strict=True):
            if not archive:
                raise SessionFileNotFound(f"No file {path!r} in the session {session.name!r}")
        return list(archives)

    async def download_single(self, session: SessionRecord, path: str) -> bytes:
        kernel = self._main(session)
        async with self._kernel_rpc(kernel) as client:
            data: bytes = await client.download_single(str(kernel.id), path)
        if not data:
            raise SessionFileNotFound(f"No file {path!r} in the session {session.name!r}")
        return data


def normalise_execution_result(run_id: str, result: Any) -> dict[str, Any]:
    """Give the client a well-formed result whatever the agent answered."""
    if not isinstance(result, Mapping) or result.get("status") == "not-implemented":
        return {
            "runId": run_id,
            "status": "finished",
            "console": [["stderr", "This agent's backend does not execute code.\n"]],
            "exitCode": 1,
            "options": {},
            "files": [],
        }
    normalised = dict(result)
    normalised.setdefault("runId", run_id)
    normalised.setdefault("console", [])
    normalised.setdefault("options", {})
    normalised.setdefault("files", [])
    if normalised.get("console") is None:
        normalised["console"] = []
    return normalised


def _cluster_info(session: SessionRecord) -> dict[str, Any]:
    replicas: dict[str, int] = defaultdict(int)
    for kernel in session.kernels:
        replicas[kernel.cluster_role] += 1
    return {
        "mode": session.cluster_mode.value,
        "size": session.cluster_size,
        "replicas": dict(replicas),
        "network_config": {},
        "ssh_keypair": None,
        "cluster_ssh_port_mapping": None,
    }


def _kernel_config(
    session: SessionRecord, kernel: KernelRecord, image_config: dict[str, Any], auto_pull: str
) -> dict[str, Any]:
    hosts = [k.cluster_hostname for k in session.kernels]
    replicas: dict[str, int] = defaultdict(int)
    for k in session.kernels:
        replicas[k.cluster_role] += 1
    environ = dict(session.environ or {})
    environ.update(
        {
            "BACKENDAI_USER_UUID": str(session.user_uuid),
            "BACKENDAI_USER_EMAIL": session.user_email or "",
            "BACKENDAI_SESSION_ID": str(session.id),
            "BACKENDAI_SESSION_NAME": session.name,
            "BACKENDAI_CLUSTER_SIZE": str(session.cluster_size),
            "BACKENDAI_CLUSTER_REPLICAS": ",".join(f"{r}:{n}" for r, n in replicas.items()),
            "BACKENDAI_CLUSTER_HOSTS": ",".join(hosts),
            "BACKENDAI_ACCESS_KEY": session.access_key or "",
            "BACKENDAI_KERNEL_ID": str(kernel.id),
            "BACKENDAI_KERNEL_IMAGE": kernel.image,
            "BACKENDAI_CLUSTER_ROLE": kernel.cluster_role,
            "BACKENDAI_CLUSTER_IDX": str(kernel.cluster_idx),
            "BACKENDAI_CLUSTER_LOCAL_RANK": str(kernel.local_rank),
            "BACKENDAI_CLUSTER_HOST": kernel.cluster_hostname,
            "BACKENDAI_PREOPEN_PORTS": ",".join(str(p) for p in kernel.preopen_ports or []),
        }
    )
    return {
        "image": image_config,
        "kernel_id": str(kernel.id),
        "session_id": str(session.id),
        "owner_user_id": str(session.user_uuid),
        "owner_project_id": None,
        "network_id": str(session.id),
        "auto_pull": auto_pull,
        "session_type": session.session_type.value,
        "cluster_mode": session.cluster_mode.value,
        "cluster_role": kernel.cluster_role,
        "cluster_idx": kernel.cluster_idx,
        "cluster_hostname": kernel.cluster_hostname,
        "local_rank": kernel.local_rank,
        "uid": None,
        "main_gid": None,
        "supplementary_gids": [],
        "resource_slots": {slot: str(amount) for slot, amount in kernel.occupied_slots.items()},
        "resource_opts": dict(kernel.resource_opts or {}),
        "environ": environ,
        "mounts": list(session.vfolder_mounts),
        "package_directory": [],
        "idle_timeout": 0,
        "bootstrap_script": session.bootstrap_script,
        "startup_command": session.startup_command,
        "internal_data": None,
        "preopen_ports": list(kernel.preopen_ports or []),
        "allocated_host_ports": [],
        "scaling_group": session.scaling_group_name,
        "agent_addr": kernel.agent_addr,
        "endpoint_id": None,
    }
