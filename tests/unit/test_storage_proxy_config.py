"""The storage proxy client's pure parts: etcd `volumes` parsing, folder ids, error mapping."""

from __future__ import annotations

import uuid

import pytest

from ai.backend.manager.clients.storage_proxy import (
    QuotaScopeID,
    VFolderID,
    parse_proxies_config,
    split_host,
)
from ai.backend.manager.errors.storage import (
    InvalidFolderHost,
    StorageProxyAuthFailed,
    StorageProxyBadRequest,
    StorageProxyConflict,
    StorageProxyError,
    StorageProxyObjectNotFound,
    StorageProxyUnprocessable,
    storage_proxy_error,
)

USER = uuid.UUID("dfa9da54-4b28-432f-be29-c0d680c7a412")
FOLDER = uuid.UUID("3f1e0d2c-1111-4222-8333-944455556666")


def test_folder_id_wire_format() -> None:
    vfid = VFolderID(QuotaScopeID.of_user(USER), FOLDER)
    # what the proxy's VFolderID validator parses: <type>:<uuid>/<hex>
    assert str(vfid) == f"user:{USER}/{FOLDER.hex}"
    assert VFolderID.parse(str(vfid)) == vfid
    assert str(QuotaScopeID.of_project(USER)) == f"project:{USER}"
    assert QuotaScopeID.parse(f"PROJECT:{USER}") == QuotaScopeID("project", USER)
    for bad in ("", "user", f"team:{USER}", "user:not-a-uuid"):
        with pytest.raises(ValueError):
            QuotaScopeID.parse(bad)
    with pytest.raises(ValueError):
        VFolderID.parse(FOLDER.hex)


def test_proxies_config() -> None:
    config = parse_proxies_config(
        {
            "default_host": "local:volume1",
            "exposed_volume_info": "percentage, used_bytes,bogus",
            "_types": {"user": "", "group": ""},
            "proxies": {
                "local": {
                    "client_api": "http://127.0.0.1:6031/",
                    "manager_api": "http://127.0.0.1:6032",
                    "secret": "s3cret",
                    "ssl_verify": "false",
                    "sftp_scaling_groups": "sftp-a,sftp-b",
                },
                "tls": {"manager_api": "https://storage:6022", "secret": "x"},
                "incomplete": {"client_api": "http://x"},
                "scalar": "not-a-dict",
            },
        }
    )
    assert config.default_host == "local:volume1"
    assert config.vfolder_types == ("group", "user")
    assert config.exposed_volume_info == ("percentage", "used_bytes")
    assert sorted(config.proxies) == ["local", "tls"]
    local = config.proxies["local"]
    assert local.client_api == "http://127.0.0.1:6031"
    assert (local.ssl_verify, local.sftp_scaling_groups) == (False, ("sftp-a", "sftp-b"))
    assert config.proxies["tls"].ssl_verify is True
    empty = parse_proxies_config({})
    assert (empty.proxies, empty.default_host, empty.vfolder_types) == ({}, None, ("user",))


def test_split_host() -> None:
    assert split_host("local:volume1") == ("local", "volume1")
    for bad in ("local", ":volume1", "local:", ""):
        with pytest.raises(InvalidFolderHost):
            split_host(bad)


@pytest.mark.parametrize(
    ("status", "cls", "ours"),
    [
        (400, StorageProxyBadRequest, 400),
        (403, StorageProxyAuthFailed, 502),
        (404, StorageProxyObjectNotFound, 404),
        (409, StorageProxyConflict, 409),
        (418, StorageProxyBadRequest, 400),
        (422, StorageProxyUnprocessable, 422),
        (500, StorageProxyError, 502),
        (503, StorageProxyError, 502),
    ],
)
def test_proxy_status_mapping(status: int, cls: type[StorageProxyError], ours: int) -> None:
    error = storage_proxy_error("local", status, "it failed", operation="mkdir")
    assert type(error) is cls and error.status_code == ours
    problem = error.problem()
    assert problem["data"]["proxy_status"] == status
    assert problem["data"]["proxy_title"] == "it failed"
    assert problem["msg"] == f"storage proxy 'local' answered {status} to mkdir: it failed"
