"""The one door: `/api/<service>/…` reaches a service only for signed-in people, with a minted identity."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from .conftest import LiveServer, browser, csrf_of


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
