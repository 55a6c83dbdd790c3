"""Render the working directory of one dummy agent from the templates beside this file.

Used by scripts/start-dummy-agents.sh (as a command) and by tests/agent_harness.py (as a
module). Needs only the standard library, so any Python 3.11+ can run it:

    python configs/agent/render.py --workdir .halfstack/agents/i-dummy-01 --id i-dummy-01 \\
        --namespace local --etcd 127.0.0.1:8121 --rpc-port 6011 [--cpu 8] [--mem 16g]

The working directory then holds agent.toml and agent.dummy.toml, and the agent is started
there with `backend.ai ag start-server -f agent.toml`.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import string
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
AGENT_TEMPLATE = CONFIG_DIR / "agent.toml.template"
DUMMY_CONFIG = CONFIG_DIR / "agent.dummy.toml"

GIB = 1 << 30
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """`17179869184`, `16g`, `16GiB`, `512m` -> bytes (binary units)."""
    m = _SIZE_RE.match(text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (examples: 16g, 512m, 17179869184)")
    return int(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]


def ipc_base_path(workdir: Path, agent_id: str) -> Path:
    """A short per-agent directory for unix sockets (their paths are limited to 107 bytes)."""
    digest = hashlib.sha1(str(workdir.resolve()).encode()).hexdigest()[:8]
    return Path("/tmp/bai-ipc") / f"{agent_id}-{digest}"


@dataclass(frozen=True)
class AgentSpec:
    agent_id: str
    namespace: str
    etcd_host: str
    etcd_port: int
    rpc_port: int
    internal_port: int
    termui_port: int
    webui_port: int
    rpc_host: str = "127.0.0.1"
    scaling_group: str = "default"
    cpu: int = 8
    mem_bytes: int = 16 * GIB
    heartbeat_interval: float = 2.0
    container_port_min: int = 30000
    container_port_max: int = 30999
    log_level: str = "INFO"

    @property
    def rpc_addr(self) -> str:
        return f"tcp://{self.rpc_host}:{self.rpc_port}"


def _replace_in_section(text: str, section: str, key: str, value: str) -> str:
    """Replace `key = ...` inside `[section]` (the first occurrence), keeping the rest."""
    lines = text.splitlines()
    current = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped.strip("[]").strip()
        elif current == section and re.match(rf"^\s*{re.escape(key)}\s*=", line):
            lines[i] = f"{key} = {value}"
            return "\n".join(lines) + "\n"
    raise ValueError(f"{DUMMY_CONFIG}: no `{key}` in [{section}]")


def render_agent_toml(spec: AgentSpec, workdir: Path) -> str:
    values = {
        "NAMESPACE": spec.namespace,
        "ETCD_HOST": spec.etcd_host,
        "ETCD_PORT": str(spec.etcd_port),
        "AGENT_ID": spec.agent_id,
        "SCALING_GROUP": spec.scaling_group,
        "RPC_HOST": spec.rpc_host,
        "RPC_PORT": str(spec.rpc_port),
        "INTERNAL_PORT": str(spec.internal_port),
        "IPC_BASE_PATH": str(ipc_base_path(workdir, spec.agent_id)),
        "TERMUI_PORT": str(spec.termui_port),
        "WEBUI_PORT": str(spec.webui_port),
        "CONTAINER_PORT_MIN": str(spec.container_port_min),
        "CONTAINER_PORT_MAX": str(spec.container_port_max),
        "LOG_LEVEL": spec.log_level,
        "HEARTBEAT_INTERVAL": repr(float(spec.heartbeat_interval)),
    }
    template = string.Template(AGENT_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(values)


def render_dummy_toml(spec: AgentSpec) -> str:
    text = DUMMY_CONFIG.read_text(encoding="utf-8")
    text = _replace_in_section(text, "agent.resource.cpu", "num-core", str(spec.cpu))
    return _replace_in_section(text, "agent.resource.memory", "size", str(spec.mem_bytes))


def render_workdir(spec: AgentSpec, workdir: Path) -> Path:
    """Write agent.toml and agent.dummy.toml into `workdir` (created) and return it."""
    workdir.mkdir(parents=True, exist_ok=True)
    agent_toml = render_agent_toml(spec, workdir)
    dummy_toml = render_dummy_toml(spec)
    parsed = tomllib.loads(agent_toml)
    assert parsed["agent"]["id"] == spec.agent_id
    assert parsed["agent"]["rpc-listen-addr"]["port"] == spec.rpc_port
    dummy = tomllib.loads(dummy_toml)
    assert dummy["agent"]["resource"]["cpu"]["num-core"] == spec.cpu
    assert dummy["agent"]["resource"]["memory"]["size"] == spec.mem_bytes
    (workdir / "agent.toml").write_text(agent_toml, encoding="utf-8")
    (workdir / "agent.dummy.toml").write_text(dummy_toml, encoding="utf-8")
    ipc_base_path(workdir, spec.agent_id).mkdir(parents=True, exist_ok=True)
    return workdir


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--id", dest="agent_id", required=True)
    parser.add_argument("--namespace", default="local")
    parser.add_argument("--etcd", type=_host_port, default=("127.0.0.1", 8121))
    parser.add_argument("--rpc-host", default="127.0.0.1")
    parser.add_argument("--rpc-port", type=int, required=True)
    parser.add_argument("--internal-port", type=int, help="default: rpc port + 2")
    parser.add_argument("--termui-port", type=int, help="default: rpc port + 4")
    parser.add_argument("--webui-port", type=int, help="default: rpc port + 5")
    parser.add_argument("--scaling-group", default="default")
    parser.add_argument("--cpu", type=int, default=8)
    parser.add_argument("--mem", type=parse_size, default=16 * GIB)
    parser.add_argument("--heartbeat-interval", type=float, default=2.0)
    parser.add_argument("--container-ports", default="30000-30999", help="MIN-MAX")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    low, _, high = args.container_ports.partition("-")
    spec = AgentSpec(
        agent_id=args.agent_id,
        namespace=args.namespace,
        etcd_host=args.etcd[0],
        etcd_port=args.etcd[1],
        rpc_host=args.rpc_host,
        rpc_port=args.rpc_port,
        internal_port=args.internal_port or args.rpc_port + 2,
        termui_port=args.termui_port or args.rpc_port + 4,
        webui_port=args.webui_port or args.rpc_port + 5,
        scaling_group=args.scaling_group,
        cpu=args.cpu,
        mem_bytes=args.mem,
        heartbeat_interval=args.heartbeat_interval,
        container_port_min=int(low),
        container_port_max=int(high),
        log_level=args.log_level,
    )
    render_workdir(spec, args.workdir)
    print(spec.rpc_addr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
