"""Nested values flatten into the ecosystem's quoted key layout."""

from __future__ import annotations

from ai.backend.manager.clients.etcd.client import flatten


def test_flatten_quotes_components_and_keeps_prefix_value() -> None:
    flat = flatten(
        "volumes",
        {
            "proxies": {"local": {"client_api": "http://127.0.0.1:6021", "ssl_verify": False}},
            "default_host": "local:volume1",
            "": "root",
            "a/b": {"c:d": 1},
        },
    )
    assert flat == {
        "volumes/proxies/local/client_api": "http://127.0.0.1:6021",
        "volumes/proxies/local/ssl_verify": "false",
        "volumes/default_host": "local:volume1",
        "volumes": "root",
        "volumes/a%2Fb/c%3Ad": "1",
    }
