"""The signing scheme reproduces the published test vectors and parses headers leniently."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ai.backend.manager.services.auth.signature import (
    compute_signature,
    content_type_candidates,
    host_candidates,
    is_valid_api_version,
    parse_authorization,
    parse_request_date,
)

DATE_HEADER = "2026-11-25T06:00:00.123456+00:00"


@pytest.mark.parametrize(
    ("method", "rel_url", "content_type", "expected"),
    [
        (
            "GET",
            "/folders?path=a+b",
            "application/json",
            "1fe07fb9f8b2ca2a4084a0697039ca8ef077d89a3b208206678f07ac588847fb",
        ),
        (
            "POST",
            "/session",
            "application/json",
            "88840de104106638cd7fccf0ca936126c69f01048c1e89209379e5bd2180f6e4",
        ),
        (
            "GET",
            "/",
            "text/plain",
            "7423793c1a9ff8728bc4d4031825cfbe9ab1897d97a851580c3b2938c1886975",
        ),
    ],
)
def test_signature_matches_spec_vectors(
    method: str, rel_url: str, content_type: str, expected: str
) -> None:
    signature = compute_signature(
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        request_date=datetime.fromisoformat(DATE_HEADER),
        method=method,
        raw_path=rel_url,
        date_header=DATE_HEADER,
        host="127.0.0.1:8091",
        content_type=content_type,
        api_version="v9.20250722",
    )
    assert signature == expected


def test_authorization_header_is_parsed() -> None:
    cred = parse_authorization(
        "BackendAI signMethod=HMAC-SHA256, credential=AKIAIOSFODNN7EXAMPLE:ABCDEF0123"
    )
    assert cred is not None
    assert (cred.hash_type, cred.access_key, cred.signature) == (
        "sha256",
        "AKIAIOSFODNN7EXAMPLE",
        "abcdef0123",
    )


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer abc",
        "BackendAI signMethod=HMAC-SHA256",
        "BackendAI signMethod=HMAC-WHIRLPOOL, credential=AK:00",
        "BackendAI signMethod=HMAC-SHA256, credential=AK:not-hex",
    ],
)
def test_malformed_authorization_headers_are_refused(header: str) -> None:
    assert parse_authorization(header) is None


def test_request_dates_iso_and_rfc1123_and_naive() -> None:
    iso = parse_request_date(DATE_HEADER)
    assert iso == datetime(2026, 11, 25, 6, 0, 0, 123456, tzinfo=UTC)
    rfc = parse_request_date("Wed, 25 Nov 2026 06:00:00 GMT")
    assert rfc == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    naive = parse_request_date("2026-11-25T06:00:00")
    assert naive is not None and naive.tzinfo is UTC
    assert parse_request_date("yesterday") is None
    assert parse_request_date("") is None


def test_candidates_cover_default_ports_and_multipart() -> None:
    assert host_candidates("127.0.0.1:8081") == ["127.0.0.1:8081"]
    assert host_candidates("example.com") == ["example.com", "example.com:80", "example.com:443"]
    assert host_candidates("[::1]") == ["[::1]", "[::1]:80", "[::1]:443"]
    assert content_type_candidates(None) == ["application/octet-stream", "text/plain"]
    assert content_type_candidates("multipart/form-data; boundary=x") == [
        "multipart/form-data; boundary=x",
        "multipart/form-data",
    ]
    assert content_type_candidates("Application/JSON") == ["application/json"]


def test_api_version_format() -> None:
    assert is_valid_api_version("v9.20250722")
    assert not is_valid_api_version("9.20250722")
    assert not is_valid_api_version("v9.2025")
