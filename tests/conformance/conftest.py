"""Run the unmodified official client (its own venv) against a manager subprocess."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from ai.backend.manager.config.local import DatabaseConfig, ManagerLocalConfig
from tests.agent_harness import (
    DummyAgent,
    agent_venv_available,
    start_dummy_agents,
    stop_all,
    wait_for_rpc,
)
from tests.conftest import (
    ETCD_ADDR,
    REPO_ROOT,
    make_manager_config,
    private_namespace,
    sample_database,
    write_manager_toml,
)
from tests.redis_server import private_redis
from tests.signing import ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY
from tests.storage_proxy_harness import (
    StorageProxy,
    require_storage_proxy_venv,
    running_storage_proxy,
)

CLIENT_VENV = Path(os.environ.get("BACKEND_TEST_CLIENT_VENV", REPO_ROOT / ".venvs" / "client"))
MANAGER_CLI = Path(sys.executable).parent / "backend.ai"


@dataclass(frozen=True)
class ClientRunner:
    endpoint: str
    workdir: Path

    def environment(
        self, access_key: str = ADMIN_ACCESS_KEY, secret_key: str = ADMIN_SECRET_KEY
    ) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("BACKEND_", "SORNA_"))
        }
        env.update(
            BACKEND_ENDPOINT=self.endpoint,
            BACKEND_ENDPOINT_TYPE="api",
            BACKEND_ACCESS_KEY=access_key,
            BACKEND_SECRET_KEY=secret_key,
            BACKEND_DOMAIN="default",
            BACKEND_GROUP="default",
            TERM="dumb",
            NO_COLOR="1",
        )
        return env

    def run(
        self,
        *args: str,
        access_key: str = ADMIN_ACCESS_KEY,
        secret_key: str = ADMIN_SECRET_KEY,
        timeout: float = 60,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the CLI; `input` answers its prompts (stdin is empty otherwise)."""
        env = self.environment(access_key, secret_key)
        return subprocess.run(
            [str(CLIENT_VENV / "bin" / "backend.ai"), *args],
            cwd=self.workdir,  # an empty directory: the client reads any .env above its cwd
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input if input is not None else "",
        )


def _wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the manager exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the manager did not answer on {url} within {timeout} s")


# The conformance suite gets a stack of its own (database, Redis server, etcd namespace), torn
# down when the package ends, so its manager and agent never meet the integration tests'.


@pytest.fixture(scope="package")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with private_redis(tmp_path_factory.mktemp("conformance-redis")) as port:
        yield port


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def etcd_namespace(redis_port: int) -> AsyncIterator[str]:
    async with private_namespace(redis_port) as namespace:
        yield namespace


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def schema_database(pg_admin_dsn: str) -> AsyncIterator[DatabaseConfig]:
    async with sample_database(pg_admin_dsn) as config:
        yield config


@pytest.fixture(scope="package")
def manager_config(schema_database: DatabaseConfig, etcd_namespace: str) -> ManagerLocalConfig:
    return make_manager_config(schema_database, etcd_namespace)


@pytest.fixture(scope="package")
def manager_process(
    manager_config: ManagerLocalConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`backend.ai mgr start-server` as a real subprocess; yields its endpoint URL."""
    workdir = tmp_path_factory.mktemp("manager")
    own_config = make_manager_config(manager_config.db, manager_config.etcd.namespace)
    config_path = write_manager_toml(own_config, workdir / "manager.toml")
    log_path = workdir / "manager.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [str(MANAGER_CLI), "mgr", "-f", str(config_path), "start-server"],
            cwd=workdir,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    svc = own_config.manager.service_addr
    endpoint = f"http://{svc.host}:{svc.port}"
    try:
        _wait_for_http(endpoint + "/", process)
        yield endpoint
    except RuntimeError as e:
        raise RuntimeError(f"{e}\n--- manager log ---\n{log_path.read_text()}") from None
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def dummy_agent(
    request: pytest.FixtureRequest,
    manager_process: str,
    schema_database: DatabaseConfig,
    etcd_namespace: str,
    redis_port: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DummyAgent]:
    """A real dummy agent of the test module's own, registered to the manager under test.

    The dummy backend enumerates no containers, so once a minute (from its start) it forgets
    every running kernel: a module gets a fresh agent, and with it a fresh minute."""
    if not agent_venv_available():
        if os.environ.get("CI") or "BACKEND_TEST_AGENT_VENV" in os.environ:
            pytest.fail("the official agent venv is missing (scripts/make-peer-venv.sh agent)")
        pytest.skip("no official agent venv (run `scripts/make-peer-venv.sh agent`)")
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    agents = asyncio.run(
        start_dummy_agents(
            1,
            workdir=tmp_path_factory.mktemp("agents"),
            etcd_addr=str(ETCD_ADDR),
            namespace=etcd_namespace,
            redis_port=redis_port,
            id_prefix=f"i-cf-{module}",
        )
    )
    try:
        asyncio.run(wait_for_rpc(agents[0]))
        asyncio.run(_wait_agent_status(schema_database, agents[0].id, alive=True))
        yield agents[0]
    finally:
        stop_all(agents)
        # gone for the manager too, so no later module's session is placed on it
        asyncio.run(_wait_agent_status(schema_database, agents[0].id, alive=False))


async def _wait_agent_status(
    db: DatabaseConfig, agent_id: str, *, alive: bool, timeout: float = 30.0
) -> None:
    conn = await asyncpg.connect(
        host=db.addr.host, port=db.addr.port, user=db.user, database=db.name
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = await conn.fetchval("SELECT status::text FROM agents WHERE id = $1", agent_id)
            if (status == "ALIVE") is alive:
                return
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    state = "ALIVE" if alive else "gone"
    raise TimeoutError(f"the manager did not see agent {agent_id} {state} within {timeout:g} s")


@pytest.fixture(scope="package")
def client(manager_process: str, tmp_path_factory: pytest.TempPathFactory) -> ClientRunner:
    if not (CLIENT_VENV / "bin" / "backend.ai").exists():
        if os.environ.get("CI") or "BACKEND_TEST_CLIENT_VENV" in os.environ:
            pytest.fail(f"the official client venv is missing at {CLIENT_VENV}")
        pytest.skip(f"no official client venv at {CLIENT_VENV} (run `make peers`)")
    return ClientRunner(endpoint=manager_process, workdir=tmp_path_factory.mktemp("client"))


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def storage_proxy(
    etcd_namespace: str, redis_port: int, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[StorageProxy]:
    """The real storage proxy for the conformance stack: volume `local:volume1` (the sample
    fixtures allow it everywhere) in a temp dir, `volumes/...` of the package's namespace
    pointing at it. The manager subprocess picks it up within its config cache's few seconds."""
    require_storage_proxy_venv()
    async with running_storage_proxy(
        workdir=tmp_path_factory.mktemp("conformance-storage-proxy"),
        etcd_addr=str(ETCD_ADDR),
        namespace=etcd_namespace,
        redis_port=redis_port,
    ) as proxy:
        yield proxy
