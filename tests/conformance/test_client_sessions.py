"""Checklist section C with the unmodified `backend.ai` CLI against our manager and a real
dummy agent: create, reuse, ps/list, info, events, logs, rename, destroy, run."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from tests.agent_harness import DummyAgent
from tests.conformance.conftest import CLIENT_VENV, ClientRunner

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def session_id(client: ClientRunner, dummy_agent: DummyAgent) -> str:
    result = client.run(
        "session", "create", "python:3.9", "-t", "cf-sess", "-r", "cpu=1", "-r", "mem=1g"
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "is created and ready" in output, output
    match = UUID_RE.search(output)
    assert match, output
    return match.group(0)


def test_create_again_reuses_the_running_session(client: ClientRunner, session_id: str) -> None:
    result = client.run("session", "create", "python:3.9", "-t", "cf-sess", "-r", "cpu=1")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "already" in output.lower(), output


def test_ps_and_list_show_the_session(client: ClientRunner, session_id: str) -> None:
    result = client.run("ps")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cf-sess" in result.stdout
    result = client.run("--output", "json", "session", "list", "--all")
    assert result.returncode == 0, result.stdout + result.stderr
    names = [item["name"] for item in json.loads(result.stdout)["items"]]
    assert "cf-sess" in names


def test_info_shows_the_running_session(client: ClientRunner, session_id: str) -> None:
    result = client.run("session", "info", session_id)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "RUNNING" in output
    assert "cf-sess" in output
    assert "Traceback" not in output


def test_logs(client: ClientRunner, session_id: str) -> None:
    result = client.run("session", "logs", "cf-sess")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "my logs" in result.stdout


def test_ls_lists_files_without_crashing(client: ClientRunner, session_id: str) -> None:
    result = client.run("session", "ls", "cf-sess")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output


def test_upload_sends_the_file_to_the_agent(client: ClientRunner, session_id: str) -> None:
    (client.workdir / "hello.txt").write_text("hello from the client\n")
    try:
        result = client.run("session", "upload", "cf-sess", "hello.txt")
    finally:
        (client.workdir / "hello.txt").unlink()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output


def test_download_of_a_file_the_agent_lacks_is_a_clean_404(
    client: ClientRunner, session_id: str
) -> None:
    # The dummy backend keeps no files: the manager reports the file as missing.
    result = client.run("session", "download", "cf-sess", "hello.txt")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "No file 'hello.txt'" in output, output
    assert "Traceback" not in output


def test_restart_refused_by_the_agent_keeps_the_session_running(
    client: ClientRunner, session_id: str
) -> None:
    # The dummy backend cannot restart kernels (it keeps no kernel config to reload):
    # the CLI gets the agent's error and the session goes back to RUNNING.
    result = client.run("session", "restart", "cf-sess")
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    info = client.run("session", "info", session_id)
    assert "RUNNING" in info.stdout, info.stdout + info.stderr


def test_events_stream_ends_when_the_session_is_destroyed(
    client: ClientRunner, session_id: str
) -> None:
    rename = client.run("session", "rename", "cf-sess", "cf-sess2")
    assert rename.returncode == 0, rename.stdout + rename.stderr
    env_runner = client
    events = subprocess.Popen(
        [str(CLIENT_VENV / "bin" / "backend.ai"), "session", "events", "cf-sess2"],
        cwd=env_runner.workdir,
        env=env_runner.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(1.5)
        destroyed = client.run("session", "destroy", "cf-sess2")
        assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
        output, _ = events.communicate(timeout=60)
    finally:
        if events.poll() is None:
            events.kill()
    assert events.returncode == 0, output
    assert "session_terminated" in output, output
    assert "Traceback" not in output

    again = client.run("session", "destroy", "cf-sess2")
    assert again.returncode != 0
    assert "Traceback" not in again.stdout + again.stderr
    ps = client.run("ps")
    assert "cf-sess2" not in ps.stdout


def test_run_reaches_the_agent_and_reports_cleanly(
    client: ClientRunner, dummy_agent: DummyAgent
) -> None:
    result = client.run("run", "python:3.9", "-c", "print('hello')", "--rm", timeout=120)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    # The dummy backend executes nothing: our manager says so instead of crashing the CLI.
    assert "does not execute code" in output, output
