"""Run the real storage proxy (backend.ai-storage-proxy 26.9.6 from .venvs/storage-proxy) for tests.

    async with running_storage_proxy(
        workdir=tmp_path, etcd_addr="127.0.0.1:8121", namespace=ns, redis_port=port,
    ) as proxy:
        proxy.manager_api, proxy.client_api, proxy.secret, proxy.host  # "local:volume1"
        proxy.volume_path                                              # the vfs volume's directory
        ...

The proxy gets free ports (client API, manager API, internal API, aiomonitor), a volume
directory under `workdir`, and its own process group (`stop()`/`kill()` reach every process).
It reads Redis from etcd (`config/redis/addr`, written when `redis_port` is given), and
`running_storage_proxy` writes the `volumes/...` tree that points a manager at it into the
same namespace (and removes it afterwards). Use a private Redis (tests/redis_server.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ai.backend.manager.clients.etcd import EtcdClient

REPO_ROOT = Path(__file__).resolve().parent.parent
STORAGE_PROXY_VENV = Path(
    os.environ.get("BACKEND_TEST_STORAGE_PROXY_VENV", REPO_ROOT / ".venvs" / "storage-proxy")
)
STORAGE_PROXY_PYTHON = STORAGE_PROXY_VENV / "bin" / "python"


def _load_render() -> ModuleType:
    path = REPO_ROOT / "configs" / "storage-proxy" / "render.py"
    spec = importlib.util.spec_from_file_location("storage_proxy_config_render", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


render = _load_render()


def storage_proxy_venv_available() -> bool:
    return STORAGE_PROXY_PYTHON.is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host, int(port)


@dataclass
class StorageProxy:
    """One storage proxy process tree; `start()` is idempotent while it runs."""

    workdir: Path
    spec: Any  # render.ProxySpec
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def manager_api(self) -> str:
        return str(self.spec.manager_api)

    @property
    def client_api(self) -> str:
        return str(self.spec.client_api)

    @property
    def secret(self) -> str:
        return str(self.spec.manager_secret)

    @property
    def name(self) -> str:
        return str(self.spec.proxy_name)

    @property
    def volume(self) -> str:
        return str(self.spec.volume_name)

    @property
    def host(self) -> str:
        """The folder host naming the proxy's volume: `proxy:volume`."""
        return str(self.spec.default_host)

    @property
    def volume_path(self) -> Path:
        return Path(self.spec.volume_path).resolve()

    @property
    def log_path(self) -> Path:
        return self.workdir / "storage-proxy.log"

    def volumes_tree(self) -> dict[str, object]:
        tree: dict[str, object] = self.spec.volumes_tree()
        return tree

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.alive():
            return
        # The proxy has its own venv and reads BACKEND_* overrides: pass neither ours.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKEND_", "PYTHON"))}
        env["PYTHONUNBUFFERED"] = "1"
        with self.log_path.open("ab") as log:
            log.write(f"--- starting the storage proxy at {time.ctime()}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [
                    str(STORAGE_PROXY_PYTHON),
                    "-m",
                    "ai.backend.storage.server",
                    "-f",
                    str(self.workdir / "storage-proxy.toml"),
                ],
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def _group_alive(self) -> bool:
        if self.process is None:
            return False
        self.process.poll()
        try:
            os.killpg(self.process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def _wait_group_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._group_alive():
                return True
            time.sleep(0.05)
        return not self._group_alive()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM the process group, SIGKILL after `timeout`."""
        if self.process is None:
            return
        self._signal_group(signal.SIGTERM)
        if not self._wait_group_gone(timeout):
            self._signal_group(signal.SIGKILL)
            self._wait_group_gone(5.0)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1.0)

    def kill(self) -> None:
        """SIGKILL the whole process group (a crash)."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self._wait_group_gone(5.0)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1.0)

    async def astop(self, timeout: float = 15.0) -> None:
        await asyncio.to_thread(self.stop, timeout)

    async def akill(self) -> None:
        await asyncio.to_thread(self.kill)

    def answers(self) -> bool:
        """True when the manager API answers `GET /` (no secret needed for it)."""
        try:
            with urllib.request.urlopen(self.manager_api + "/", timeout=1) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    async def wait_until_answers(self, seconds: float = 60.0) -> None:
        """Poll the manager API until it answers; fail early (with the log) if the proxy exits."""
        deadline = time.monotonic() + seconds
        while True:
            if not self.alive():
                raise RuntimeError(f"the storage proxy exited:\n{self.log_tail()}")
            if await asyncio.to_thread(self.answers):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the storage proxy did not answer at {self.manager_api} within "
                    f"{seconds:g}s:\n{self.log_tail()}"
                )
            await asyncio.sleep(0.2)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def prepare_storage_proxy(
    *,
    workdir: Path,
    etcd_addr: str,
    namespace: str,
    volume_path: Path | None = None,
    proxy_name: str = "local",
    volume_name: str = "volume1",
    log_level: str = "INFO",
) -> StorageProxy:
    """Render the proxy's working directory on free ports; the proxy is not started yet."""
    if not storage_proxy_venv_available():
        raise RuntimeError(
            f"{STORAGE_PROXY_PYTHON} is missing: run `scripts/make-peer-venv.sh storage-proxy`"
        )
    etcd_host, etcd_port = _split_addr(etcd_addr)
    client, manager, internal, termui, webui = (_free_port() for _ in range(5))
    spec = render.ProxySpec(
        namespace=namespace,
        etcd_host=etcd_host,
        etcd_port=etcd_port,
        client_port=client,
        manager_port=manager,
        internal_port=internal,
        termui_port=termui,
        webui_port=webui,
        volume_path=(volume_path or workdir / "vfroot" / proxy_name / volume_name).resolve(),
        proxy_name=proxy_name,
        volume_name=volume_name,
        node_id=f"i-storage-proxy-{proxy_name}",
        manager_secret=f"test-storage-secret-{os.urandom(8).hex()}",
        session_secret=f"test-storage-session-{os.urandom(8).hex()}",
        log_level=log_level,
    )
    proxy_dir = render.render_workdir(spec, workdir / "storage-proxy")
    return StorageProxy(workdir=proxy_dir, spec=spec)


async def write_volumes_config(
    etcd_addr: str, namespace: str, proxy: StorageProxy, *, replace: bool = True
) -> None:
    """Point the namespace's managers at `proxy`: the `volumes/...` tree (see etcd.md)."""
    host, port = _split_addr(etcd_addr)
    etcd = EtcdClient(host=host, port=port, namespace=namespace)
    if replace:
        await etcd.delete_prefix("volumes")
    await etcd.put_prefix("volumes", proxy.volumes_tree())


async def remove_volumes_config(etcd_addr: str, namespace: str) -> None:
    host, port = _split_addr(etcd_addr)
    await EtcdClient(host=host, port=port, namespace=namespace).delete_prefix("volumes")


@contextlib.asynccontextmanager
async def running_storage_proxy(
    *,
    workdir: Path,
    etcd_addr: str,
    namespace: str,
    redis_port: int | None = None,
    volume_path: Path | None = None,
    write_config: bool = True,
    start_timeout: float = 60.0,
) -> AsyncIterator[StorageProxy]:
    """A started proxy that answers, with the namespace's `volumes/...` pointing at it; it is
    stopped (and the keys removed) afterwards. `redis_port` sets `config/redis/addr` first."""
    if redis_port is not None:
        host, port = _split_addr(etcd_addr)
        etcd = EtcdClient(host=host, port=port, namespace=namespace)
        await etcd.put("config/redis/addr", f"127.0.0.1:{redis_port}")
    proxy = prepare_storage_proxy(
        workdir=workdir, etcd_addr=etcd_addr, namespace=namespace, volume_path=volume_path
    )
    proxy.start()
    try:
        await proxy.wait_until_answers(start_timeout)
        if write_config:
            await write_volumes_config(etcd_addr, namespace, proxy)
        yield proxy
    finally:
        await proxy.astop()
        if write_config:
            with contextlib.suppress(Exception):
                await remove_volumes_config(etcd_addr, namespace)


def require_storage_proxy_venv() -> None:
    """Skip the test without the proxy's venv, unless the run says it must be there (CI, or
    BACKEND_TEST_STORAGE_PROXY_VENV set by scripts/run-tests.sh): then fail."""
    import pytest

    if storage_proxy_venv_available():
        return
    if os.environ.get("CI") or "BACKEND_TEST_STORAGE_PROXY_VENV" in os.environ:
        pytest.fail(f"the official storage proxy venv is missing at {STORAGE_PROXY_VENV}")
    pytest.skip("no storage proxy venv (run `scripts/make-peer-venv.sh storage-proxy`)")
