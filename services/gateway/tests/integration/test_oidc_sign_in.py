"""Single sign-on against a small OIDC provider the test runs itself (authorization code + PKCE)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from backbone.embedded import free_port
from gateway.app import create_app
from gateway.settings import Settings

from .conftest import LiveServer, browser
from .oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, LiveServer]]:
    idp = Provider()
    with LiveServer(idp.app) as server:
        idp.issuer = server.url
        yield idp, server


@pytest.fixture(scope="module")
def sso_gateway(settings: Settings, provider: tuple[Provider, LiveServer]) -> Iterator[LiveServer]:
    port = free_port()
    sso_settings = settings.model_copy(
        update={
            "oidc_issuer": provider[1].url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_redirect_url": f"http://127.0.0.1:{port}/sign-in/sso/callback",
            "run_relay": False,
        }
    )
    with LiveServer(create_app(sso_settings), port=port) as server:
        yield server


def _single_sign_on(client: httpx.Client) -> httpx.Response:
    """Follows the browser's way: gateway → provider → back to the gateway's callback."""
    to_provider = client.get("/sign-in/sso", params={"next": "/account"})
    assert to_provider.status_code == 303
    back = httpx.get(to_provider.headers["location"], follow_redirects=False)
    assert back.status_code == 302
    callback = httpx.URL(back.headers["location"])
    return client.get(callback.path, params=dict(callback.params))


def test_a_person_with_an_account_signs_in_through_the_provider(
    sso_gateway: LiveServer, provider: tuple[Provider, LiveServer], make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    provider[0].next_user = {"sub": "employee-42", "email": email, "email_verified": True}
    client = browser(sso_gateway)
    assert "kommunens inloggning" in client.get("/sign-in").text
    done = _single_sign_on(client)
    assert done.status_code == 303
    assert done.headers["location"] == "/account"
    assert email in client.get("/account").text
    # The second time the account is found by the provider's subject, even with another e-mail.
    provider[0].next_user = {"sub": "employee-42", "email": "changed@example.se", "email_verified": True}
    again = browser(sso_gateway)
    assert _single_sign_on(again).status_code == 303


def test_someone_without_an_account_is_refused(
    sso_gateway: LiveServer, provider: tuple[Provider, LiveServer]
) -> None:
    provider[0].next_user = {"sub": "stranger", "email": "stranger@example.se", "email_verified": True}
    client = browser(sso_gateway)
    assert _single_sign_on(client).status_code == 403
    assert client.get("/account").status_code == 303


def test_an_unverified_email_does_not_link_an_account(
    sso_gateway: LiveServer, provider: tuple[Provider, LiveServer], make_user: Callable[..., str]
) -> None:
    provider[0].next_user = {"sub": "sneaky", "email": make_user("administrator"), "email_verified": False}
    assert _single_sign_on(browser(sso_gateway)).status_code == 403


def test_a_callback_with_an_unknown_state_is_refused(sso_gateway: LiveServer) -> None:
    response = browser(sso_gateway).get("/sign-in/sso/callback", params={"code": "x", "state": "forged"})
    assert response.status_code == 403
