"""Shared test fixtures: throwaway databases, an etcd namespace and a running manager.

Servers are the real ones (PostgreSQL, Redis, etcd) that `make test` brings up; their
addresses come from the BACKEND_TEST_* variables `scripts/run-tests.sh` exports.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.config.local import (
    DatabaseConfig,
    EtcdConfig,
    HostPort,
    ManagerLocalConfig,
    ManagerSection,
)
from ai.backend.manager.repositories.db import create_engine
from tests.redis_server import private_redis

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CONFIGS = REPO_ROOT / "sample-configs"

PG_HOST = os.environ.get("BACKEND_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BACKEND_TEST_PG_PORT", "5432"))
_etcd_host, _, _etcd_port = os.environ.get("BACKEND_TEST_ETCD_ADDR", "127.0.0.1:8121").rpartition(
    ":"
)
ETCD_ADDR = HostPort(host=_etcd_host, port=int(_etcd_port))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique_name(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"


async def _create_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def database_config(name: str) -> DatabaseConfig:
    return DatabaseConfig(addr=HostPort(host=PG_HOST, port=PG_PORT), name=name, user="postgres")


@pytest_asyncio.fixture
async def empty_database(pg_admin_dsn: str) -> AsyncIterator[DatabaseConfig]:
    """A fresh database with no schema, dropped after the test."""
    name = unique_name("test_mgr_empty")
    await _create_database(pg_admin_dsn, name)
    try:
        yield database_config(name)
    finally:
        await _drop_database(pg_admin_dsn, name)


@contextlib.asynccontextmanager
async def sample_database(admin_dsn: str) -> AsyncIterator[DatabaseConfig]:
    """A new database with the schema and the sample fixtures loaded; dropped afterwards."""
    from ai.backend.manager.repositories.schema import schema_oneshot
    from ai.backend.manager.services.fixture import populate_fixture_file

    name = unique_name("test_mgr")
    await _create_database(admin_dsn, name)
    config = database_config(name)
    engine = create_engine(config)
    try:
        await schema_oneshot(engine)
        for fixture in (
            "example-keypairs.json",
            "example-resource-presets.json",
            "example-images.json",
        ):
            await populate_fixture_file(engine, SAMPLE_CONFIGS / fixture)
        yield config
    finally:
        await engine.dispose()
        await _drop_database(admin_dsn, name)


@pytest_asyncio.fixture(scope="session")
async def schema_database(pg_admin_dsn: str) -> AsyncIterator[DatabaseConfig]:
    """One database per test session with the schema and the sample fixtures loaded."""
    async with sample_database(pg_admin_dsn) as config:
        yield config


@pytest_asyncio.fixture(scope="session")
async def db_engine(schema_database: DatabaseConfig) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(schema_database)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A Redis server of the test session's own: managers started by tests consume the event
    stream, and must not compete with a developer's manager (or agents) on the shared Redis."""
    with private_redis(tmp_path_factory.mktemp("redis")) as port:
        yield port


@contextlib.asynccontextmanager
async def private_namespace(redis_port: int) -> AsyncIterator[str]:
    """A new etcd namespace with `config/redis/addr` set; removed afterwards."""
    namespace = unique_name("test")
    client = EtcdClient(host=ETCD_ADDR.host, port=ETCD_ADDR.port, namespace=namespace)
    await client.put("config/redis/addr", f"127.0.0.1:{redis_port}")
    try:
        yield namespace
    finally:
        await client.delete_prefix("")


@pytest_asyncio.fixture(scope="session")
async def etcd_namespace(redis_port: int) -> AsyncIterator[str]:
    async with private_namespace(redis_port) as namespace:
        yield namespace


@pytest.fixture
def etcd(etcd_namespace: str) -> EtcdClient:
    return EtcdClient(host=ETCD_ADDR.host, port=ETCD_ADDR.port, namespace=etcd_namespace)


def make_manager_config(db: DatabaseConfig, namespace: str) -> ManagerLocalConfig:
    return ManagerLocalConfig(
        etcd=EtcdConfig(namespace=namespace, addr=ETCD_ADDR),
        db=db,
        manager=ManagerSection(
            id=unique_name("i-test"),
            heartbeat_timeout=6.0,
            scheduler_interval=0.5,
            service_addr=HostPort(host="127.0.0.1", port=free_port()),
            internal_addr=HostPort(host="127.0.0.1", port=free_port()),
        ),
    )


@pytest.fixture(scope="session")
def manager_config(schema_database: DatabaseConfig, etcd_namespace: str) -> ManagerLocalConfig:
    return make_manager_config(schema_database, etcd_namespace)


def write_manager_toml(config: ManagerLocalConfig, path: Path) -> Path:
    """Write a manager.toml equivalent to `config` (for tests that run the CLI)."""
    svc, internal = config.manager.service_addr, config.manager.internal_addr
    text = f"""
[etcd]
namespace = {json.dumps(config.etcd.namespace)}
addr = {{ host = {json.dumps(config.etcd.addr.host)}, port = {config.etcd.addr.port} }}

[db]
addr = {{ host = {json.dumps(config.db.addr.host)}, port = {config.db.addr.port} }}
name = {json.dumps(config.db.name)}
user = {json.dumps(config.db.user)}
password = {json.dumps(config.db.password)}

[manager]
id = {json.dumps(config.manager.id)}
service-addr = {{ host = {json.dumps(svc.host)}, port = {svc.port} }}
internal-addr = {{ host = {json.dumps(internal.host)}, port = {internal.port} }}

[logging]
level = "INFO"
"""
    path.write_text(text)
    return path


@pytest.fixture
def tmp_cwd(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)
