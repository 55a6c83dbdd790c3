"""start-server as an operator runs it: clean start, registration in etcd, graceful stop."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from ai.backend.manager.clients.etcd import EtcdClient
from ai.backend.manager.config.local import DatabaseConfig, ManagerLocalConfig
from ai.backend.manager.server import running_manager
from tests.conftest import make_manager_config, write_manager_toml
from tests.signing import signed_headers

MANAGER_CLI = str(Path(sys.executable).parent / "backend.ai")


async def _wait_until_up(url: str, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(20), aiohttp.ClientSession() as http:
        while True:
            assert process.returncode is None, "the manager exited early"
            try:
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)


async def test_start_register_and_stop_gracefully(
    manager_config: ManagerLocalConfig, etcd: EtcdClient, tmp_path: Path
) -> None:
    config = make_manager_config(manager_config.db, manager_config.etcd.namespace)
    config_path = write_manager_toml(config, tmp_path / "manager.toml")
    process = await asyncio.create_subprocess_exec(
        MANAGER_CLI,
        "mgr",
        "-f",
        str(config_path),
        "start-server",
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        svc = config.manager.service_addr
        await _wait_until_up(f"http://{svc.host}:{svc.port}/", process)
        assert await etcd.get(f"nodes/manager/{config.manager.id}") == "up"
        assert await etcd.get("manager/status") == "running"
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            output, _ = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 0, output.decode()
    assert b"Traceback" not in output
    assert await etcd.get(f"nodes/manager/{config.manager.id}") is None


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MANAGER_CLI, "mgr", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_invalid_config_value_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "manager.toml").write_text('[db]\naddr = { host = "127.0.0.1", port = "x" }\n')
    result = _run_cli("start-server", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'manager.toml'}: [db] addr.port: "
        "Input should be a valid integer, unable to parse string as an integer (got 'x')"
    ]


def test_unreachable_etcd_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "manager.toml").write_text('[etcd]\naddr = { host = "127.0.0.1", port = 1 }\n')
    result = _run_cli("start-server", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot reach etcd at 127.0.0.1:1" in result.stderr


async def test_missing_redis_address_is_named(
    manager_config: ManagerLocalConfig, tmp_path: Path
) -> None:
    config = make_manager_config(manager_config.db, manager_config.etcd.namespace + "_empty")
    write_manager_toml(config, tmp_path / "manager.toml")
    result = await asyncio.to_thread(_run_cli, "start-server", cwd=tmp_path)
    assert result.returncode == 1
    assert "config/redis/addr is not set" in result.stderr


async def test_database_without_schema_is_refused(
    empty_database: DatabaseConfig, etcd_namespace: str, tmp_path: Path
) -> None:
    config = make_manager_config(empty_database, etcd_namespace)
    write_manager_toml(config, tmp_path / "manager.toml")
    result = await asyncio.to_thread(_run_cli, "start-server", cwd=tmp_path)
    assert result.returncode == 1
    assert "has no schema; run `backend.ai mgr schema oneshot`" in result.stderr


async def test_two_managers_share_one_database(
    manager_config: ManagerLocalConfig, etcd: EtcdClient
) -> None:
    first = make_manager_config(manager_config.db, manager_config.etcd.namespace)
    second = make_manager_config(manager_config.db, manager_config.etcd.namespace)
    async with running_manager(first) as root_a, running_manager(second) as root_b:
        async with aiohttp.ClientSession() as http:
            for config in (first, second):
                svc = config.manager.service_addr
                host = f"{svc.host}:{svc.port}"
                for _ in range(5):
                    headers = signed_headers("GET", "/auth/test", host=host)
                    async with http.get(f"http://{host}/auth/test", headers=headers) as resp:
                        assert resp.status == 200
        assert await etcd.get(f"nodes/manager/{first.manager.id}") == "up"
        assert await etcd.get(f"nodes/manager/{second.manager.id}") == "up"
        await asyncio.gather(root_a.keypair_usage.flush(), root_b.keypair_usage.flush())
    assert await etcd.get(f"nodes/manager/{first.manager.id}") is None


def test_module_entry_point_lists_commands(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ai.backend.manager.cli", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for command in ("start-server", "schema", "fixture", "etcd"):
        assert command in result.stdout


def test_etcd_commands_round_trip(manager_config: ManagerLocalConfig, tmp_path: Path) -> None:
    write_manager_toml(manager_config, tmp_path / "manager.toml")
    assert _run_cli("etcd", "put", "probe/a", "1", cwd=tmp_path).returncode == 0
    (tmp_path / "tree.json").write_text('{"x": {"y": "2", "z/w": true}}')
    assert _run_cli("etcd", "put-json", "probe/tree", "tree.json", cwd=tmp_path).returncode == 0
    got = _run_cli("etcd", "get", "--prefix", "probe", cwd=tmp_path)
    assert got.returncode == 0
    assert json.loads(got.stdout) == {"a": "1", "tree": {"x": {"y": "2", "z/w": "true"}}}
    assert _run_cli("etcd", "get", "probe/a", cwd=tmp_path).stdout.strip() == "1"
    assert _run_cli("etcd", "delete", "--prefix", "probe", cwd=tmp_path).returncode == 0
    missing = _run_cli("etcd", "get", "probe/a", cwd=tmp_path)
    assert missing.returncode == 1
    assert "no such key" in missing.stderr
