"""Run real dummy agents (backend.ai-agent 26.9.6 from .venvs/agent) for tests.

    agents = await start_dummy_agents(
        1, workdir=tmp_path, etcd_addr="127.0.0.1:8121", namespace=ns, redis_port=port,
        register_fake_manager=True,
    )
    await wait_for_rpc(agents[0])
    ...
    stop_all(agents)

Each agent gets its own working directory (rendered from configs/agent/ by render.py), its
own ports, and its own process group (a supervisor and one worker process), so that
`stop()`/`kill()` reach both processes. An agent only finishes starting once its etcd
namespace has `nodes/manager/<id>` and `config/redis/addr`: a running manager writes the
first, and `register_fake_manager=True` (or `write_fake_manager_keys`) writes both for tests
without one. Use a private Redis (tests/redis_server.py) and namespace: agents use fixed
Redis database numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from ai.backend.manager.clients.agent import AgentClientPool, AgentRPCSettings
from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.errors.agent import AgentUnreachable

REPO_ROOT = Path(__file__).resolve().parent.parent
AGENT_VENV = Path(os.environ.get("BACKEND_TEST_AGENT_VENV", REPO_ROOT / ".venvs" / "agent"))
AGENT_PYTHON = AGENT_VENV / "bin" / "python"
GIB = 1 << 30
FAKE_MANAGER_ID = "i-fake-manager"
REDIS_STREAM_DB = 4


def _load_render() -> ModuleType:
    path = REPO_ROOT / "configs" / "agent" / "render.py"
    spec = importlib.util.spec_from_file_location("agent_config_render", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


render = _load_render()


def agent_venv_available() -> bool:
    return AGENT_PYTHON.is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host, int(port)


@dataclass
class DummyAgent:
    """One agent process tree; `start()` is idempotent while it runs."""

    id: str
    workdir: Path
    spec: Any  # render.AgentSpec
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def rpc_addr(self) -> str:
        return str(self.spec.rpc_addr)

    @property
    def rpc_port(self) -> int:
        return int(self.spec.rpc_port)

    @property
    def log_path(self) -> Path:
        return self.workdir / "agent.log"

    @property
    def pid(self) -> int | None:
        """The supervisor's pid (also the process group id)."""
        return self.process.pid if self.process is not None else None

    @property
    def pids(self) -> list[int]:
        """Every live process of the agent's process group (supervisor and worker)."""
        if self.process is None:
            return []
        pgid = self.process.pid
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError):
                # /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces.
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if fields[0] != "Z" and int(fields[2]) == pgid:
                    found.append(int(entry.name))
        return sorted(found)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.alive():
            return
        # The agent has its own venv and reads BACKEND_* overrides: pass neither ours.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKEND_", "PYTHON"))}
        env["PYTHONUNBUFFERED"] = "1"
        with self.log_path.open("ab") as log:
            log.write(f"--- starting {self.id} at {time.ctime()}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [
                    str(AGENT_PYTHON),
                    "-m",
                    "ai.backend.agent.server",
                    "-f",
                    str(self.workdir / "agent.toml"),
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

    def _wait_group_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None:
                self.process.poll()
            if not self.pids:
                return True
            time.sleep(0.05)
        return not self.pids

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (the agent announces `agent_terminated`), then SIGKILL after `timeout`."""
        if self.process is None:
            return
        self._signal_group(signal.SIGTERM)
        if not self._wait_group_gone(timeout):
            self._signal_group(signal.SIGKILL)
            self._wait_group_gone(5.0)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1.0)

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, no `agent_terminated` event."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self._wait_group_gone(5.0)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1.0)

    def restart(self) -> None:
        self.stop()
        self.start()

    async def astop(self, grace: float = 15.0) -> None:
        await asyncio.to_thread(self.stop, grace)

    async def akill(self) -> None:
        await asyncio.to_thread(self.kill)

    async def arestart(self) -> None:
        await asyncio.to_thread(self.restart)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


async def write_fake_manager_keys(
    etcd_addr: str, namespace: str, redis_port: int, *, manager_id: str = FAKE_MANAGER_ID
) -> None:
    """What a running manager leaves in etcd for agents: its node key and the Redis address."""
    host, port = _split_addr(etcd_addr)
    etcd = EtcdClient(host=host, port=port, namespace=namespace)
    await etcd.put(f"nodes/manager/{manager_id}", "up")
    await etcd.put("config/redis/addr", f"127.0.0.1:{redis_port}")


async def start_dummy_agents(
    count: int,
    *,
    workdir: Path,
    etcd_addr: str,
    namespace: str,
    redis_port: int,
    base_port: int | None = None,
    cpu: int = 8,
    mem_bytes: int = 16 * GIB,
    scaling_group: str = "default",
    heartbeat_interval: float = 1.0,
    register_fake_manager: bool = False,
    id_prefix: str = "i-dummy",
    log_level: str = "INFO",
) -> list[DummyAgent]:
    """Render and start `count` agents named `<id_prefix>-01`, ...; returns at once (see
    `wait_for_rpc`). Ports are free ones unless `base_port` is given (then agent k uses
    base+10k for RPC, +2 internal HTTP, +4/+5 aiomonitor). `redis_port` is written to etcd
    only with `register_fake_manager`; otherwise the manager's `config/redis/addr` is used."""
    if not agent_venv_available():
        raise RuntimeError(f"{AGENT_PYTHON} is missing: run `scripts/make-peer-venv.sh agent`")
    if register_fake_manager:
        await write_fake_manager_keys(etcd_addr, namespace, redis_port)
    etcd_host, etcd_port = _split_addr(etcd_addr)
    agents = []
    for k in range(count):
        agent_id = f"{id_prefix}-{k + 1:02d}"
        if base_port is None:
            rpc, internal, termui, webui = (_free_port() for _ in range(4))
        else:
            rpc = base_port + 10 * k
            internal, termui, webui = rpc + 2, rpc + 4, rpc + 5
        spec = render.AgentSpec(
            agent_id=agent_id,
            namespace=namespace,
            etcd_host=etcd_host,
            etcd_port=etcd_port,
            rpc_port=rpc,
            internal_port=internal,
            termui_port=termui,
            webui_port=webui,
            scaling_group=scaling_group,
            cpu=cpu,
            mem_bytes=mem_bytes,
            heartbeat_interval=heartbeat_interval,
            container_port_min=30000 + 1000 * k,
            container_port_max=30999 + 1000 * k,
            log_level=log_level,
        )
        agent_dir = render.render_workdir(spec, workdir / agent_id)
        agent = DummyAgent(id=agent_id, workdir=agent_dir, spec=spec)
        agent.start()
        agents.append(agent)
    return agents


def stop_all(agents: Sequence[DummyAgent], timeout: float = 15.0) -> None:
    for agent in agents:
        agent._signal_group(signal.SIGTERM)
    for agent in agents:
        agent.stop(timeout)


async def wait_for_rpc(agent: DummyAgent, seconds: float = 60.0) -> None:
    """Ping the agent until it answers; fail early (with its log) if it exits."""
    pool = AgentClientPool(AgentRPCSettings(handshake_timeout=0.5, retry_attempts=1))
    deadline = time.monotonic() + seconds
    try:
        while True:
            if not agent.alive():
                raise RuntimeError(f"agent {agent.id} exited:\n{agent.log_tail()}")
            try:
                await pool.client(agent.id, agent.rpc_addr).ping("ready?", rpc_timeout=2.0)
                return
            except AgentUnreachable:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"agent {agent.id} did not answer at {agent.rpc_addr} within "
                        f"{seconds:g}s:\n{agent.log_tail()}"
                    ) from None
                pool.invalidate(agent.id)
                await asyncio.sleep(0.2)
    finally:
        await pool.close()


async def stream_events(redis_port: int) -> list[dict[str, Any]]:
    """Every entry of the anycast stream `events` (DB 4): name, source and decoded payload."""
    from redis.asyncio import Redis

    redis: Redis[bytes] = Redis(host="127.0.0.1", port=redis_port, db=REDIS_STREAM_DB)
    try:
        entries = await redis.xrange("events", "-", "+")
    finally:
        await redis.aclose()  # type: ignore[attr-defined]
    events = []
    for _entry_id, fields in entries:
        decoded = {k.decode(): v.decode() for k, v in fields.items()}
        payload = decoded.get("payload")
        events.append(
            {
                "name": decoded.get("name"),
                "source": decoded.get("source"),
                "payload": json.loads(payload) if payload else None,
            }
        )
    return events
