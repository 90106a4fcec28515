"""The one door: `/api/<service>/…` reaches a service only for signed-in people, with a minted identity."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg
import httpx

from gateway import accounts
from gateway.settings import Settings
from gateway.store import Q

from .conftest import LiveServer, browser, csrf_of, run


def test_anonymous_api_calls_are_refused(gateway: LiveServer) -> None:
    response = browser(gateway).get("/api/meetings/v1/meetings")
    assert response.status_code == 401


def test_a_signed_in_call_reaches_the_service_with_an_identity_and_without_cookies(
    signed_in: Callable[..., httpx.Client],
) -> None:
    client = signed_in("org_representative", organisation="bryggan")
    answer = client.get("/api/meetings/v1/meetings?limit=5")
    assert answer.status_code == 200
    echoed = answer.json()
    assert echoed["path"] == "v1/meetings"
    assert echoed["roles"] == ["org_representative"]
    assert echoed["organisation"] == "bryggan"
    assert echoed["cookie"] is None


def test_changing_calls_need_the_csrf_header(signed_in: Callable[..., httpx.Client]) -> None:
    client = signed_in("staff")
    assert client.post("/api/meetings/v1/meetings", json={}).status_code == 403
    token = csrf_of(client.get("/account").text)
    answer = client.post("/api/meetings/v1/meetings", json={"a": 1}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert answer.json()["body"] == '{"a":1}'


def test_a_service_refuses_requests_that_go_around_the_gateway(upstream: LiveServer) -> None:
    assert httpx.get(f"{upstream.url}/v1/meetings").status_code == 401


def test_unknown_services_are_not_found(signed_in: Callable[..., httpx.Client]) -> None:
    assert signed_in("staff").get("/api/nothing/v1/x").status_code == 404


def test_pages_carry_the_security_headers(gateway: LiveServer) -> None:
    page = browser(gateway).get("/sign-in")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in page.headers  # only behind TLS
    script = browser(gateway).get("/static/vendor/htmx-2.0.11.min.js")
    assert script.status_code == 200


def test_a_form_post_to_the_api_is_forwarded_whole(signed_in: Callable[..., httpx.Client]) -> None:
    client = signed_in("staff")
    token = csrf_of(client.get("/account").text)
    refused = client.post("/api/meetings/v1/x", data={"csrf_token": token, "a": "1"})
    assert refused.status_code == 403  # the API wants the header, not a form field
    answer = client.post("/api/meetings/v1/x", data={"a": "1"}, headers={"X-CSRF-Token": token})
    assert answer.json()["body"] == "a=1"


def test_a_changed_role_reaches_the_service_with_the_next_call(
    signed_in: Callable[..., httpx.Client], settings: Settings
) -> None:
    """Minted identities are kept for a while; a role changed meanwhile must not wait for that."""
    client = signed_in("staff")
    before = client.get("/api/meetings/v1/meetings")
    assert before.json()["roles"] == ["staff"]

    async def demote() -> None:
        conn = await asyncpg.connect(settings.database_url)
        try:
            user = await Q.user_by_id.fetchrow(conn, id=uuid.UUID(before.json()["subject"]))
            await accounts.change_access(
                conn, user_id=user["id"], name=user["name"], user_roles=("org_representative",),
                organisation_id="bryggan", pool_ids=(), active=True, actor=(None, "test"), ip=None,
            )
        finally:
            await conn.close()

    run(demote())
    after = client.get("/api/meetings/v1/meetings").json()
    assert after["roles"] == ["org_representative"]
    assert after["organisation"] == "bryggan"


def test_only_the_services_versioned_api_is_reachable(signed_in: Callable[..., httpx.Client]) -> None:
    """Probes and metrics are for the platform, not for every signed-in reader."""
    client = signed_in("staff")
    for path in ("metrics", "readyz", "livez", "docs", "openapi.json", ""):
        assert client.get(f"/api/meetings/{path}").status_code == 404, path
    assert client.get("/api/meetings/v1/meetings").status_code == 200


def test_dot_segments_never_reach_a_service(signed_in: Callable[..., httpx.Client]) -> None:
    """`..` would be resolved on the way out, to a path other than the one the limits and rules saw
    (e.g. the import body limit for /v1/imports/../people)."""
    client = signed_in("staff")
    for path in (
        "v1/imports/%2e%2e/people",
        "v1/imports/%2E%2E/people",
        "v1/%2e/meetings",
        "v1/imports/%252e%252e/people",
        "v1/x/..%2fmetrics",
    ):
        answer = client.get(f"/api/meetings/{path}")
        assert answer.status_code == 400, (path, answer.status_code, answer.text)


def test_hop_by_hop_and_forwarding_headers_stay_at_the_gateway(
    signed_in: Callable[..., httpx.Client],
) -> None:
    client = signed_in("staff")
    sent = client.get(
        "/api/meetings/v1/meetings",
        headers={
            "Proxy-Authorization": "Basic c2VjcmV0",
            "Forwarded": "for=203.0.113.9",
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Host": "evil.example",
            "Connection": "x-private",
            "X-Private": "1",
            "X-Kept": "1",
        },
    ).json()["headers"]
    for name in ("proxy-authorization", "forwarded", "x-forwarded-for", "x-forwarded-host", "x-private"):
        assert name not in sent, name
    assert "x-kept" in sent
    answer = client.get("/api/meetings/v1/hop-by-hop")
    assert answer.status_code == 200
    assert "x-hop" not in answer.headers and "trailer" not in answer.headers
    assert answer.headers["x-kept"] == "1"


def test_an_answer_over_the_limit_is_refused_not_held_in_memory(
    signed_in: Callable[..., httpx.Client], settings: Settings
) -> None:
    client = signed_in("staff")
    limit = settings.proxy_max_response_bytes
    assert len(client.get(f"/api/meetings/v1/big/{limit}").content) == limit
    for streamed in ("false", "true"):
        answer = client.get(f"/api/meetings/v1/big/{limit + 1}?streamed={streamed}")
        assert answer.status_code == 502, streamed
        assert "för stort" in answer.json()["detail"]
