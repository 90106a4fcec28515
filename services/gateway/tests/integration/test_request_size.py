"""Oversized requests are refused with 413 before the gateway parses a form, checks CSRF or proxies."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx

from .conftest import LiveServer, browser, csrf_of

LIMIT = 1_048_576  # the default of every service and of the gateway


def _chunks(total: int, size: int = 65_536) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * min(size, total - sent)
        sent += size


def test_an_oversized_form_is_refused_before_the_csrf_check(gateway: LiveServer) -> None:
    response = browser(gateway).post(
        "/sign-in",
        data={"email": "a@example.se", "password": "x" * (LIMIT + 1)},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 413  # not 403: nothing looked at the form or its CSRF token
    assert "för stort" in response.text
    assert "1,0 MB" in response.text


def test_a_chunked_body_without_a_length_is_counted_and_refused(gateway: LiveServer) -> None:
    response = browser(gateway).post(
        "/sign-in",
        content=_chunks(LIMIT + 100_000),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def test_the_proxy_streams_a_body_within_the_limit_and_refuses_one_beyond(
    signed_in: Callable[..., httpx.Client],
) -> None:
    client = signed_in("staff")
    token = csrf_of(client.get("/account").text)
    headers = {"X-CSRF-Token": token, "Content-Type": "text/plain"}
    fits = client.post("/api/meetings/v1/x", content=_chunks(300_000), headers=headers)
    assert fits.status_code == 200
    assert len(fits.json()["body"]) == 300_000
    too_big = client.post("/api/meetings/v1/x", content=_chunks(LIMIT + 100_000), headers=headers)
    assert too_big.status_code == 413
    declared = client.post("/api/meetings/v1/x", content=b"b" * (LIMIT + 1), headers=headers)
    assert declared.status_code == 413


def test_the_imports_take_more_than_the_default(signed_in: Callable[..., httpx.Client]) -> None:
    client = signed_in("staff")
    token = csrf_of(client.get("/account").text)
    text = b"x" * (LIMIT + 200_000)
    api = client.post(
        "/api/meetings/v1/imports",
        content=text,
        headers={"X-CSRF-Token": token, "Content-Type": "text/plain"},
    )
    assert api.status_code == 200
    assert len(api.json()["body"]) == len(text)
    page = client.post(
        "/imports", data={"csrf_token": token, "year": ""}, files={"file": ("big.txt", text, "text/plain")}
    )
    assert page.status_code != 413  # the page itself says the file is too big (500 kB)
