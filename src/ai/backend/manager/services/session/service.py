"""Compute session operations: create, look up, destroy and talk to a running session."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from ai.backend.manager.actions.session import (
    CompleteCodeAction,
    CreateSessionAction,
    CreateSessionResult,
    DestroySessionAction,
    DownloadSessionFileAction,
    DownloadSessionFilesAction,
    ExecuteCodeAction,
    GetSessionByIdAction,
    GetSessionInfoAction,
    GetSessionLogsAction,
    GetSessionsByIdsAction,
    InterruptSessionAction,
    ListSessionFilesAction,
    ListSessionsAction,
    RenameSessionAction,
    RestartSessionAction,
    SessionRefAction,
    UploadSessionFilesAction,
)
from ai.backend.manager.data.session import KernelSpec, SessionRecord, SessionSpec
from ai.backend.manager.data.vfolder_mount import MountRequest, VFolderMount
from ai.backend.manager.errors.base import PermissionDenied
from ai.backend.manager.errors.session import (
    InvalidSessionRequest,
    QuotaExceeded,
    SessionAlreadyExists,
    SessionNotFound,
    SessionNotRunning,
    TooManySessionsMatched,
)
from ai.backend.manager.repositories.session import SessionRepository
from ai.backend.manager.repositories.session.lookup import (
    ProjectRef,
    QuotaState,
    ResourceGroupRef,
    SessionLookupRepository,
    SessionOwner,
)
from ai.backend.manager.services.auth.types import AuthenticatedUser
from ai.backend.manager.services.quota.limits import (
    AdmissionLimits,
    PendingUsage,
    admission_refusal,
)
from ai.backend.manager.services.session.creation import (
    apply_image_minimums,
    cluster_layout,
    new_creation_id,
    parse_resources,
    parse_starts_at,
    validate_session_name,
)
from ai.backend.manager.services.session.waiter import SessionStatusWaiter
from ai.backend.manager.types import (
    SESSION_TERMINAL_STATUSES,
    KernelStatus,
    SessionStatus,
)

DEFAULT_SLOTS: Mapping[str, Decimal] = {"cpu": Decimal(1), "mem": Decimal(1024**3)}
# How long `POST /session` waits for RUNNING when the client gives no maxWaitSeconds.
DEFAULT_CREATE_WAIT = 600.0
# File transfers through the API are for small files; large ones go through virtual folders.
MAX_TRANSFER_FILES = 5
MAX_UPLOAD_BYTES = 1024 * 1024


class ImageResolver(Protocol):
    async def resolve(self, reference: str, architecture: str) -> Any: ...
    def check_allowed(
        self, domain_name: str, image: Any, allowed_registries: Sequence[str] | None
    ) -> None: ...
    def minimum_slots(self, image: Any) -> Mapping[str, Decimal]: ...


class VFolderMountResolver(Protocol):
    async def resolve_mounts(
        self, *, owner: AuthenticatedUser, request: MountRequest
    ) -> list[VFolderMount]:
        """The folders `request` names, checked against what the owner may mount, with the
        host paths the storage proxies give for them."""
        ...


class SessionRuntime(Protocol):
    """What the service asks of the part that talks to agents (sokovan's launcher)."""

    async def terminate(self, session: SessionRecord, *, reason: str, forced: bool) -> None: ...
    async def get_logs(self, session: SessionRecord, kernel_id: uuid.UUID | None) -> str: ...
    async def interrupt(self, session: SessionRecord) -> dict[str, Any]: ...
    async def complete(self, session: SessionRecord, code: str, opts: dict[str, Any]) -> Any: ...
    async def execute(
        self, session: SessionRecord, run_id: str | None, mode: str, code: str, opts: dict[str, Any]
    ) -> dict[str, Any]: ...
    async def restart(self, session: SessionRecord) -> None: ...
    async def list_files(self, session: SessionRecord, path: str) -> dict[str, Any]: ...
    async def upload_files(
        self, session: SessionRecord, files: list[tuple[str, bytes]]
    ) -> None: ...
    async def download_files(self, session: SessionRecord, paths: list[str]) -> list[bytes]: ...
    async def download_single(self, session: SessionRecord, path: str) -> bytes: ...


def _is_admin(user: AuthenticatedUser) -> bool:
    return user.role in ("admin", "superadmin")


class SessionService:
    def __init__(
        self,
        *,
        sessions: SessionRepository,
        lookup: SessionLookupRepository,
        images: ImageResolver,
        runtime: SessionRuntime,
        waiter: SessionStatusWaiter,
        on_enqueued: Callable[[SessionSpec], None],
        on_access: Callable[[uuid.UUID], Awaitable[None]] | None = None,
        mounts: VFolderMountResolver | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._lookup = lookup
        self._images = images
        self._runtime = runtime
        self._waiter = waiter
        self._on_enqueued = on_enqueued
        # marks the session as used (the idle checker reads it); called on every RPC-like call
        self._on_access = on_access
        self._mounts = mounts
        self._clock = clock

    # --- who ----------------------------------------------------------------------------------

    async def _owner(
        self, requester: AuthenticatedUser, owner_access_key: str | None
    ) -> SessionOwner:
        access_key = owner_access_key or requester.access_key
        owner = await self._lookup.owner_of(access_key)
        if owner is None:
            raise InvalidSessionRequest(f"Unknown owner access key {access_key}")
        _check_acting_for(requester, owner)
        return owner

    async def _find(self, action: SessionRefAction, *, live_only: bool = False) -> SessionRecord:
        requester = action.requester
        scope_key: str | None
        scope_domain: str | None = None
        if action.owner_access_key:
            owner = await self._owner(requester, action.owner_access_key)
            scope_key = owner.access_key
        elif _is_uuid(action.reference) and _is_admin(requester):
            scope_key = None
            scope_domain = None if requester.role == "superadmin" else requester.domain_name
        else:
            scope_key = requester.access_key
        matches = await self._sessions.match(
            action.reference, access_key=scope_key, domain_name=scope_domain
        )
        live = [m for m in matches if m.status not in SESSION_TERMINAL_STATUSES]
        candidates = live if live_only else (live or matches)
        if not candidates:
            raise SessionNotFound(f"No session matches {action.reference!r}")
        exact = [
            m for m in candidates if str(m.id) == action.reference or m.name == action.reference
        ]
        if len(exact) == 1:
            return exact[0]
        if len(candidates) > 1:
            raise TooManySessionsMatched(
                f"{len(candidates)} sessions match {action.reference!r}",
                data={
                    "matches": [
                        {"id": str(m.id), "name": m.name, "status": m.status.name}
                        for m in candidates
                    ]
                },
            )
        return candidates[0]

    # --- create -------------------------------------------------------------------------------

    async def create(self, action: CreateSessionAction) -> CreateSessionResult:
        requester = action.requester
        access_key = action.owner_access_key or requester.access_key
        name = validate_session_name(action.name)
        facts = await self._lookup.admission(access_key, name, action.group_name or "default")
        if facts is None:
            raise InvalidSessionRequest(f"Unknown owner access key {access_key}")
        owner = facts.owner
        _check_acting_for(requester, owner)

        if facts.live_session_id is not None:
            if not action.reuse_if_exists:
                raise SessionAlreadyExists(
                    f"You already have a live session named {name!r}",
                    data={"existingSessionId": str(facts.live_session_id)},
                )
            existing = await self._sessions.get(facts.live_session_id)
            if existing is not None:
                return CreateSessionResult(existing.id, existing.name, existing.status, False, [])

        domain_name = action.domain_name or owner.domain_name
        if domain_name != owner.domain_name:
            raise InvalidSessionRequest(
                f"The owner belongs to domain {owner.domain_name!r}, not {domain_name!r}"
            )
        project = facts.project
        if project is None or not project.is_active:
            raise InvalidSessionRequest(
                f"No active project {action.group_name!r} in domain {domain_name!r}"
            )
        if owner.role != "superadmin" and not facts.is_member:
            raise InvalidSessionRequest(
                f"The user {owner.email} is not a member of the project {project.name!r}"
            )
        resource_group = _pick_resource_group(facts.resource_groups, action.scaling_group)
        allowed_types = resource_group.scheduler_opts.get("allowed_session_types")
        if allowed_types and action.session_type.value not in allowed_types:
            raise InvalidSessionRequest(
                f"The resource group {resource_group.name!r} does not allow "
                f"{action.session_type.value} sessions"
            )

        vfolder_mounts: list[VFolderMount] = []
        if not action.mounts.empty:
            if self._mounts is None:
                raise InvalidSessionRequest("This manager cannot mount virtual folders")
            vfolder_mounts = await self._mounts.resolve_mounts(
                owner=_as_user(requester, owner), request=action.mounts
            )

        image = await self._images.resolve(action.image, action.architecture)
        self._images.check_allowed(domain_name, image, facts.allowed_registries)
        slots = apply_image_minimums(
            parse_resources(action.resources), self._images.minimum_slots(image), DEFAULT_SLOTS
        )
        self._check_hard_limits(owner, project, facts.quota, slots, action.cluster_size)
        now = self._clock()
        starts_at = parse_starts_at(action.starts_at, now)
        dependencies = await self._resolve_dependencies(action, owner)
        session_id = uuid.uuid4()
        kernels = [
            KernelSpec(
                kernel_id=uuid.uuid4(),
                cluster_role=role,
                cluster_idx=idx,
                local_rank=rank,
                cluster_hostname=hostname,
                image=image.canonical,
                image_id=image.id,
                architecture=image.architecture,
                registry=image.registry_name,
                requested_slots=dict(slots),
                resource_opts=dict(action.resource_opts),
                preopen_ports=list(action.preopen_ports),
            )
            for role, idx, rank, hostname in cluster_layout(
                action.cluster_mode, action.cluster_size
            )
        ]
        spec = SessionSpec(
            session_id=session_id,
            creation_id=new_creation_id(),
            name=name,
            session_type=action.session_type,
            priority=action.priority if action.priority is not None else 10,
            cluster_mode=action.cluster_mode,
            cluster_size=action.cluster_size,
            resource_group_id=resource_group.id,
            scaling_group_name=resource_group.name,
            domain_name=domain_name,
            domain_id=owner.domain_id,
            group_id=project.id,
            user_uuid=owner.user_uuid,
            access_key=owner.access_key,
            tag=action.tag,
            environ=dict(action.environ),
            bootstrap_script=action.bootstrap_script,
            startup_command=action.startup_command,
            callback_url=action.callback_url,
            requested_starts_at=starts_at,
            batch_timeout=action.batch_timeout,
            designated_agent_ids=action.agent_list,
            dependencies=dependencies,
            kernels=kernels,
            vfolder_mounts=vfolder_mounts,
        )
        await self._sessions.enqueue(spec)
        self._on_enqueued(spec)

        status = SessionStatus.PENDING
        if not action.enqueue_only:
            timeout = (
                float(action.max_wait_seconds)
                if action.max_wait_seconds > 0
                else DEFAULT_CREATE_WAIT
            )
            targets = {SessionStatus.RUNNING, *SESSION_TERMINAL_STATUSES}
            status = await self._waiter.wait(session_id, targets, timeout) or status
        service_ports: list[dict[str, Any]] = []
        if status == SessionStatus.RUNNING:
            running = await self._sessions.get(session_id)
            main = running.main_kernel if running else None
            service_ports = list(main.service_ports or []) if main else []
        return CreateSessionResult(session_id, name, status, True, service_ports)

    def _check_hard_limits(
        self,
        owner: SessionOwner,
        project: ProjectRef,
        state: QuotaState,
        per_kernel: Mapping[str, Decimal],
        cluster_size: int,
    ) -> None:
        """Refuse what waiting could never fix: see `services/quota/limits.py`."""
        requested = {name: amount * cluster_size for name, amount in per_kernel.items()}
        refusal = admission_refusal(
            requested=requested,
            cluster_size=cluster_size,
            limits=AdmissionLimits(
                total_resource_slots=owner.total_resource_slots,
                default_for_unspecified=owner.default_for_unspecified,
                max_containers_per_session=owner.max_containers_per_session,
                max_pending_session_count=owner.max_pending_session_count,
                max_pending_session_resource_slots=owner.max_pending_session_resource_slots,
                project_slots=state.project_slots,
                domain_slots=state.domain_slots,
            ),
            pending=PendingUsage(session_count=state.pending_count, slots=state.pending_slots),
            project_name=project.name,
            domain_name=project.domain_name,
        )
        if refusal is not None:
            raise QuotaExceeded(refusal)

    async def _resolve_dependencies(
        self, action: CreateSessionAction, owner: SessionOwner
    ) -> list[uuid.UUID]:
        resolved: list[uuid.UUID] = []
        for reference in action.dependencies:
            matches = await self._sessions.match(str(reference), access_key=owner.access_key)
            if not matches:
                raise InvalidSessionRequest(f"Unknown dependency session {reference!r}")
            resolved.append(matches[0].id)
        return resolved

    # --- read ---------------------------------------------------------------------------------

    async def get_info(self, action: GetSessionInfoAction) -> SessionRecord:
        return await self._find(action)

    async def get_by_id(self, action: GetSessionByIdAction) -> SessionRecord | None:
        record = await self._sessions.get(action.session_id)
        if record is None or not _can_see(action.requester, record):
            return None
        return record

    async def get_many_by_ids(self, action: GetSessionsByIdsAction) -> list[SessionRecord | None]:
        found = {r.id: r for r in await self._sessions.get_many(action.session_ids)}
        return [
            record if record is not None and _can_see(action.requester, record) else None
            for record in (found.get(sid) for sid in action.session_ids)
        ]

    async def list_sessions(self, action: ListSessionsAction) -> tuple[list[SessionRecord], int]:
        requester = action.requester
        access_key = action.access_key
        domain_name: str | None = None
        if requester.role == "superadmin":
            pass
        elif requester.role == "admin":
            domain_name = requester.domain_name
        else:
            access_key = requester.access_key
        return await self._sessions.list_sessions(
            statuses=action.statuses,
            access_key=access_key,
            domain_name=domain_name,
            group_id=action.group_id,
            user_uuid=None,
            limit=action.limit,
            offset=action.offset,
            expression=action.filter,
            order=action.order,
        )

    # --- lifecycle ----------------------------------------------------------------------------

    async def destroy(self, action: DestroySessionAction) -> SessionRecord:
        session = await self._find(action, live_only=True)
        await self._runtime.terminate(session, reason="user-requested", forced=action.forced)
        return await self._sessions.get(session.id) or session

    async def rename(self, action: RenameSessionAction) -> None:
        session = await self._find(action)
        new_name = validate_session_name(action.new_name)
        if session.status in SESSION_TERMINAL_STATUSES:
            raise SessionNotRunning("A finished session cannot be renamed")
        await self._sessions.rename(session.id, new_name)

    async def get_logs(self, action: GetSessionLogsAction) -> str:
        session = await self._find(action)
        return await self._runtime.get_logs(session, action.kernel_id)

    async def restart(self, action: RestartSessionAction) -> None:
        session = await self._require_running(action)
        await self._runtime.restart(session)

    async def interrupt(self, action: InterruptSessionAction) -> dict[str, Any]:
        session = await self._require_running(action)
        return await self._runtime.interrupt(session)

    async def complete(self, action: CompleteCodeAction) -> Any:
        session = await self._require_running(action)
        return await self._runtime.complete(session, action.code, action.options)

    async def execute(self, action: ExecuteCodeAction) -> dict[str, Any]:
        session = await self._require_running(action)
        return await self._runtime.execute(
            session, action.run_id, action.mode, action.code, action.options
        )

    # --- files in the main container ------------------------------------------------------------

    async def list_files(self, action: ListSessionFilesAction) -> dict[str, Any]:
        session = await self._require_running(action)
        return await self._runtime.list_files(session, action.path)

    async def upload_files(self, action: UploadSessionFilesAction) -> None:
        if len(action.files) > MAX_TRANSFER_FILES:
            raise InvalidSessionRequest(f"Upload at most {MAX_TRANSFER_FILES} files at once")
        for filename, data in action.files:
            if len(data) > MAX_UPLOAD_BYTES:
                raise InvalidSessionRequest(
                    f"{filename!r} is larger than {MAX_UPLOAD_BYTES} bytes: "
                    "use a virtual folder for large files"
                )
        session = await self._require_running(action)
        await self._runtime.upload_files(session, action.files)

    async def download_files(self, action: DownloadSessionFilesAction) -> list[bytes]:
        if not action.paths:
            raise InvalidSessionRequest("Name at least one file to download")
        if len(action.paths) > MAX_TRANSFER_FILES:
            raise InvalidSessionRequest(f"Download at most {MAX_TRANSFER_FILES} files at once")
        session = await self._require_running(action)
        return await self._runtime.download_files(session, action.paths)

    async def download_single(self, action: DownloadSessionFileAction) -> bytes:
        session = await self._require_running(action)
        return await self._runtime.download_single(session, action.path)

    async def _require_running(self, action: SessionRefAction) -> SessionRecord:
        session = await self._find(action)
        main = session.main_kernel
        if (
            session.status != SessionStatus.RUNNING
            or main is None
            or main.status != KernelStatus.RUNNING
        ):
            raise SessionNotRunning(
                f"The session {session.name!r} is {session.status.name}, not RUNNING"
            )
        if self._on_access is not None:
            await self._on_access(session.id)
        return session


def _check_acting_for(requester: AuthenticatedUser, owner: SessionOwner) -> None:
    """Only administrators act on other users' sessions: superadmins on anyone's, admins on
    those of their own domain."""
    if owner.access_key == requester.access_key:
        return
    same_domain = owner.domain_name == requester.domain_name
    if not (requester.role == "superadmin" or (requester.role == "admin" and same_domain)):
        raise PermissionDenied("Only administrators can act on other users' sessions")


def _pick_resource_group(
    open_groups: list[ResourceGroupRef], requested: str | None
) -> ResourceGroupRef:
    """The requested resource group if it is open to the owner, else `default` or the first."""
    if requested:
        for group in open_groups:
            if group.name == requested:
                return group
        raise InvalidSessionRequest(
            f"The resource group {requested!r} is not available to you "
            f"(allowed: {', '.join(g.name for g in open_groups) or 'none'})"
        )
    if not open_groups:
        raise InvalidSessionRequest("No resource group is available to you")
    by_name = {g.name: g for g in open_groups}
    return by_name.get("default", open_groups[0])


def _as_user(requester: AuthenticatedUser, owner: SessionOwner) -> AuthenticatedUser:
    """The session's owner as a caller: the requester itself, or (an admin acting for someone)
    the owner's own keypair and role."""
    if requester.access_key == owner.access_key:
        return requester
    return AuthenticatedUser(
        access_key=owner.access_key,
        is_admin=owner.role in ("admin", "superadmin"),
        resource_policy=owner.keypair_resource_policy or "",
        rate_limit=0,
        user_uuid=owner.user_uuid,
        email=owner.email,
        role=owner.role,
        domain_name=owner.domain_name,
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _can_see(user: AuthenticatedUser, session: SessionRecord) -> bool:
    if user.role == "superadmin":
        return True
    if user.role == "admin":
        return session.domain_name == user.domain_name
    return session.access_key == user.access_key
