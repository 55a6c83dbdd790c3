"""Timeouts, retries and keys of the agent RPC client; built in server.py from the config."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AgentRPCTimeouts:
    """Seconds each kind of call may take, from sending the request to the reply."""

    ping: float = 5.0
    # check_*, get_logs, sync_kernel_registry, gather_hwinfo, ports, services, completions, ...
    query: float = 15.0
    # returns as soon as the pulls are started as background tasks on the agent
    check_and_pull: float = 30.0
    # blocks until every kernel is up (or the first fails)
    create_kernels: float = 300.0
    restart_kernel: float = 300.0
    # blocks until the container is destroyed and cleaned
    destroy_kernel: float = 60.0
    execute: float = 60.0
    file_transfer: float = 300.0
    network: float = 60.0
    # commit, push_image and purge_images return after starting a background task
    image_task: float = 60.0


@dataclass(frozen=True)
class CurveKeypair:
    """The manager's ZeroMQ CURVE keypair (Z85 text, 40 characters each)."""

    public_key: str
    secret_key: str


@dataclass(frozen=True)
class AgentRPCSettings:
    timeouts: AgentRPCTimeouts = field(default_factory=AgentRPCTimeouts)
    # the connection handshake (PING/PONG) of a new peer
    handshake_timeout: float = 5.0
    # TCP keepalive idle time; the interval is a third of it (at least 2 s), 3 probes
    keepalive_timeout: int = 60
    # attempts of idempotent calls that failed without reaching the agent
    retry_attempts: int = 3
    retry_initial_wait: float = 0.2
    retry_max_wait: float = 2.0
    # needed only to talk to agents that report a public key (CURVE authentication)
    manager_keypair: CurveKeypair | None = None
