"""Problem documents, the announcement, GraphQL `keypair`, and the metrics endpoint."""

from __future__ import annotations

import json

import aiohttp

from tests.integration.conftest import RunningManager
from tests.signing import ADMIN_ACCESS_KEY, USER_ACCESS_KEY, USER_SECRET_KEY, signed_headers

PROBLEM_BASE = "https://api.backend.ai/probs/"


async def test_unknown_path_is_a_404_problem(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    headers = signed_headers("GET", "/no/such/thing", host=manager.host)
    async with http.get(manager.base_url + "/no/such/thing", headers=headers) as resp:
        assert resp.status == 404
        body = await resp.json(content_type=None)
        assert body["type"] == PROBLEM_BASE + "object-not-found"
        assert body["title"]


async def test_wrong_method_is_a_405_problem(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    headers = signed_headers("DELETE", "/auth/test", host=manager.host)
    async with http.delete(manager.base_url + "/auth/test", headers=headers) as resp:
        assert resp.status == 405
        assert (await resp.json(content_type=None))["type"] == PROBLEM_BASE + "method-not-allowed"


async def test_malformed_json_body_is_a_400_problem(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    headers = signed_headers("POST", "/auth/test", host=manager.host)
    async with http.post(
        manager.base_url + "/auth/test", headers=headers, data=b"{not json"
    ) as resp:
        assert resp.status == 400
        assert (await resp.json(content_type=None))["type"] == PROBLEM_BASE + "invalid-api-params"


async def test_announcement_round_trip(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    url = manager.base_url + "/manager/announcement"
    get_headers = signed_headers("GET", "/manager/announcement", host=manager.host)
    async with http.get(url, headers=get_headers) as resp:
        assert await resp.json() == {"enabled": False, "message": ""}
    post_headers = signed_headers("POST", "/manager/announcement", host=manager.host)
    body = json.dumps({"enabled": True, "message": "maintenance at 5pm"})
    async with http.post(url, headers=post_headers, data=body) as resp:
        assert resp.status == 204
    async with http.get(url, headers=get_headers) as resp:
        assert await resp.json() == {"enabled": True, "message": "maintenance at 5pm"}
    body = json.dumps({"enabled": False})
    async with http.post(url, headers=post_headers, data=body) as resp:
        assert resp.status == 204
    async with http.get(url, headers=get_headers) as resp:
        assert (await resp.json())["enabled"] is False


async def test_announcement_update_needs_superadmin(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    headers = signed_headers(
        "POST",
        "/manager/announcement",
        host=manager.host,
        access_key=USER_ACCESS_KEY,
        secret_key=USER_SECRET_KEY,
    )
    async with http.post(
        manager.base_url + "/manager/announcement",
        headers=headers,
        data=json.dumps({"enabled": True, "message": "x"}),
    ) as resp:
        assert resp.status == 403
        assert (await resp.json(content_type=None))["type"] == PROBLEM_BASE + "forbidden"


async def _gql(
    http: aiohttp.ClientSession,
    manager: RunningManager,
    query: str,
    variables: dict[str, object] | None = None,
    **sign: str,
) -> dict[str, object]:
    headers = signed_headers("POST", "/admin/gql", host=manager.host, **sign)
    payload = json.dumps({"query": query, "variables": variables or {}})
    async with http.post(manager.base_url + "/admin/gql", headers=headers, data=payload) as resp:
        assert resp.status == 200
        result: dict[str, object] = await resp.json()
        return result


async def test_gql_keypair_shows_the_callers_keypair(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    query = (
        "query { keypair { user_id user_info { full_name } access_key secret_key is_active "
        "is_admin created_at last_used resource_policy rate_limit concurrency_used } }"
    )
    result = await _gql(http, manager, query)
    assert "errors" not in result
    keypair = result["data"]["keypair"]  # type: ignore[index]
    assert keypair["access_key"] == ADMIN_ACCESS_KEY
    assert keypair["user_id"] == "admin@lablup.com"
    assert keypair["is_admin"] is True
    assert keypair["user_info"] == {"full_name": "Admin Lablup"}
    assert keypair["resource_policy"] == "default"


async def test_gql_user_cannot_read_someone_elses_keypair(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    user = {"access_key": USER_ACCESS_KEY, "secret_key": USER_SECRET_KEY}
    own = await _gql(http, manager, "query { keypair { access_key is_admin } }", **user)
    assert own["data"] == {"keypair": {"access_key": USER_ACCESS_KEY, "is_admin": False}}
    other = await _gql(
        http,
        manager,
        "query($ak: String) { keypair(access_key: $ak) { access_key } }",
        {"ak": ADMIN_ACCESS_KEY},
        **user,
    )
    errors = other["errors"]
    assert isinstance(errors, list) and errors
    assert "administrators" in errors[0]["message"]


async def test_gql_syntax_error_is_reported_not_500(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    result = await _gql(http, manager, "query { keypair { ")
    assert result["errors"]


async def test_metrics_count_requests_by_route(
    http: aiohttp.ClientSession, manager: RunningManager
) -> None:
    headers = signed_headers("GET", "/auth/test", host=manager.host)
    async with http.get(manager.base_url + "/auth/test", headers=headers) as resp:
        assert resp.status == 200
    async with http.get(manager.metrics_url) as resp:
        assert resp.status == 200
        text = await resp.text()
    assert "backendai_api_request_count_total{" in text
    assert 'endpoint="/auth/test"' in text
    assert "backendai_api_request_duration_sec_bucket{" in text
