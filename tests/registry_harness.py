"""A private container registry (Debian's `docker-registry`) on a free port, and the image
pusher of `scripts/push-test-images.py`, for tests and benchmarks.

`scripts/registry-up.sh --install-only` installs the package (`make test` runs it); without the
binary, `require_registry_binary()` skips the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest

from tests.conftest import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
PUSH_SCRIPT = REPO_ROOT / "scripts" / "push-test-images.py"


def registry_binary() -> str | None:
    return shutil.which("docker-registry") or (
        "/usr/bin/docker-registry" if Path("/usr/bin/docker-registry").exists() else None
    )


def require_registry_binary() -> str:
    found = registry_binary()
    if found is None:
        pytest.skip("docker-registry is not installed (scripts/registry-up.sh --install-only)")
    return found


def load_pusher() -> ModuleType:
    """`scripts/push-test-images.py` as a module (its file name is not importable)."""
    name = "push_test_images"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PUSH_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class PrivateRegistry:
    name: str  # host:port, what image names start with
    url: str


async def _wait_ready(url: str, proc: asyncio.subprocess.Process, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"docker-registry exited with {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(url + "/v2/", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"docker-registry did not answer at {url}")


@contextlib.asynccontextmanager
async def running_registry(workdir: Path) -> AsyncIterator[PrivateRegistry]:
    binary = require_registry_binary()
    port = free_port()
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    log = (workdir / "registry.log").open("ab")
    proc = await asyncio.create_subprocess_exec(
        binary, "serve", str(config), stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(url, proc)
        yield PrivateRegistry(name=f"127.0.0.1:{port}", url=url)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


@contextlib.contextmanager
def running_registry_sync(workdir: Path) -> Iterator[PrivateRegistry]:
    """`running_registry` for synchronous fixtures (the conformance tests)."""
    binary = require_registry_binary()
    port = free_port()
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {data}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    url = f"http://127.0.0.1:{port}"
    with (workdir / "registry.log").open("ab") as log:
        proc = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/v2/", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"docker-registry did not answer at {url}")
            time.sleep(0.1)
        yield PrivateRegistry(name=f"127.0.0.1:{port}", url=url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
