"""Render the working directory of one storage proxy from halfstack.toml beside this file.

Used by scripts/start-storage-proxy.sh (as a command) and by tests/storage_proxy_harness.py
(as a module). Needs only the standard library:

    python configs/storage-proxy/render.py --workdir .halfstack/storage-proxy --namespace local \\
        --etcd 127.0.0.1:8121 --client-port 6021 --manager-port 6022 --internal-port 16023 \\
        --volume-path .halfstack/vfroot/local/volume1 [--secret S] [--print-volumes]

The working directory then holds storage-proxy.toml; the proxy runs there with
`python -m ai.backend.storage.server -f storage-proxy.toml`. `--print-volumes` prints the etcd
`volumes` tree (JSON) that points a manager at this proxy.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import string
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
TEMPLATE = CONFIG_DIR / "halfstack.toml"

# Development secrets: the proxy and the manager only ever meet on 127.0.0.1 in the halfstack.
DEV_MANAGER_SECRET = "halfstack-dev-storage-manager-secret-7f3a9c1e5b"
DEV_SESSION_SECRET = "halfstack-dev-storage-session-secret-2d8e4b6a0c"


def ipc_base_path(workdir: Path, node_id: str) -> Path:
    """A short per-proxy directory for unix sockets (their paths are limited to 107 bytes)."""
    digest = hashlib.sha1(str(workdir.resolve()).encode()).hexdigest()[:8]
    return Path("/tmp/bai-ipc") / f"{node_id}-{digest}"


@dataclass(frozen=True)
class ProxySpec:
    namespace: str
    etcd_host: str
    etcd_port: int
    client_port: int
    manager_port: int
    internal_port: int
    termui_port: int
    webui_port: int
    volume_path: Path
    proxy_name: str = "local"
    volume_name: str = "volume1"
    node_id: str = "i-storage-proxy-local"
    client_host: str = "127.0.0.1"
    manager_secret: str = DEV_MANAGER_SECRET
    session_secret: str = DEV_SESSION_SECRET
    log_level: str = "INFO"

    @property
    def client_api(self) -> str:
        return f"http://{self.client_host}:{self.client_port}"

    @property
    def manager_api(self) -> str:
        return f"http://127.0.0.1:{self.manager_port}"

    @property
    def default_host(self) -> str:
        return f"{self.proxy_name}:{self.volume_name}"

    def volumes_tree(self, *, exposed_volume_info: str = "percentage") -> dict[str, object]:
        """The etcd `volumes` subtree (as written under /sorna/<ns>/volumes/) for this proxy."""
        return {
            "_types": {"user": "", "group": ""},
            "default_host": self.default_host,
            "exposed_volume_info": exposed_volume_info,
            "proxies": {
                self.proxy_name: {
                    "client_api": self.client_api,
                    "manager_api": self.manager_api,
                    "secret": self.manager_secret,
                    "ssl_verify": "false",
                },
            },
        }


def flatten(tree: dict[str, object], prefix: str = "") -> dict[str, str]:
    """{"a": {"b": "x"}} -> {"a/b": "x"} (etcd keys below a prefix)."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, path + "/"))
        else:
            flat[path] = str(value)
    return flat


def render_workdir(spec: ProxySpec, workdir: Path) -> Path:
    """Write `workdir/storage-proxy.toml` (and create the volume directory); returns the dir."""
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    volume_path = spec.volume_path.resolve()
    volume_path.mkdir(parents=True, exist_ok=True)
    # A new volume gets the current directory layout marker; without it the proxy takes the
    # volume for one of the old (v2) layout and warns at every start.
    version = volume_path / "version.txt"
    if not version.exists() and not any(volume_path.iterdir()):
        version.write_text("3\n", encoding="utf-8")
    ipc = ipc_base_path(workdir, spec.node_id)
    ipc.mkdir(parents=True, exist_ok=True)
    values = {
        "NAMESPACE": spec.namespace,
        "ETCD_HOST": spec.etcd_host,
        "ETCD_PORT": str(spec.etcd_port),
        "NODE_ID": spec.node_id,
        "WORKDIR": str(workdir),
        "IPC_BASE_PATH": str(ipc),
        "SESSION_SECRET": spec.session_secret,
        "MANAGER_SECRET": spec.manager_secret,
        "TERMUI_PORT": str(spec.termui_port),
        "WEBUI_PORT": str(spec.webui_port),
        "CLIENT_HOST": spec.client_host,
        "CLIENT_PORT": str(spec.client_port),
        "MANAGER_PORT": str(spec.manager_port),
        "INTERNAL_PORT": str(spec.internal_port),
        "LOG_LEVEL": spec.log_level,
        "VOLUME_NAME": spec.volume_name,
        "VOLUME_PATH": str(volume_path),
    }
    for name, value in values.items():
        if '"' in value or "\\" in value or "\n" in value:
            raise ValueError(f"{name} must not contain quotes, backslashes or newlines: {value!r}")
    text = string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(values)
    tomllib.loads(text)  # fail here, not in the proxy, on a broken result
    (workdir / "storage-proxy.toml").write_text(text, encoding="utf-8")
    return workdir


def _split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return host or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--namespace", default="local")
    parser.add_argument("--etcd", default="127.0.0.1:8121")
    parser.add_argument("--client-port", type=int, default=6021)
    parser.add_argument("--manager-port", type=int, default=6022)
    parser.add_argument("--internal-port", type=int, default=16023)
    parser.add_argument("--termui-port", type=int, default=38300)
    parser.add_argument("--webui-port", type=int, default=39300)
    parser.add_argument("--volume-path", type=Path, required=True)
    parser.add_argument("--proxy-name", default="local")
    parser.add_argument("--volume-name", default="volume1")
    parser.add_argument("--secret", default=DEV_MANAGER_SECRET, help="the manager API secret")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--print-volumes", action="store_true", help="print the etcd volumes tree as JSON"
    )
    args = parser.parse_args(argv)
    etcd_host, etcd_port = _split_addr(args.etcd)
    spec = ProxySpec(
        namespace=args.namespace,
        etcd_host=etcd_host,
        etcd_port=etcd_port,
        client_port=args.client_port,
        manager_port=args.manager_port,
        internal_port=args.internal_port,
        termui_port=args.termui_port,
        webui_port=args.webui_port,
        volume_path=args.volume_path,
        proxy_name=args.proxy_name,
        volume_name=args.volume_name,
        node_id=f"i-storage-proxy-{args.proxy_name}",
        manager_secret=args.secret,
        log_level=args.log_level,
    )
    workdir = render_workdir(spec, args.workdir)
    if args.print_volumes:
        print(json.dumps(spec.volumes_tree()))
    else:
        print(workdir / "storage-proxy.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
