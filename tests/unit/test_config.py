"""manager.toml loading: search order, defaults, and one-line errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai.backend.manager.config.loader import load_config, parse_config
from ai.backend.manager.errors.config import ConfigurationError

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_defaults_fill_every_section() -> None:
    config = parse_config({})
    assert config.manager.service_addr.port == 8081
    assert config.manager.internal_addr.port == 18080
    assert config.etcd.namespace == "local"
    assert config.db.url().startswith("postgresql+asyncpg://postgres@127.0.0.1:5432/")


def test_hyphenated_keys_and_unknown_sections_are_accepted() -> None:
    config = parse_config(
        {
            "manager": {"service-addr": {"host": "127.0.0.1", "port": 9000}, "num-proc": 2},
            "pyroscope": {"enabled": False},
        }
    )
    assert config.manager.service_addr.port == 9000
    assert config.manager.num_proc == 2


def test_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigurationError) as e:
        parse_config({"db": {"addr": {"host": "x", "port": "not-a-port"}}})
    message = str(e.value)
    assert "[db] addr.port" in message
    assert "\n" not in message


def test_missing_required_key_names_it() -> None:
    with pytest.raises(ConfigurationError, match=r"\[etcd\] addr.host"):
        parse_config({"etcd": {"addr": {"port": 2379}}})


def test_explicit_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "manager.toml"
    path.write_text("[db\nname = 1")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_config(path)


def test_found_in_current_directory_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "manager.toml").write_text('[etcd]\nnamespace = "here"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BACKEND_MANAGER_CONFIG", raising=False)
    config = load_config()
    assert config.etcd.namespace == "here"
    assert config.manager.id.startswith("i-")


@pytest.mark.parametrize("name", ["halfstack.toml", "sample.toml"])
def test_shipped_configs_parse(name: str) -> None:
    path = REPO_ROOT / "configs" / "manager" / name
    if not path.exists():
        pytest.skip(f"{path} not written yet")
    load_config(path)
