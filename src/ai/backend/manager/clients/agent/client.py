"""Typed calls to one agent's RPC methods (backend.ai-agent 26.9.6).

Arguments go positionally in the order the agent declares them; `agent_id` always goes as a
keyword (the agent refuses a call meant for another agent with `AgentIdNotFoundError`).
Only idempotent queries are retried, and only when the agent could not be reached.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar
from uuid import UUID

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from ai.backend.manager.clients.agent import codec
from ai.backend.manager.clients.agent.settings import AgentRPCSettings
from ai.backend.manager.clients.agent.types import ImageRefSpec
from ai.backend.manager.errors.agent import AgentRPCError, AgentUnreachable

if TYPE_CHECKING:
    from ai.backend.manager.clients.agent.connection import AgentConnection

log = logging.getLogger(__name__)

T = TypeVar("T")

type ExecutionMode = Literal["query", "batch", "continue", "input"]
type RPCMetadataProvider = Callable[[], Mapping[str, Any]]


class ConnectionSource(Protocol):
    """Where a client gets the current connection to its agent (the pool)."""

    def connection(self, agent_id: str, addr: str, public_key: str | None) -> AgentConnection: ...


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    log.info("agent RPC attempt %d failed (%s); retrying", state.attempt_number, error)


class AgentRPCClient:
    """A cheap handle to one agent; get it from `AgentClientPool.client()`."""

    def __init__(
        self,
        source: ConnectionSource,
        agent_id: str,
        addr: str,
        public_key: str | None,
        settings: AgentRPCSettings,
        metadata: RPCMetadataProvider | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.addr = addr
        self.public_key = public_key
        self._source = source
        self._settings = settings
        self._metadata = metadata

    def __repr__(self) -> str:
        return f"AgentRPCClient({self.agent_id!r}, {self.addr!r})"

    # --- the generic call ------------------------------------------------------------------

    async def call(
        self,
        method: str,
        *args: Any,
        rpc_timeout: float,
        idempotent: bool = False,
        pass_agent_id: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Call `method(*args, **kwargs)` on the agent and return its reply (with the
        `agent_id` keyword added unless `pass_agent_id` is false: `ping` and `health` lack it).

        Raises AgentUnreachable (AgentRPCTimeout when the request went out but no reply came
        in time) or AgentRPCError (the agent raised). Idempotent calls are retried a bounded
        number of times when the agent was unreachable.
        """
        if pass_agent_id:
            kwargs["agent_id"] = self.agent_id
        body = codec.pack(
            {
                "args": list(args),
                "kwargs": kwargs,
                "metadata": dict(self._metadata()) if self._metadata is not None else {},
            }
        )
        attempts = self._settings.retry_attempts if idempotent else 1
        if attempts <= 1:
            return await self._invoke(method, body, rpc_timeout)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(
                multiplier=self._settings.retry_initial_wait, max=self._settings.retry_max_wait
            ),
            retry=retry_if_exception_type(AgentUnreachable),
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._invoke(method, body, rpc_timeout)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _invoke(self, method: str, body: bytes, rpc_timeout: float) -> Any:
        conn = self._source.connection(self.agent_id, self.addr, self.public_key)
        return await conn.invoke(method, body, rpc_timeout)

    def _expect(self, method: str, value: Any, kind: type[T]) -> T:
        if not isinstance(value, kind):
            raise AgentRPCError(
                self.agent_id,
                "UnexpectedReply",
                f"expected {kind.__name__}, got {type(value).__name__}: {value!r:.200}",
                method=method,
            )
        return value

    async def _dict(
        self, method: str, *args: Any, rpc_timeout: float, **kwargs: Any
    ) -> dict[str, Any]:
        result = await self.call(method, *args, rpc_timeout=rpc_timeout, **kwargs)
        return self._expect(method, {} if result is None else result, dict)

    # --- health ----------------------------------------------------------------------------

    async def ping(self, msg: str = "ping", *, rpc_timeout: float | None = None) -> str:
        t = rpc_timeout or self._settings.timeouts.ping
        # the agent's ping and health take no agent_id
        result = await self.call("ping", msg, rpc_timeout=t, idempotent=True, pass_agent_id=False)
        return self._expect("ping", result, str)

    async def health(self, *, rpc_timeout: float | None = None) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict("health", rpc_timeout=t, idempotent=True, pass_agent_id=False)

    async def gather_hwinfo(self, *, rpc_timeout: float | None = None) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict("gather_hwinfo", rpc_timeout=t, idempotent=True)

    async def get_local_config(self, *, rpc_timeout: float | None = None) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict("get_local_config", rpc_timeout=t, idempotent=True)

    # --- images ----------------------------------------------------------------------------

    async def check_and_pull(
        self, image_configs: Mapping[str, Mapping[str, Any]], *, rpc_timeout: float | None = None
    ) -> dict[str, str]:
        """Start pulling what is missing; returns {canonical: background task id}.

        Progress comes as image_pull_started / image_pull_finished / image_pull_failed events.
        """
        t = rpc_timeout or self._settings.timeouts.check_and_pull
        result = await self._dict(
            "check_and_pull", dict(image_configs), rpc_timeout=t, idempotent=True
        )
        return {str(k): str(v) for k, v in result.items()}

    async def check_pulling(
        self, image_canonical: str, *, rpc_timeout: float | None = None
    ) -> bool:
        t = rpc_timeout or self._settings.timeouts.query
        result = await self.call("check_pulling", image_canonical, rpc_timeout=t, idempotent=True)
        return self._expect("check_pulling", result, bool)

    async def push_image(
        self,
        image_ref: ImageRefSpec,
        registry_conf: Mapping[str, Any],
        *,
        rpc_timeout: float | None = None,
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.image_task
        return await self._dict("push_image", image_ref, dict(registry_conf), rpc_timeout=t)

    async def purge_images(
        self,
        image_canonicals: Sequence[str],
        *,
        force: bool = False,
        noprune: bool = False,
        rpc_timeout: float | None = None,
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.image_task
        return await self._dict(
            "purge_images", list(image_canonicals), force, noprune, rpc_timeout=t
        )

    # --- kernels ---------------------------------------------------------------------------

    async def create_kernels(
        self,
        session_id: str | UUID,
        kernel_ids: Sequence[str | UUID],
        configs: Sequence[Mapping[str, Any]],
        cluster_info: Mapping[str, Any],
        image_refs: Mapping[UUID | str, ImageRefSpec],
        *,
        rpc_timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        """Create kernels (configs in the order of kernel_ids); blocks until all are up.

        Returns one creation-info dict per kernel. The agent raises the first failure, e.g.
        `AgentRPCError` with exc_name `ResourceError`/`InsufficientResource`.
        """
        t = rpc_timeout or self._settings.timeouts.create_kernels
        result = await self.call(
            "create_kernels",
            str(session_id),
            [str(k) for k in kernel_ids],
            [dict(c) for c in configs],
            dict(cluster_info),
            {_as_uuid(k): ref for k, ref in image_refs.items()},
            rpc_timeout=t,
        )
        items = self._expect("create_kernels", result, list)
        return [self._expect("create_kernels", item, dict) for item in items]

    async def destroy_kernel(
        self,
        kernel_id: str | UUID,
        session_id: str | UUID,
        reason: str = "user-requested",
        *,
        suppress_events: bool = False,
        rpc_timeout: float | None = None,
    ) -> Any:
        """Destroy a kernel and wait until it is cleaned; the agent then emits
        kernel_terminated (unless suppressed), with reason `already-terminated` for a kernel
        it does not know."""
        t = rpc_timeout or self._settings.timeouts.destroy_kernel
        return await self.call(
            "destroy_kernel",
            str(kernel_id),
            str(session_id),
            str(reason),
            suppress_events=suppress_events,
            rpc_timeout=t,
        )

    async def restart_kernel(
        self,
        session_id: str | UUID,
        kernel_id: str | UUID,
        image_ref: ImageRefSpec,
        updated_config: Mapping[str, Any],
        *,
        rpc_timeout: float | None = None,
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.restart_kernel
        return await self._dict(
            "restart_kernel",
            str(session_id),
            str(kernel_id),
            image_ref,
            dict(updated_config),
            rpc_timeout=t,
        )

    async def check_running(
        self, kernel_id: str | UUID, *, rpc_timeout: float | None = None
    ) -> bool:
        t = rpc_timeout or self._settings.timeouts.query
        result = await self.call("check_running", str(kernel_id), rpc_timeout=t, idempotent=True)
        return self._expect("check_running", result, bool)

    async def check_creating(
        self, kernel_id: str | UUID, *, rpc_timeout: float | None = None
    ) -> bool:
        t = rpc_timeout or self._settings.timeouts.query
        result = await self.call("check_creating", str(kernel_id), rpc_timeout=t, idempotent=True)
        return self._expect("check_creating", result, bool)

    async def sync_kernel_registry(
        self,
        kernel_session_ids: Iterable[tuple[str | UUID, str | UUID]],
        *,
        rpc_timeout: float | None = None,
    ) -> None:
        """Tell the agent which kernels the manager knows: it reports the missing ones as
        terminated (`already-terminated`) and silently destroys the ones not listed."""
        t = rpc_timeout or self._settings.timeouts.query
        pairs = [[str(kid), str(sid)] for kid, sid in kernel_session_ids]
        await self.call("sync_kernel_registry", pairs, rpc_timeout=t, idempotent=True)

    async def reset_agent(self, *, rpc_timeout: float | None = None) -> None:
        t = rpc_timeout or self._settings.timeouts.destroy_kernel
        await self.call("reset_agent", rpc_timeout=t)

    # --- inside kernels --------------------------------------------------------------------

    async def get_logs(
        self, kernel_id: str | UUID, *, rpc_timeout: float | None = None
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict("get_logs", str(kernel_id), rpc_timeout=t, idempotent=True)

    async def execute(
        self,
        session_id: str | UUID,
        kernel_id: str | UUID,
        api_version: int,
        run_id: str,
        mode: ExecutionMode,
        code: str,
        opts: Mapping[str, Any],
        flush_timeout: float,
        *,
        rpc_timeout: float | None = None,
    ) -> dict[str, Any]:
        t = rpc_timeout or max(self._settings.timeouts.execute, flush_timeout + 30.0)
        return await self._dict(
            "execute",
            str(session_id),
            str(kernel_id),
            api_version,
            run_id,
            mode,
            code,
            dict(opts),
            flush_timeout,
            rpc_timeout=t,
        )

    async def trigger_batch_execution(
        self,
        session_id: str | UUID,
        kernel_id: str | UUID,
        code: str,
        timeout_seconds: float | None,
        *,
        rpc_timeout: float | None = None,
    ) -> None:
        t = rpc_timeout or self._settings.timeouts.query
        await self.call(
            "trigger_batch_execution",
            str(session_id),
            str(kernel_id),
            code,
            timeout_seconds,
            rpc_timeout=t,
        )

    async def interrupt_kernel(
        self, kernel_id: str | UUID, *, rpc_timeout: float | None = None
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict("interrupt_kernel", str(kernel_id), rpc_timeout=t)

    async def get_completions(
        self,
        kernel_id: str | UUID,
        text: str,
        opts: Mapping[str, Any],
        *,
        rpc_timeout: float | None = None,
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict("get_completions", str(kernel_id), text, dict(opts), rpc_timeout=t)

    async def start_service(
        self,
        kernel_id: str | UUID,
        service: str,
        opts: Mapping[str, Any],
        *,
        rpc_timeout: float | None = None,
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict("start_service", str(kernel_id), service, dict(opts), rpc_timeout=t)

    async def shutdown_service(
        self, kernel_id: str | UUID, service: str, *, rpc_timeout: float | None = None
    ) -> None:
        t = rpc_timeout or self._settings.timeouts.query
        await self.call("shutdown_service", str(kernel_id), service, rpc_timeout=t)

    async def upload_file(
        self,
        kernel_id: str | UUID,
        filename: str,
        filedata: bytes,
        *,
        rpc_timeout: float | None = None,
    ) -> None:
        t = rpc_timeout or self._settings.timeouts.file_transfer
        await self.call("upload_file", str(kernel_id), filename, bytes(filedata), rpc_timeout=t)

    async def download_file(
        self, kernel_id: str | UUID, filepath: str, *, rpc_timeout: float | None = None
    ) -> bytes:
        """A tar archive of `filepath` in the kernel."""
        t = rpc_timeout or self._settings.timeouts.file_transfer
        result = await self.call(
            "download_file", str(kernel_id), filepath, rpc_timeout=t, idempotent=True
        )
        return self._expect("download_file", result, bytes)

    async def download_single(
        self, kernel_id: str | UUID, filepath: str, *, rpc_timeout: float | None = None
    ) -> bytes:
        t = rpc_timeout or self._settings.timeouts.file_transfer
        result = await self.call(
            "download_single", str(kernel_id), filepath, rpc_timeout=t, idempotent=True
        )
        return self._expect("download_single", result, bytes)

    async def list_files(
        self, kernel_id: str | UUID, path: str, *, rpc_timeout: float | None = None
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict("list_files", str(kernel_id), path, rpc_timeout=t, idempotent=True)

    async def get_commit_status(
        self, kernel_id: str | UUID, subdir: str, *, rpc_timeout: float | None = None
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.query
        return await self._dict(
            "get_commit_status", str(kernel_id), subdir, rpc_timeout=t, idempotent=True
        )

    async def commit(
        self,
        kernel_id: str | UUID,
        subdir: str,
        *,
        canonical: str | None = None,
        filename: str | None = None,
        extra_labels: Mapping[str, str] | None = None,
        rpc_timeout: float | None = None,
    ) -> dict[str, Any]:
        t = rpc_timeout or self._settings.timeouts.image_task
        return await self._dict(
            "commit",
            str(kernel_id),
            subdir,
            canonical=canonical,
            filename=filename,
            extra_labels=dict(extra_labels or {}),
            rpc_timeout=t,
        )

    # --- networks and ports ----------------------------------------------------------------

    async def create_local_network(
        self, network_name: str, *, rpc_timeout: float | None = None
    ) -> None:
        t = rpc_timeout or self._settings.timeouts.network
        await self.call("create_local_network", network_name, rpc_timeout=t)

    async def destroy_local_network(
        self, network_name: str, *, rpc_timeout: float | None = None
    ) -> None:
        t = rpc_timeout or self._settings.timeouts.network
        await self.call("destroy_local_network", network_name, rpc_timeout=t)

    async def assign_port(self, *, rpc_timeout: float | None = None) -> int:
        t = rpc_timeout or self._settings.timeouts.query
        result = await self.call("assign_port", rpc_timeout=t)
        return self._expect("assign_port", result, int)

    async def release_port(self, port_no: int, *, rpc_timeout: float | None = None) -> None:
        t = rpc_timeout or self._settings.timeouts.query
        await self.call("release_port", port_no, rpc_timeout=t)


def _as_uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
