"""Served over TLS: `__Host-` Secure cookies and HSTS; in production there is no local mailbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.routing import iter_route_contexts

from gateway.app import create_app
from gateway.settings import Settings

from .conftest import PASSWORD, LiveServer, browser, csrf_of


@pytest.fixture(scope="module")
def tls_gateway(settings: Settings) -> Iterator[LiveServer]:
    # The TLS itself is a proxy's job; the gateway is told it is behind one.
    with LiveServer(
        create_app(settings.model_copy(update={"behind_tls": True, "run_relay": False}))
    ) as server:
        yield server


def test_the_session_cookie_gets_the_host_prefix_and_secure(
    tls_gateway: LiveServer, make_user: Callable[..., str]
) -> None:
    client = browser(tls_gateway)
    form = client.get("/sign-in")
    pre = next(c for c in form.headers.get_list("set-cookie") if c.startswith("__Host-delaktig_pre="))
    assert "Secure" in pre
    # Over plain HTTP the client keeps Secure cookies to itself; send it as a browser on HTTPS would.
    response = client.post(
        "/sign-in",
        data={"email": make_user("staff"), "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        headers={"Cookie": pre.split(";", 1)[0]},
    )
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-delaktig_session=")
    )
    assert "Secure" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie
    assert "HttpOnly" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_production_has_no_local_mailbox(settings: Settings) -> None:
    production = settings.model_copy(
        update={
            "environment": "production",
            "behind_tls": True,
            "secret_key": "a-real-secret-of-at-least-32-characters",
            "metrics_token": "a-scrape-token-of-24-characters",
        }
    )
    paths = {context.path for context in iter_route_contexts(create_app(production).routes)}
    assert "/dev/mailbox" not in paths
    assert "/meetings" in paths


def test_production_refuses_development_secrets(settings: Settings) -> None:
    real = {"secret_key": "s" * 32, "identity_signing_key": settings.identity_signing_key}
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(**{**real, "secret_key": "development-only-secret-key-change-me"}, behind_tls=True)
    with pytest.raises(ValueError, match="TLS"):
        Settings(environment="production", **real)
    with pytest.raises(ValueError, match="METRICS_TOKEN"):
        Settings(environment="production", **real, behind_tls=True)


def test_the_flash_cookie_is_secure_behind_tls(
    tls_gateway: LiveServer, make_user: Callable[..., str]
) -> None:
    client = browser(tls_gateway)
    form = client.get("/sign-in")
    pre = next(c for c in form.headers.get_list("set-cookie") if c.startswith("__Host-delaktig_pre="))
    response = client.post(
        "/sign-in",
        data={"email": make_user("staff"), "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        headers={"Cookie": pre.split(";", 1)[0]},
    )
    flash_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("delaktig_flash="))
    assert "Secure" in flash_cookie
