"""The manager process: build the root context once, serve the API and metrics, stop in order.

Everything the manager uses is created here and passed down through constructors; nothing
else in the package opens connections or holds module-level state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace

import sqlalchemy as sa
from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.actions.processors import Processors, Services, build_processors
from ai.backend.manager.api.app import build_api_app
from ai.backend.manager.api.context import APIContext
from ai.backend.manager.api.middlewares.request_id import RequestIdLogFilter
from ai.backend.manager.bgtask import (
    BackgroundTaskRegistry,
    BgtaskEventHub,
    TaskEvents,
    register_bgtask_relays,
)
from ai.backend.manager.clients.agent.pool import AgentClientPool
from ai.backend.manager.clients.agent.settings import AgentRPCSettings
from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.clients.redis.connection import RedisConnection, close_redis, open_redis
from ai.backend.manager.clients.storage_proxy import StorageProxyPool, StorageProxySettings
from ai.backend.manager.config.local import ManagerLocalConfig
from ai.backend.manager.config.shared import RedisConfig, parse_redis_config
from ai.backend.manager.defs import (
    REDIS_IMAGE_DB,
    REDIS_LIVE_DB,
    REDIS_RATE_LIMIT_DB,
    REDIS_STATISTICS_DB,
    REDIS_STREAM_DB,
    REDIS_STREAM_LOCK_DB,
)
from ai.backend.manager.errors.config import ConfigurationError
from ai.backend.manager.event_dispatcher.dispatcher import EventDispatcher
from ai.backend.manager.event_dispatcher.handlers.agent import register_agent_event_handlers
from ai.backend.manager.event_dispatcher.handlers.session import (
    SessionEventHandlers,
    register_session_event_handlers,
)
from ai.backend.manager.event_dispatcher.handlers.vfolder_clone import (
    register_vfolder_clone_handlers,
)
from ai.backend.manager.event_dispatcher.producer import EventProducer
from ai.backend.manager.metrics.registry import ManagerMetrics
from ai.backend.manager.metrics.scheduler import SchedulerMetrics
from ai.backend.manager.metrics.server import build_metrics_app
from ai.backend.manager.repositories.agent.installed_images import (
    InstalledImagesReader,
    InstalledImagesRepository,
)
from ai.backend.manager.repositories.agent.last_seen import AgentLastSeen
from ai.backend.manager.repositories.agent.live_stat import AgentLiveStats
from ai.backend.manager.repositories.agent.repository import AgentRepository
from ai.backend.manager.repositories.db import create_engine
from ai.backend.manager.repositories.idle.repository import IdleRepository
from ai.backend.manager.repositories.image.repository import ImageRepository
from ai.backend.manager.repositories.keypair import KeypairCache, KeypairRepository
from ai.backend.manager.repositories.resource_preset.cache import CheckPresetsCache
from ai.backend.manager.repositories.scheduler import SchedulerRepository
from ai.backend.manager.repositories.session import SessionRepository
from ai.backend.manager.repositories.session.lookup import SessionLookupRepository
from ai.backend.manager.services.agent.liveness import AgentLivenessChecker
from ai.backend.manager.services.agent.processors import build_agent_processors
from ai.backend.manager.services.agent.service import AgentService
from ai.backend.manager.services.announcement.service import AnnouncementService
from ai.backend.manager.services.auth.service import AuthService
from ai.backend.manager.services.auth.usage import KeypairUsageRecorder
from ai.backend.manager.services.deps import AdminDeps
from ai.backend.manager.services.idle.checker import IdleChecker, SessionAccessTracker
from ai.backend.manager.services.image.service import ImageService
from ai.backend.manager.services.quota.ratelimit import RateLimiter
from ai.backend.manager.services.session.event_hub import (
    SessionEventHub,
    register_session_event_relays,
)
from ai.backend.manager.services.session.images import SessionImages
from ai.backend.manager.services.session.notifier import SessionChangeNotifier
from ai.backend.manager.services.session.service import SessionService
from ai.backend.manager.services.session.waiter import SessionStatusWaiter
from ai.backend.manager.services.vfolder.mounts import SessionMountResolver
from ai.backend.manager.services.vfolder.processors import build_vfolder_service
from ai.backend.manager.services.vfolder.reconciler import VFolderReconciler
from ai.backend.manager.services.vfolder_sharing.processors import build_vfolder_sharing_service
from ai.backend.manager.services.vfolder_sharing.reconciler import CloneReconciler
from ai.backend.manager.sokovan.coordinator import SchedulerTimings, SchedulingCoordinator
from ai.backend.manager.sokovan.launcher import SessionLauncher

log = logging.getLogger(__name__)

MANAGER_STATUS_KEY = "manager/status"


def manager_node_key(manager_id: str) -> str:
    return f"nodes/manager/{manager_id}"


@dataclass(frozen=True)
class RootContext:
    """Every long-lived dependency of one manager process."""

    config: ManagerLocalConfig
    etcd: EtcdClient
    redis_config: RedisConfig
    redis_live: RedisConnection
    db: AsyncEngine
    metrics: ManagerMetrics
    auth: AuthService
    keypair_usage: KeypairUsageRecorder
    processors: Processors
    events: EventProducer
    dispatcher: EventDispatcher
    agent_pool: AgentClientPool
    storage_proxies: StorageProxyPool
    sessions: SessionRepository
    session_changes: SessionChangeNotifier
    launcher: SessionLauncher
    coordinator: SchedulingCoordinator
    liveness: AgentLivenessChecker
    session_events: SessionEventHub
    rate_limiter: RateLimiter
    idle_checker: IdleChecker
    # background tasks run by this process, and the events of every task for their followers
    bgtasks: BackgroundTaskRegistry
    task_events: TaskEvents
    clone_reconciler: CloneReconciler
    vfolder_reconciler: VFolderReconciler


async def _check_database(engine: AsyncEngine, config: ManagerLocalConfig) -> None:
    where = f"{config.db.addr}/{config.db.name}"
    try:
        async with engine.connect() as conn:
            has_schema = await conn.scalar(sa.text("SELECT to_regclass('public.keypairs')"))
    except (OSError, OperationalError, DBAPIError) as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise ConfigurationError(f"cannot connect to PostgreSQL at {where}: {reason}") from None
    if has_schema is None:
        raise ConfigurationError(
            f"the database {where} has no schema; run `backend.ai mgr schema oneshot` first"
        )


async def _check_redis(redis: RedisConnection, config: RedisConfig) -> None:
    try:
        await redis.ping()
    except (RedisError, OSError) as e:
        raise ConfigurationError(f"cannot reach Redis at {config.addr}: {e}") from None


@asynccontextmanager
async def root_context(config: ManagerLocalConfig) -> AsyncIterator[RootContext]:
    """Open every connection, check it answers, and close all of it in reverse order."""
    async with AsyncExitStack() as stack:
        etcd = EtcdClient(
            host=config.etcd.addr.host,
            port=config.etcd.addr.port,
            namespace=config.etcd.namespace,
            user=config.etcd.user,
            password=config.etcd.password,
            timeout=config.etcd.timeout,
        )
        redis_config = parse_redis_config(
            await etcd.get_prefix("config/redis"), namespace=config.etcd.namespace
        )
        redis_live = open_redis(redis_config, REDIS_LIVE_DB)
        stack.push_async_callback(close_redis, redis_live)
        await _check_redis(redis_live, redis_config)

        # The per-keypair request windows: Redis DB 1, keys prefixed by the etcd namespace so
        # managers of one cluster share them and separate clusters (or test runs) do not.
        redis_rate_limit = open_redis(redis_config, REDIS_RATE_LIMIT_DB)
        stack.push_async_callback(close_redis, redis_rate_limit)
        rate_limiter = RateLimiter(redis_rate_limit, key_prefix=f"{config.etcd.namespace}:")

        engine = create_engine(config.db)
        stack.push_async_callback(engine.dispose)
        await _check_database(engine, config)

        metrics = ManagerMetrics()
        manager_id = config.manager.id
        keypair_repository = KeypairRepository(engine)
        keypair_usage = KeypairUsageRecorder(keypair_repository)
        keypair_cache = KeypairCache(redis_live, ttl=config.manager.keypair_cache_ttl)
        keypair_cache.start()
        stack.push_async_callback(keypair_cache.stop)
        check_presets_cache = CheckPresetsCache(
            redis_live, ttl=config.manager.check_presets_cache_ttl
        )
        auth = AuthService(
            keypairs=keypair_repository,
            cache=keypair_cache,
            usage=keypair_usage,
        )

        # The event bus: the stream and the broadcast channel live in Redis DB 4.
        redis_stream = open_redis(redis_config, REDIS_STREAM_DB)
        stack.push_async_callback(close_redis, redis_stream)
        redis_lock = open_redis(redis_config, REDIS_STREAM_LOCK_DB)
        stack.push_async_callback(close_redis, redis_lock)
        events = EventProducer(redis_stream)
        dispatcher = EventDispatcher(redis_stream, node_id=manager_id, metrics=metrics)

        agent_pool = AgentClientPool(
            AgentRPCSettings(keepalive_timeout=config.manager.agent_rpc_keepalive_timeout)
        )
        stack.push_async_callback(agent_pool.close)

        # Storage proxies: read from etcd's `volumes/` on demand (no restart to add one).
        storage_proxies = StorageProxyPool(etcd, StorageProxySettings())
        stack.push_async_callback(storage_proxies.close)

        # Sessions: the repository, the launcher that talks to agents, the scheduling loop.
        sessions = SessionRepository(engine)
        images = SessionImages(ImageService(ImageRepository(engine)))
        waiter = SessionStatusWaiter(sessions.get_status)
        notifier = SessionChangeNotifier(
            sessions=sessions, events=events, waiter=waiter, source=manager_id
        )
        launcher = SessionLauncher(
            sessions=sessions, agents=agent_pool, images=images, on_changes=notifier.publish
        )
        stack.push_async_callback(launcher.close)
        coordinator = SchedulingCoordinator(
            scheduler=SchedulerRepository(engine),
            sessions=sessions,
            launcher=launcher,
            on_changes=notifier.publish,
            metrics=SchedulerMetrics(metrics.registry),
            timings=SchedulerTimings(
                interval=config.manager.scheduler_interval,
                prepare_timeout=config.manager.session_prepare_timeout,
                create_timeout=config.manager.session_create_timeout,
                terminate_timeout=config.manager.session_terminate_timeout,
            ),
        )
        notifier.on_resources_freed(coordinator.wake)
        notifier.on_changed(check_presets_cache.invalidate)
        access_tracker = SessionAccessTracker(redis_live)
        idle_checker = IdleChecker(
            repository=IdleRepository(engine),
            tracker=access_tracker,
            sessions=sessions,
            terminator=launcher,
            etcd=etcd,
        )
        admin_deps = AdminDeps(
            config=config,
            db=engine,
            etcd=etcd,
            keypair_cache=keypair_cache,
            check_presets_cache=check_presets_cache,
            storage_proxies=storage_proxies,
        )
        # Virtual folders, and the reconciler that finishes what a crash left half done.
        vfolder_service = build_vfolder_service(admin_deps)
        session_service = SessionService(
            sessions=sessions,
            lookup=SessionLookupRepository(engine),
            images=images,
            runtime=launcher,
            waiter=waiter,
            on_enqueued=notifier.enqueued,
            on_access=access_tracker.touch,
            mounts=SessionMountResolver(vfolder_service.resolve_mounts),
        )
        notifier.on_enqueued(coordinator.wake)
        register_session_event_handlers(dispatcher, SessionEventHandlers(launcher, sessions))
        session_events = SessionEventHub()
        register_session_event_relays(dispatcher, session_events)

        # Background tasks: ours publish through the producer; everyone's reach the hub.
        bgtasks = BackgroundTaskRegistry(events, source=manager_id)
        stack.push_async_callback(bgtasks.shutdown)
        bgtask_hub = BgtaskEventHub()
        register_bgtask_relays(dispatcher, bgtask_hub)
        task_events = TaskEvents(bgtask_hub, events)

        # Agents: registry from heartbeats, liveness, and what happens when one goes away.
        last_seen = AgentLastSeen(redis_live)
        # what agents report about their nodes lives in the statistics DB (0)
        redis_stat = open_redis(redis_config, REDIS_STATISTICS_DB)
        stack.push_async_callback(close_redis, redis_stat)
        redis_image = open_redis(redis_config, REDIS_IMAGE_DB)
        stack.push_async_callback(close_redis, redis_image)
        agent_service = AgentService(
            AgentRepository(engine),
            last_seen,
            events,
            etcd,
            heartbeat_timeout=config.manager.heartbeat_timeout,
            live_stats=AgentLiveStats(redis_stat),
            installed_images=(
                InstalledImagesReader(redis_image),
                InstalledImagesRepository(engine),
            ),
        )

        async def agent_gone(agent_id: str, status: object) -> None:
            agent_pool.invalidate(agent_id)
            await launcher.on_agent_gone(agent_id)

        async def agent_address_changed(agent_id: str) -> None:
            agent_pool.invalidate(agent_id)
            coordinator.wake()

        agent_service.add_gone_listener(agent_gone)
        agent_service.add_address_changed_listener(agent_address_changed)
        agent_service.add_availability_listener(check_presets_cache.invalidate)
        agent_processors = build_agent_processors(agent_service, metrics)
        register_agent_event_handlers(dispatcher, agent_processors)
        liveness = AgentLivenessChecker(
            last_seen,
            events,
            node_id=manager_id,
            heartbeat_timeout=config.manager.heartbeat_timeout,
            lock_redis=redis_lock,
            backlog_since=dispatcher.backlog_since,
        )

        # Image rescans run as background tasks (the registry exists only from here on).
        admin_deps = replace(admin_deps, bgtasks=bgtasks)
        # Sharing and clones (a clone is a background task following the proxy's copy).
        sharing_service = build_vfolder_sharing_service(admin_deps, bgtasks, task_events)
        services = Services(
            announcement=AnnouncementService(etcd),
            session=session_service,
            vfolder=vfolder_service,
            vfolder_sharing=sharing_service,
        )
        processors = build_processors(services, agent_processors, admin_deps, metrics)
        register_vfolder_clone_handlers(dispatcher, processors.vfolder_sharing)
        yield RootContext(
            config=config,
            etcd=etcd,
            redis_config=redis_config,
            redis_live=redis_live,
            db=engine,
            metrics=metrics,
            auth=auth,
            keypair_usage=keypair_usage,
            processors=processors,
            events=events,
            dispatcher=dispatcher,
            agent_pool=agent_pool,
            storage_proxies=storage_proxies,
            sessions=sessions,
            session_changes=notifier,
            launcher=launcher,
            coordinator=coordinator,
            liveness=liveness,
            session_events=session_events,
            rate_limiter=rate_limiter,
            idle_checker=idle_checker,
            bgtasks=bgtasks,
            task_events=task_events,
            clone_reconciler=CloneReconciler(sharing_service),
            vfolder_reconciler=VFolderReconciler(vfolder_service),
        )


async def _start_site(runner: web.AppRunner, host: str, port: int, what: str) -> None:
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, reuse_address=True).start()
    except OSError as e:
        raise ConfigurationError(
            f"cannot listen on {host}:{port} for the {what}: {e.strerror}"
        ) from None


@asynccontextmanager
async def running_manager(config: ManagerLocalConfig) -> AsyncIterator[RootContext]:
    """A fully started manager (API, metrics, etcd registration) until the block exits."""
    async with AsyncExitStack() as stack:
        root = await stack.enter_async_context(root_context(config))
        manager_cfg = config.manager

        api_runner = web.AppRunner(
            build_api_app(
                APIContext(
                    processors=root.processors,
                    auth=root.auth,
                    metrics=root.metrics,
                    rate_limiter=root.rate_limiter,
                ),
                root.session_events,
                task_events=root.task_events,
            ),
            access_log=None,
            shutdown_timeout=10.0,
        )
        stack.push_async_callback(api_runner.cleanup)
        metrics_runner = web.AppRunner(build_metrics_app(root.metrics), access_log=None)
        stack.push_async_callback(metrics_runner.cleanup)

        root.keypair_usage.start()
        stack.push_async_callback(root.keypair_usage.stop)
        await root.dispatcher.start()
        stack.push_async_callback(root.dispatcher.stop)
        root.coordinator.start()
        stack.push_async_callback(root.coordinator.stop)
        root.idle_checker.start()
        stack.push_async_callback(root.idle_checker.stop)
        root.liveness.start()
        stack.push_async_callback(root.liveness.stop)
        root.vfolder_reconciler.start()
        stack.push_async_callback(root.vfolder_reconciler.stop)
        root.clone_reconciler.start()
        stack.push_async_callback(root.clone_reconciler.stop)

        await _start_site(
            metrics_runner,
            manager_cfg.internal_addr.host,
            manager_cfg.internal_addr.port,
            "metrics",
        )
        await _start_site(
            api_runner, manager_cfg.service_addr.host, manager_cfg.service_addr.port, "API"
        )

        node_key = manager_node_key(manager_cfg.id)
        await root.etcd.put(node_key, "up")
        stack.push_async_callback(root.etcd.delete, node_key)
        if await root.etcd.get(MANAGER_STATUS_KEY) is None:
            await root.etcd.put(MANAGER_STATUS_KEY, "running")
        yield root


def _write_pid_file(config: ManagerLocalConfig) -> None:
    if config.manager.pid_file is not None:
        config.manager.pid_file.parent.mkdir(parents=True, exist_ok=True)
        config.manager.pid_file.write_text(str(os.getpid()))


def _remove_pid_file(config: ManagerLocalConfig) -> None:
    if config.manager.pid_file is not None:
        with contextlib.suppress(FileNotFoundError):
            config.manager.pid_file.unlink()


async def serve(config: ManagerLocalConfig) -> None:
    """Run until SIGINT or SIGTERM, then stop gracefully."""
    started = time.monotonic()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_manager(config):
        _write_pid_file(config)
        addr = config.manager.service_addr
        log.info(
            "manager %s serving the API on http://%s:%d and metrics on http://%s/metrics "
            "(started in %.2f s)",
            config.manager.id,
            addr.host,
            addr.port,
            config.manager.internal_addr,
            time.monotonic() - started,
        )
        try:
            await stop.wait()
        finally:
            log.info("manager %s stopping", config.manager.id)
            _remove_pid_file(config)


def setup_logging(config: ManagerLocalConfig, *, debug: bool = False) -> None:
    level = "DEBUG" if debug or config.debug.enabled else config.logging.level
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdLogFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root_logger = logging.getLogger()
    root_logger.handlers[:] = [handler]
    root_logger.setLevel(level)
    for name, pkg_level in config.logging.pkg_ns.items():
        logging.getLogger(name or None).setLevel(pkg_level)
