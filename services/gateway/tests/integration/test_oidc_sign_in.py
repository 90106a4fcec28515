"""Single sign-on against a small OIDC provider the test runs itself (authorization code + PKCE)."""

from __future__ import annotations

import ipaddress
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import pytest

from backbone.embedded import free_port
from backbone.testing import eventually
from gateway import oidc
from gateway.app import create_app
from gateway.settings import Settings

from .conftest import LiveServer, browser, run
from .oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider


@contextmanager
def serve_provider() -> Iterator[Provider]:
    idp = Provider()
    with LiveServer(idp.app) as server:
        idp.issuer = server.url
        yield idp


@contextmanager
def serve_gateway(settings: Settings, idp: Provider, **updates: Any) -> Iterator[LiveServer]:
    port = free_port()
    sso_settings = settings.model_copy(
        update={
            "oidc_issuer": idp.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_redirect_url": f"http://127.0.0.1:{port}/sign-in/sso/callback",
            "run_relay": False,
            # Short, so the test of the periodic cleanup does not wait ten minutes.
            "cleanup_every_seconds": 0.2,
            **updates,
        }
    )
    with LiveServer(create_app(sso_settings), port=port) as server:
        yield server


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with serve_provider() as idp:
        yield idp


@pytest.fixture(scope="module")
def sso_gateway(settings: Settings, provider: Provider) -> Iterator[LiveServer]:
    with serve_gateway(settings, provider) as server:
        yield server


def _to_callback(
    client: httpx.Client, headers: dict[str, str] | None = None, next_path: str = "/account"
) -> httpx.URL:
    """The browser's way there: gateway → provider, which answers with the callback to the gateway."""
    to_provider = client.get("/sign-in/sso", params={"next": next_path}, headers=headers)
    assert to_provider.status_code == 303, to_provider.text
    back = httpx.get(to_provider.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    return httpx.URL(back.headers["location"])


def _callback(client: httpx.Client, url: httpx.URL, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.get(url.path, params=dict(url.params), headers=headers)


def _single_sign_on(client: httpx.Client) -> httpx.Response:
    return _callback(client, _to_callback(client))


def _pre_session(client: httpx.Client) -> dict[str, str]:
    """The browser's pre-session cookie as a header, to send it from another client as the same browser."""
    return {"Cookie": f"delaktig_pre={client.cookies['delaktig_pre']}"}


def _sql(settings: Settings, query: str, *args: object) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(settings.database_url)
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    return run(go())


def test_a_person_with_an_account_signs_in_through_the_provider(
    sso_gateway: LiveServer, provider: Provider, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    provider.next_user = {"sub": "employee-42", "email": email, "email_verified": True}
    client = browser(sso_gateway)
    assert "kommunens inloggning" in client.get("/sign-in").text
    done = _single_sign_on(client)
    assert done.status_code == 303
    assert done.headers["location"] == "/account"
    assert email in client.get("/account").text
    # The second time the account is found by the provider's subject, even with another e-mail.
    provider.next_user = {"sub": "employee-42", "email": "changed@example.se", "email_verified": True}
    again = browser(sso_gateway)
    assert _single_sign_on(again).status_code == 303


def test_the_authorization_request_uses_pkce_with_s256(sso_gateway: LiveServer, provider: Provider) -> None:
    _to_callback(browser(sso_gateway))
    request = provider.authorization_requests[-1]
    assert request["code_challenge_method"] == "S256"
    assert len(request["code_challenge"]) == 43  # base64url of a SHA-256 digest


def test_someone_without_an_account_is_refused(sso_gateway: LiveServer, provider: Provider) -> None:
    provider.next_user = {"sub": "stranger", "email": "stranger@example.se", "email_verified": True}
    client = browser(sso_gateway)
    assert _single_sign_on(client).status_code == 403
    assert client.get("/account").status_code == 303


@pytest.mark.parametrize("verified", [False, "false", "true", 1, None])
def test_only_the_json_true_counts_as_a_verified_email(
    sso_gateway: LiveServer, provider: Provider, make_user: Callable[..., str], verified: object
) -> None:
    provider.next_user = {"sub": f"sneaky-{verified!r}", "email": make_user("staff")}
    if verified is not None:
        provider.next_user["email_verified"] = verified
    assert _single_sign_on(browser(sso_gateway)).status_code == 403


def test_a_callback_with_an_unknown_state_is_refused(sso_gateway: LiveServer) -> None:
    response = browser(sso_gateway).get("/sign-in/sso/callback", params={"code": "x", "state": "forged"})
    assert response.status_code == 403


def test_a_callback_only_works_in_the_browser_that_started_the_sign_in(
    sso_gateway: LiveServer, provider: Provider, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    provider.next_user = {"sub": "employee-browser", "email": email, "email_verified": True}
    victim = browser(sso_gateway)
    url = _to_callback(victim)
    # The callback URL seen in a proxy log, opened in another browser (with and without its own cookie).
    stranger = browser(sso_gateway)
    assert _callback(stranger, url).status_code == 403
    stranger.get("/sign-in")
    assert _callback(stranger, url).status_code == 403
    assert stranger.get("/account").status_code == 303
    # The refusals did not use up the person's own sign-in.
    assert _callback(victim, url).status_code == 303
    assert email in victim.get("/account").text


def test_old_attempts_are_refused_and_cleaned_up(
    sso_gateway: LiveServer, provider: Provider, settings: Settings, make_user: Callable[..., str]
) -> None:
    provider.next_user = {"sub": "employee-slow", "email": make_user("staff"), "email_verified": True}
    client = browser(sso_gateway)
    url = _to_callback(client)
    state = url.params["state"]
    age = "UPDATE oidc_attempts SET created_at = now() - interval '11 minutes' WHERE state = $1"
    _sql(settings, age, state)
    assert _callback(client, url).status_code == 403
    run(
        eventually(
            lambda: _sql(settings, "SELECT count(*) FROM oidc_attempts WHERE state = $1", state) == 0,
            "the periodic cleanup removes the old attempt",
            timeout=10,
        )
    )


def test_a_discovery_document_for_another_issuer_is_refused(settings: Settings) -> None:
    with serve_provider() as idp, serve_gateway(settings, idp) as gateway:
        idp.discovery_issuer = "https://evil.example"
        response = browser(gateway).get("/sign-in/sso")
        assert response.status_code == 502
        assert "location" not in response.headers


def test_a_rotated_signing_key_is_fetched_when_it_is_first_seen(
    settings: Settings, make_user: Callable[..., str]
) -> None:
    with serve_provider() as idp, serve_gateway(settings, idp) as gateway:
        idp.next_user = {"sub": "employee-rotated", "email": make_user("staff"), "email_verified": True}
        assert _single_sign_on(browser(gateway)).status_code == 303
        idp.rotate_key()
        assert _single_sign_on(browser(gateway)).status_code == 303
        assert idp.jwks_requests == 2


def test_behind_tls_the_pre_session_cookie_gets_the_host_prefix(
    settings: Settings, provider: Provider, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    provider.next_user = {"sub": "employee-tls", "email": email, "email_verified": True}
    with serve_gateway(settings, provider, behind_tls=True) as gateway:
        client = browser(gateway)
        start = client.get("/sign-in/sso", params={"next": "/account"})
        pre = next(c for c in start.headers.get_list("set-cookie") if c.startswith("__Host-delaktig_pre="))
        assert "Secure" in pre
        assert "HttpOnly" in pre
        assert "samesite=lax" in pre.lower()
        assert "Path=/" in pre
        assert "Domain" not in pre
        # Over plain HTTP the client keeps Secure cookies to itself; send it as a browser on HTTPS would.
        cookie = {"Cookie": pre.split(";", 1)[0]}
        back = httpx.get(start.headers["location"], follow_redirects=False)
        done = _callback(client, httpx.URL(back.headers["location"]), headers=cookie)
        assert done.status_code == 303, done.text
        assert any(c.startswith("__Host-delaktig_session=") for c in done.headers.get_list("set-cookie"))


def _oidc_subject(settings: Settings, email: str) -> str | None:
    return _sql(settings, "SELECT oidc_subject FROM users WHERE email = $1", email)  # type: ignore[no-any-return]


def test_an_administrator_account_is_never_linked_by_its_email(
    sso_gateway: LiveServer, provider: Provider, settings: Settings, make_user: Callable[..., str]
) -> None:
    # Whoever controls an account at the provider with this e-mail address would own the whole site.
    email = make_user("staff", "administrator")
    provider.next_user = {"sub": "takeover", "email": email, "email_verified": True}
    client = browser(sso_gateway)
    refused = _single_sign_on(client)
    assert refused.status_code == 403
    assert "e-post och lösenord" in refused.text
    assert client.get("/account").status_code == 303
    assert _oidc_subject(settings, email) is None
    failed = "SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed' AND actor_email = $1"
    assert _sql(settings, failed, email) == 1


def test_a_deactivated_account_is_not_linked(
    sso_gateway: LiveServer, provider: Provider, settings: Settings, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    _sql(settings, "UPDATE users SET active = false WHERE email = $1 RETURNING id", email)
    provider.next_user = {"sub": "employee-gone", "email": email, "email_verified": True}
    assert _single_sign_on(browser(sso_gateway)).status_code == 403
    assert _oidc_subject(settings, email) is None


def test_linking_an_account_to_the_provider_is_in_the_audit_log(
    sso_gateway: LiveServer, provider: Provider, settings: Settings, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    subject = f"employee-{uuid.uuid4().hex[:8]}"
    provider.next_user = {"sub": subject, "email": email, "email_verified": True}
    assert _single_sign_on(browser(sso_gateway)).status_code == 303
    linked = "SELECT detail->>'subject' FROM audit_log WHERE action = 'oidc_linked' AND actor_email = $1"
    assert _sql(settings, linked, email) == f"{provider.issuer}|{subject}"


def test_the_link_query_links_only_an_account_that_is_not_linked_yet(
    settings: Settings, make_user: Callable[..., str]
) -> None:
    """Two callbacks with different subjects and the same e-mail address both found the account unlinked."""
    email = make_user("staff")
    user_id = _sql(settings, "SELECT id FROM users WHERE email = $1", email)

    async def both() -> tuple[Any, Any]:
        conn = await asyncpg.connect(settings.database_url)
        try:
            first = await oidc.Q.link_oidc_subject.fetchrow(conn, id=user_id, oidc_subject="idp|first")
            second = await oidc.Q.link_oidc_subject.fetchrow(conn, id=user_id, oidc_subject="idp|second")
            return first, second
        finally:
            await conn.close()

    first, second = run(both())
    assert _oidc_subject(settings, email) == "idp|first", "the first link stays"
    assert first is not None
    assert second is None


def test_the_same_callback_twice_in_the_same_browser_signs_in_once(
    sso_gateway: LiveServer, provider: Provider, make_user: Callable[..., str]
) -> None:
    provider.next_user = {"sub": "employee-replay", "email": make_user("staff"), "email_verified": True}
    client = browser(sso_gateway)
    url = _to_callback(client)
    cookie = _pre_session(client)
    assert _callback(client, url).status_code == 303
    # Signing in ends the pre-session in the browser; a replay sends the same cookie again.
    replay = browser(sso_gateway)
    assert _callback(replay, url, headers=cookie).status_code == 403
    assert replay.get("/account", headers=cookie).status_code == 303


def test_two_callbacks_at_once_sign_in_once(
    sso_gateway: LiveServer, provider: Provider, make_user: Callable[..., str]
) -> None:
    provider.next_user = {"sub": "employee-twice", "email": make_user("staff"), "email_verified": True}
    client = browser(sso_gateway)
    url = _to_callback(client)
    cookie = _pre_session(client)
    together = threading.Barrier(2)

    def one(_: int) -> int:
        with browser(sso_gateway) as tab:
            together.wait(10)
            return _callback(tab, url, headers=cookie).status_code

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(one, range(2))) == [303, 403]


@pytest.mark.parametrize(
    "evil", ["//evil.example", "https://evil.example", "/\t/evil.example", "/\\evil.example"]
)
def test_single_sign_on_never_sends_the_browser_to_another_site(
    sso_gateway: LiveServer, provider: Provider, make_user: Callable[..., str], evil: str
) -> None:
    email = make_user("staff")
    provider.next_user = {"sub": f"employee-next-{evil!r}", "email": email, "email_verified": True}
    client = browser(sso_gateway)
    done = _callback(client, _to_callback(client, next_path=evil))
    assert done.status_code == 303
    assert done.headers["location"] == "/"


def test_a_browser_keeps_only_its_latest_few_attempts(
    sso_gateway: LiveServer, provider: Provider, settings: Settings, make_user: Callable[..., str]
) -> None:
    provider.next_user = {"sub": "employee-many", "email": make_user("staff"), "email_verified": True}
    client = browser(sso_gateway)
    urls = [_to_callback(client) for _ in range(oidc.ATTEMPTS_PER_BROWSER + 2)]
    hashed = oidc.browser_hash(client.cookies["delaktig_pre"])
    count = "SELECT count(*) FROM oidc_attempts WHERE browser_hash = $1"
    assert _sql(settings, count, hashed) == oidc.ATTEMPTS_PER_BROWSER
    assert _callback(client, urls[0]).status_code == 403, "the oldest attempt is gone"
    assert _callback(client, urls[-1]).status_code == 303, "the newest one works"


def test_one_address_cannot_start_unlimited_attempts(settings: Settings, provider: Provider) -> None:
    # Believing X-Forwarded-For from the test gives each test its own client address.
    local = [ipaddress.ip_network("127.0.0.1/32")]
    with serve_gateway(settings, provider, trusted_proxies=local) as gateway:

        def start(address: str) -> int:
            # A new browser each time: no pre-session cookie, so the per-browser limit does not apply.
            answer = httpx.get(f"{gateway.url}/sign-in/sso", headers={"X-Forwarded-For": address})
            return answer.status_code

        allowed = [start("203.0.113.7") for _ in range(oidc.ATTEMPTS_PER_ADDRESS)]
        assert allowed == [303] * oidc.ATTEMPTS_PER_ADDRESS
        refused = httpx.get(f"{gateway.url}/sign-in/sso", headers={"X-Forwarded-For": "203.0.113.7"})
        assert refused.status_code == 429
        assert "försök igen" in refused.text.lower()
        assert start("203.0.113.8") == 303, "another address is not held back"
        held = "SELECT count(*) FROM oidc_attempts WHERE client_ip = $1"
        assert _sql(settings, held, "203.0.113.7") == oidc.ATTEMPTS_PER_ADDRESS


def test_a_provider_that_hangs_does_not_hold_a_database_connection(
    settings: Settings, make_user: Callable[..., str]
) -> None:
    with serve_provider() as idp, serve_gateway(settings, idp, pool_min_size=1, pool_max_size=1) as gateway:
        idp.next_user = {"sub": "employee-waiting", "email": make_user("staff"), "email_verified": True}
        client = browser(gateway)
        url = _to_callback(client)
        idp.hanging.add("token")
        with ThreadPoolExecutor(1) as pool:
            try:
                waiting = pool.submit(_callback, client, url)
                run(
                    eventually(
                        lambda: idp.hung == 1, "the callback waiting for the token endpoint", timeout=10
                    )
                )
                # The pool's only connection serves the sign-in page meanwhile (the timeout only
                # ends the test sooner when the connection is held).
                page = httpx.get(f"{gateway.url}/sign-in", timeout=5)
                assert page.status_code == 200
                assert not waiting.done()
            finally:
                idp.hanging.clear()
            assert waiting.result().status_code in (303, 502)


@pytest.mark.parametrize("endpoint", ["discovery", "token"])
def test_a_provider_that_does_not_answer_in_time_gets_a_page_that_says_so(
    settings: Settings, make_user: Callable[..., str], monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    monkeypatch.setattr(oidc, "SIGN_IN_DEADLINE", 0.5)
    with serve_provider() as idp, serve_gateway(settings, idp) as gateway:
        idp.next_user = {"sub": f"employee-{endpoint}", "email": make_user("staff"), "email_verified": True}
        client = browser(gateway)
        # Discovery hangs on the way to the provider; the token endpoint on the way back.
        target = httpx.URL("/sign-in/sso") if endpoint == "discovery" else _to_callback(client)
        idp.hanging.add(endpoint)
        try:
            response = client.get(target.path, params=dict(target.params), timeout=10)
        finally:
            idp.hanging.clear()
        assert response.status_code == 502
        assert "svarar inte" in response.text


def test_a_token_reply_that_is_not_json_gets_a_page_that_says_so(
    settings: Settings, make_user: Callable[..., str]
) -> None:
    with serve_provider() as idp, serve_gateway(settings, idp) as gateway:
        idp.next_user = {"sub": "employee-html", "email": make_user("staff"), "email_verified": True}
        client = browser(gateway)
        url = _to_callback(client)
        idp.token_not_json = True
        response = _callback(client, url)
        assert response.status_code == 502
        assert "svarar inte" in response.text
