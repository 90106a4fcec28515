"""Signing in and out: sessions, cookies, CSRF, throttling and the audit trail."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import httpx

from gateway.settings import Settings

from .conftest import PASSWORD, LiveServer, browser, csrf_of, run, sign_in


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


def test_repeated_failures_slow_down_the_attacker_but_not_the_owner_elsewhere(
    gateway: LiveServer, make_user: Callable[..., str], settings: Settings
) -> None:
    email = make_user("staff")
    attacker = browser(gateway)
    for _ in range(4):
        sign_in(attacker, email, "guess guess guess")
    # The right password from the attacker's address now has to wait too.
    assert "Vänta" in sign_in(attacker, email).text

    # The owner, from another address, is not locked out.
    async def owner_elsewhere() -> int:
        conn = await asyncpg.connect(settings.database_url)
        try:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM sign_in_failures WHERE email = lower($1) AND ip <> '127.0.0.1'",
                    email,
                )
            )
        finally:
            await conn.close()

    assert run(owner_elsewhere()) == 0


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
