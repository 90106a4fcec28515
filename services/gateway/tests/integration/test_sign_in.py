"""Signing in and out: sessions, cookies, CSRF, throttling and the audit trail."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator

import asyncpg
import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings

from .conftest import PASSWORD, LiveServer, browser, csrf_of, run, sign_in


@pytest.fixture(scope="module")
def proxied_gateway(settings: Settings) -> Iterator[LiveServer]:
    """The gateway behind a proxy on the loopback network (the tests' own address)."""
    trusted = settings.model_copy(
        update={"trusted_proxies": [ipaddress.ip_network("127.0.0.0/8")], "run_relay": False}
    )
    with LiveServer(create_app(trusted)) as server:
        yield server


def _failed_sign_in_addresses(settings: Settings, email: str) -> list[str]:
    async def read() -> list[str]:
        conn = await asyncpg.connect(settings.database_url)
        try:
            rows = await conn.fetch(
                "SELECT ip FROM audit_log WHERE action = 'sign_in_failed' AND actor_email = $1", email
            )
            return [row["ip"] for row in rows]
        finally:
            await conn.close()

    return list(run(read()))


def _sign_in_from(client: httpx.Client, email: str, forwarded_for: str) -> httpx.Response:
    page = client.get("/sign-in")
    return client.post(
        "/sign-in",
        data={"email": email, "password": "not the password", "csrf_token": csrf_of(page.text)},
        headers={"X-Forwarded-For": forwarded_for},
    )


def test_a_person_signs_in_and_gets_a_fresh_http_only_session(
    gateway: LiveServer, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    client = browser(gateway)
    client.get("/sign-in")
    response = sign_in(client, email)
    assert response.status_code == 303
    cookie = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookie if c.startswith("delaktig_session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie or "samesite=lax" in session_cookie.lower()
    start = client.get("/")
    assert start.status_code == 200
    assert "Hej" in start.text
    assert start.headers["cache-control"] == "no-store"


def test_a_session_id_from_before_sign_in_is_never_reused(
    gateway: LiveServer, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    client = browser(gateway)
    client.cookies.set("delaktig_session", "chosen-by-an-attacker", domain="127.0.0.1")
    response = sign_in(client, email)
    new_cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("delaktig_session="))
    assert "chosen-by-an-attacker" not in new_cookie


def test_a_wrong_password_is_refused_with_a_message(
    gateway: LiveServer, make_user: Callable[..., str]
) -> None:
    client = browser(gateway)
    response = sign_in(client, make_user("staff"), "wrong password here")
    assert response.status_code == 400
    assert "stämmer inte" in response.text
    assert 'href="#field-email"' in response.text


def test_repeated_failures_slow_down_the_attacker(gateway: LiveServer, make_user: Callable[..., str]) -> None:
    email = make_user("staff")
    attacker = browser(gateway)
    for _ in range(4):
        sign_in(attacker, email, "guess guess guess")
    # The right password from the attacker's address now has to wait too. (That the owner at another
    # address does not wait: test_behind_a_trusted_proxy_an_attacker_cannot_make_the_owner_wait.)
    assert "Vänta" in sign_in(attacker, email).text


def test_a_form_without_the_csrf_token_is_refused(gateway: LiveServer, make_user: Callable[..., str]) -> None:
    client = browser(gateway)
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": make_user("staff"), "password": PASSWORD})
    assert response.status_code == 403
    forged = client.post(
        "/sign-in", data={"email": "x@example.se", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403


def test_signing_out_everywhere_ends_every_session(
    gateway: LiveServer, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    laptop, phone = browser(gateway), browser(gateway)
    sign_in(laptop, email)
    sign_in(phone, email)
    account = laptop.get("/account")
    assert "2" in account.text
    laptop.post("/sign-out-everywhere", data={"csrf_token": csrf_of(account.text)})
    assert phone.get("/").status_code == 303
    assert laptop.get("/").status_code == 303


def test_sign_out_ends_the_session(signed_in: Callable[..., httpx.Client]) -> None:
    client = signed_in("staff")
    page = client.get("/account")
    assert client.post("/sign-out", data={"csrf_token": csrf_of(page.text)}).status_code == 303
    assert client.get("/account").status_code == 303


def test_administrators_see_sign_ins_in_the_audit_log(signed_in: Callable[..., httpx.Client]) -> None:
    admin = signed_in("administrator")
    log = admin.get("/admin/audit", params={"action": "signed_in"})
    assert log.status_code == 200
    assert "Loggade in" in log.text


def test_the_language_switch_changes_the_pages_to_english(gateway: LiveServer) -> None:
    client = browser(gateway)
    page = client.get("/sign-in")
    assert '<html lang="sv">' in page.text
    client.post("/language", data={"language": "en", "next": "/sign-in", "csrf_token": csrf_of(page.text)})
    english = client.get("/sign-in")
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text


def test_expired_sessions_are_refused_and_cleaned_up(
    gateway: LiveServer, make_user: Callable[..., str], settings: Settings
) -> None:
    client = browser(gateway)
    email = make_user("staff")
    sign_in(client, email)
    mine = "user_id = (SELECT id FROM users WHERE email = $1)"

    async def age_sessions_and_clean() -> int:
        conn = await asyncpg.connect(settings.database_url)
        try:
            await conn.execute(
                f"UPDATE sessions SET created_at = created_at - interval '13 hours' WHERE {mine}", email
            )
            from datetime import UTC, datetime, timedelta

            from gateway import sessions

            await sessions.delete_expired(
                conn, now=datetime.now(UTC), idle=timedelta(minutes=30), absolute=timedelta(hours=12)
            )
            return int(await conn.fetchval(f"SELECT count(*) FROM sessions WHERE {mine}", email))
        finally:
            await conn.close()

    assert client.get("/account").status_code == 200
    assert run(age_sessions_and_clean()) == 0
    assert client.get("/account").status_code == 303


def test_an_administrator_signs_a_person_out_everywhere(
    gateway: LiveServer,
    make_user: Callable[..., str],
    signed_in: Callable[..., httpx.Client],
    settings: Settings,
) -> None:
    email = make_user("staff")
    phone = browser(gateway)
    sign_in(phone, email)
    admin = signed_in("administrator")

    async def user_id() -> str:
        conn = await asyncpg.connect(settings.database_url)
        try:
            return str(await conn.fetchval("SELECT id FROM users WHERE email = $1", email))
        finally:
            await conn.close()

    page = admin.get(f"/admin/users/{run(user_id())}")
    done = admin.post(f"/admin/users/{run(user_id())}/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 303
    assert phone.get("/account").status_code == 303


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(
    gateway: LiveServer, make_user: Callable[..., str], settings: Settings
) -> None:
    email = make_user("staff")
    client = browser(gateway)
    # Without trusted proxies, anyone could name a fresh address in every request and never be slowed.
    for spoofed in ("203.0.113.1", "203.0.113.2"):
        _sign_in_from(client, email, spoofed)
    assert _failed_sign_in_addresses(settings, email) == ["127.0.0.1", "127.0.0.1"]


def test_behind_a_trusted_proxy_the_address_is_the_last_untrusted_hop(
    proxied_gateway: LiveServer, make_user: Callable[..., str], settings: Settings
) -> None:
    email = make_user("staff")
    client = browser(proxied_gateway)
    # The client may write anything at the left; the proxy appends the address it saw.
    _sign_in_from(client, email, "198.51.100.66, 203.0.113.10")
    # Two proxies of our own (both on a trusted network): the client is the hop before them.
    _sign_in_from(client, email, "203.0.113.11, 127.0.0.5")
    assert _failed_sign_in_addresses(settings, email) == ["203.0.113.10", "203.0.113.11"]


def test_behind_a_trusted_proxy_no_forwarded_address_is_taken_when_every_hop_is_trusted(
    proxied_gateway: LiveServer, make_user: Callable[..., str], settings: Settings
) -> None:
    email = make_user("staff")
    # Only trusted addresses: the leftmost one is still the client's own writing, so the peer counts.
    _sign_in_from(browser(proxied_gateway), email, "127.0.0.77, 127.0.0.5")
    assert _failed_sign_in_addresses(settings, email) == ["127.0.0.1"]


def test_behind_a_trusted_proxy_an_attacker_cannot_make_the_owner_wait(
    proxied_gateway: LiveServer, make_user: Callable[..., str]
) -> None:
    email = make_user("staff")
    attacker = browser(proxied_gateway)
    for _ in range(6):
        _sign_in_from(attacker, email, "203.0.113.66")
    assert "Vänta" in _sign_in_from(attacker, email, "203.0.113.66").text
    owner = browser(proxied_gateway)
    page = owner.get("/sign-in")
    response = owner.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        headers={"X-Forwarded-For": "198.51.100.20"},
    )
    assert response.status_code == 303


def _sign_out(client: httpx.Client) -> None:
    token = csrf_of(client.get("/account").text)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 303


def _account_under_attack(settings: Settings, email: str) -> None:
    """As if guesses from many addresses had failed on the account just now."""

    async def write() -> None:
        conn = await asyncpg.connect(settings.database_url)
        try:
            await conn.execute(
                "INSERT INTO sign_in_failures (email, ip, failures, last_failure_at)"
                " VALUES ($1, '', 1000, now())"
                " ON CONFLICT (email, ip) DO UPDATE SET failures = 1000, last_failure_at = now()",
                email.lower(),
            )
        finally:
            await conn.close()

    run(write())


def test_under_attack_from_many_addresses_only_a_browser_that_signed_in_before_goes_straight_in(
    gateway: LiveServer, make_user: Callable[..., str], settings: Settings
) -> None:
    email = make_user("staff")
    known = browser(gateway)
    assert sign_in(known, email).status_code == 303
    _sign_out(known)
    _account_under_attack(settings, email)
    # A new device is slowed (not locked: the wait is at most a minute) ...
    refused = sign_in(browser(gateway), email)
    assert refused.status_code == 400 and "Vänta" in refused.text
    # It has not tried many times itself, and hears why it waits.
    assert "Många försök att logga in på kontot har misslyckats" in refused.text
    # ... while the owner's browser, marked at its last sign-in, is let through.
    assert sign_in(known, email).status_code == 303
    # The mark is for that account only: another account under attack slows this browser too.
    _sign_out(known)
    other = make_user("staff")
    _account_under_attack(settings, other)
    assert "Vänta" in sign_in(known, other).text
