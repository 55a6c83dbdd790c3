"""Processes the session benchmark needs: our manager with a private Redis and real dummy agents,
and extra dummy agents for the reference stack.

Everything started here is registered on a `contextlib.ExitStack` by the caller, so it is stopped
again on errors, Ctrl-C and SIGTERM. Agents run in their own process groups and are stopped by
their group id only.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_foundation import OurManager, log
from benchlib import SUPERADMIN_ACCESS_KEY, free_tcp_port

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.agent_harness import (  # noqa: E402  (needs the repository root on sys.path)
    AGENT_PYTHON,
    DummyAgent,
    agent_venv_available,
    render,
    stop_all,
)
from tests.redis_server import private_redis  # noqa: E402

REF_ROOT = Path(os.environ.get("REF_ROOT", "/var/tmp/backendai-reference"))
REF_AGENT_DIR = REF_ROOT / "agent"
REF_DUMMY_TOML = REF_AGENT_DIR / "agent.dummy.toml"
GIB = 1 << 30

# The delay tables of the dummy backend, as `agent.dummy.toml` spells them.
DELAY_SECTIONS = ("agent.delay", "kernel-creation-ctx.delay", "kernel.delay")
# Delays the dummy agent sleeps through in `create_kernels` for one kernel. (`check_and_pull`
# sleeps through none: the dummy's image check reports "no pull needed" unless the image is
# listed in `[agent.image] already-have`, which is empty on both sides.)
CREATE_PATH_DELAYS = (
    ("kernel-creation-ctx.delay", "prepare-scratch"),
    ("kernel-creation-ctx.delay", "prepare-ssh"),
    ("kernel-creation-ctx.delay", "spawn"),
    ("kernel-creation-ctx.delay", "start-container"),
    ("kernel-creation-ctx.delay", "mount-krunner"),
)

DelayTable = dict[str, dict[str, Any]]


# -----------------------------------------------------------------------------------------------
# dummy-agent delays, shared by both sides
# -----------------------------------------------------------------------------------------------


def _dig(doc: Mapping[str, Any], dotted: str) -> Mapping[str, Any]:
    node: Any = doc
    for part in dotted.split("."):
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return node if isinstance(node, Mapping) else {}


def read_delays(path: Path) -> DelayTable:
    """The three delay tables of a dummy agent's `agent.dummy.toml`."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    return {section: dict(_dig(doc, section)) for section in DELAY_SECTIONS}


def delay_seconds(value: Any) -> float:
    """A delay is a number or a `[min, max]` range (then its mean is what one expects)."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return (float(value[0]) + float(value[1])) / 2
    return float(value)


def create_path_seconds(delays: DelayTable) -> float:
    return sum(delay_seconds(delays[s].get(k, 0.0)) for s, k in CREATE_PATH_DELAYS)


class Inline(dict[str, Any]):
    """An inline TOML table (`{ host = "...", port = N }`) for `set_key_in_section`."""


def _toml_value(value: Any) -> str:
    if isinstance(value, Inline):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def set_key_in_section(text: str, section: str, key: str, value: Any) -> str:
    """Set `key = value` in `[section]` of a TOML text: replace the key, else add it at the end
    of the section, else add the section at the end of the text."""
    lines = text.splitlines()
    current: str | None = None
    start: int | None = None
    end: int | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if current == section and end is None:
                end = i
            current = stripped.strip("[]").strip()
            if current == section and start is None:
                start = i
        elif current == section and re.match(rf"^\s*{re.escape(key)}\s*=", line):
            lines[i] = f"{key} = {_toml_value(value)}"
            return "\n".join(lines) + "\n"
    entry = f"{key} = {_toml_value(value)}"
    if start is None:
        lines += ["", f"[{section}]", entry]
    else:
        at = len(lines) if end is None else end
        while at > start + 1 and not lines[at - 1].strip():
            at -= 1
        lines.insert(at, entry)
    return "\n".join(lines) + "\n"


def apply_delays(dummy_toml: Path, delays: DelayTable) -> None:
    text = dummy_toml.read_text(encoding="utf-8")
    for section, table in delays.items():
        for key, value in table.items():
            text = set_key_in_section(text, section, key, value)
    parsed = tomllib.loads(text)
    for section, table in delays.items():
        assert dict(_dig(parsed, section)) == table, f"{dummy_toml}: [{section}] not applied"
    dummy_toml.write_text(text, encoding="utf-8")


# -----------------------------------------------------------------------------------------------
# our side
# -----------------------------------------------------------------------------------------------


class SessionBenchManager(OurManager):
    """The foundation benchmark's throw-away manager, with images, presets and raised limits."""

    def __init__(
        self,
        cli: Path,
        workdir: Path,
        redis_port: int,
        fixtures: list[Path],
    ) -> None:
        super().__init__(cli, fixtures[0], workdir)
        self.redis_addr = f"127.0.0.1:{redis_port}"
        self.fixtures = fixtures

    @property
    def db_dsn(self) -> str:
        return f"postgresql://postgres@{self.db_host}:{self.db_port}/{self.db_name}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.internal_port}/metrics"

    @property
    def etcd_addr(self) -> str:
        return f"{self.etcd_host}:{self.etcd_port}"

    def prepare(self) -> None:
        super().prepare()  # database, etcd redis address, schema, keypairs, rate limit
        for fixture in self.fixtures[1:]:
            log(f"ours: fixture populate {fixture.name}")
            self.mgr("fixture", "populate", str(fixture))
        self._psql(
            "UPDATE keypair_resource_policies "
            "SET max_concurrent_sessions = 1000, max_pending_session_count = NULL",
            database=self.db_name,
        )
        self._psql(
            f"UPDATE keypairs SET rate_limit = 1000000000 WHERE access_key = "
            f"'{SUPERADMIN_ACCESS_KEY}'",
            database=self.db_name,
        )


@dataclass
class AgentGroup:
    """Our dummy agents of one size, started from configs/agent/ with the reference's delays."""

    agents: list[DummyAgent] = field(default_factory=list)
    ipc_dirs: list[Path] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [a.id for a in self.agents]

    def stop(self) -> None:
        if self.agents:
            log(f"ours: stopping {len(self.agents)} agent(s)")
            stop_all(self.agents)
        for path in self.ipc_dirs:
            shutil.rmtree(path, ignore_errors=True)
        self.agents = []
        self.ipc_dirs = []


def start_our_agents(
    group: AgentGroup,
    *,
    count: int,
    workdir: Path,
    manager: SessionBenchManager,
    cpu: int,
    mem_bytes: int,
    delays: DelayTable,
    id_prefix: str,
    heartbeat_interval: float = 1.0,
) -> None:
    """Render `count` agent working directories, overwrite the delays, start the agents.

    (tests/agent_harness.start_dummy_agents starts each agent right after rendering; the delays
    must be in place before the agent reads `agent.dummy.toml`, so the loop is repeated here.)
    """
    if not agent_venv_available():
        raise RuntimeError(f"{AGENT_PYTHON} is missing: run `scripts/make-peer-venv.sh agent`")
    for k in range(count):
        agent_id = f"{id_prefix}-{k + 1:02d}"
        rpc, internal, termui, webui = (free_tcp_port() for _ in range(4))
        spec = render.AgentSpec(
            agent_id=agent_id,
            namespace=manager.namespace,
            etcd_host=manager.etcd_host,
            etcd_port=manager.etcd_port,
            rpc_port=rpc,
            internal_port=internal,
            termui_port=termui,
            webui_port=webui,
            cpu=cpu,
            mem_bytes=mem_bytes,
            heartbeat_interval=heartbeat_interval,
            container_port_min=20000 + 100 * k,
            container_port_max=20099 + 100 * k,
            log_level="WARNING",
        )
        agent_dir = render.render_workdir(spec, workdir / agent_id)
        group.ipc_dirs.append(render.ipc_base_path(agent_dir, agent_id))
        apply_delays(agent_dir / "agent.dummy.toml", delays)
        agent = DummyAgent(id=agent_id, workdir=agent_dir, spec=spec)
        group.agents.append(agent)
        agent.start()


@contextlib.contextmanager
def our_stack(
    cli: Path, workdir: Path, fixtures: list[Path], startup_timeout: float = 60.0
) -> Iterator[SessionBenchManager]:
    """Private Redis + a prepared and started manager; everything removed on exit."""
    with private_redis(workdir / "redis") as redis_port:
        manager = SessionBenchManager(cli, workdir, redis_port, fixtures)
        try:
            manager.prepare()
            log("ours: start-server")
            answer = manager.start(startup_timeout)
            log(f"ours: manager answers after {answer.seconds:.2f} s")
            yield manager
        finally:
            manager.cleanup()


# -----------------------------------------------------------------------------------------------
# extra reference agents (`--reference-agents N`)
# -----------------------------------------------------------------------------------------------


@dataclass
class ReferenceAgent:
    id: str
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def group_alive(self) -> bool:
        if self.process is None:
            return False
        pgid = self.process.pid
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                if fields[0] != "Z" and int(fields[2]) == pgid:
                    return True
        return False

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = (self.workdir / "agent.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _reference_agent_toml(base: str, agent_id: str, workdir: Path, k: int) -> str:
    ports = {name: free_tcp_port() for name in ("rpc", "svc", "sock", "watch", "tui", "wui", "md")}
    text = base.replace("@REF_ROOT@", str(REF_ROOT))
    text = set_key_in_section(text, "agent", "id", agent_id)
    text = set_key_in_section(
        text, "agent", "rpc-listen-addr", Inline(host="127.0.0.1", port=ports["rpc"])
    )
    text = set_key_in_section(
        text, "agent", "service-addr", Inline(host="127.0.0.1", port=ports["svc"])
    )
    text = set_key_in_section(text, "agent", "agent-sock-port", ports["sock"])
    text = set_key_in_section(text, "agent", "aiomonitor-termui-port", ports["tui"])
    text = set_key_in_section(text, "agent", "aiomonitor-webui-port", ports["wui"])
    text = set_key_in_section(text, "agent", "metadata-server-port", ports["md"])
    text = set_key_in_section(text, "agent", "pid-file", str(workdir / "agent.pid"))
    ipc = Path("/tmp/bai-ipc") / f"ref-{agent_id}"
    ipc.mkdir(parents=True, exist_ok=True)
    text = set_key_in_section(text, "agent", "ipc-base-path", str(ipc))
    text = set_key_in_section(
        text, "watcher", "service-addr", Inline(host="127.0.0.1", port=ports["watch"])
    )
    low = 40000 + 100 * k
    text = set_key_in_section(text, "container", "port-range", [low, low + 99])
    # keep the console quiet: 20 agents at INFO would write a lot on a 2-core box
    text = set_key_in_section(text, "logging", "level", "WARNING")
    parsed = tomllib.loads(text)
    assert parsed["agent"]["id"] == agent_id
    assert parsed["agent"]["rpc-listen-addr"]["port"] == ports["rpc"]
    return text


def start_reference_agents(
    agents: list[ReferenceAgent],
    *,
    count: int,
    workdir: Path,
    cpu: int,
    mem_bytes: int,
    id_prefix: str = "i-refbench",
) -> None:
    """Start `count` more reference dummy agents the way up.sh starts `i-vm` (same namespace,
    same Redis via etcd), each in its own working directory with its own ports and ids."""
    base_toml = (REF_AGENT_DIR / "agent.toml").read_text(encoding="utf-8")
    base_dummy = REF_DUMMY_TOML.read_text(encoding="utf-8")
    cli = REF_ROOT / "venv-agent" / "bin" / "backend.ai"
    if not cli.exists():
        raise RuntimeError(f"{cli} is missing (run ../shared/reference/up.sh)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BACKEND_", "PYTHON"))}
    env["DOCKER_HOST"] = f"unix://{REF_ROOT}/run/nodocker.sock"
    for k in range(count):
        agent_id = f"{id_prefix}-{k + 1:02d}"
        agent_dir = workdir / agent_id
        agent_dir.mkdir(parents=True, exist_ok=True)
        (agent_dir / "agent.toml").write_text(
            _reference_agent_toml(base_toml, agent_id, agent_dir, k), encoding="utf-8"
        )
        dummy = set_key_in_section(base_dummy, "agent.resource.cpu", "num-core", cpu)
        dummy = set_key_in_section(dummy, "agent.resource.memory", "size", mem_bytes)
        (agent_dir / "agent.dummy.toml").write_text(dummy, encoding="utf-8")
        agent = ReferenceAgent(id=agent_id, workdir=agent_dir)
        agents.append(agent)
        with (agent_dir / "agent.log").open("ab") as out:
            agent.process = subprocess.Popen(
                [str(cli), "ag", "-f", "agent.toml", "start-server"],
                cwd=agent_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def stop_reference_agents(agents: list[ReferenceAgent], grace: float = 20.0) -> None:
    if not agents:
        return
    log(f"reference: stopping {len(agents)} extra agent(s)")
    for agent in agents:
        agent.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(a.group_alive() for a in agents):
        time.sleep(0.2)
    for agent in agents:
        if agent.group_alive():
            agent.signal_group(signal.SIGKILL)
        if agent.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                agent.process.wait(timeout=5)
        shutil.rmtree(Path("/tmp/bai-ipc") / f"ref-{agent.id}", ignore_errors=True)
    agents.clear()
