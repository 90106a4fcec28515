"""`python -m gateway create-user` and `demo-admin`: the accounts `make run` and operators create."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx

from backbone.embedded import free_port, port_open, wait_until_ready
from gateway.settings import Settings

from .conftest import LiveServer, browser, csrf_of, run, sign_in


def _gateway_command(
    settings: Settings, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GATEWAY_DATABASE_URL": settings.database_url,
        "GATEWAY_ENVIRONMENT": "development",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_demo_sign_in_printed_by_make_run_works(gateway: LiveServer, settings: Settings) -> None:
    done = _gateway_command(settings, "demo-admin")
    assert done.returncode == 0, done.stderr
    email, password = done.stdout.strip().split(" / ")
    assert sign_in(browser(gateway), email, password).status_code == 303
    # Running it again (the next `make run`) keeps the printed sign-in working.
    again = _gateway_command(settings, "demo-admin")
    assert again.stdout == done.stdout
    assert sign_in(browser(gateway), email, password).status_code == 303


def test_there_is_no_demo_administrator_in_production(settings: Settings) -> None:
    done = _gateway_command(
        settings,
        "demo-admin",
        GATEWAY_ENVIRONMENT="production",
        GATEWAY_BEHIND_TLS="true",
        GATEWAY_SECRET_KEY="a-real-secret-of-at-least-32-characters",
        GATEWAY_IDENTITY_SIGNING_KEY=settings.identity_signing_key or "",
        GATEWAY_METRICS_TOKEN="a-scrape-token-of-24-characters",
    )
    assert done.returncode != 0
    assert "only in development" in done.stderr


def test_an_operator_creates_an_account_from_the_command_line(
    gateway: LiveServer, settings: Settings
) -> None:
    # The password comes on standard input, never in the arguments (shell history, `ps`).
    done = _gateway_command(
        settings,
        "create-user",
        "--email",
        "operator.made@example.se",
        "--name",
        "Olle",
        "--password-stdin",
        "--role",
        "staff",
        stdin="a long password 2026\n",
    )
    assert done.returncode == 0, done.stderr
    assert sign_in(browser(gateway), "operator.made@example.se", "a long password 2026").status_code == 303
    weak = _gateway_command(
        settings,
        "create-user",
        "--email",
        "weak@example.se",
        "--name",
        "W",
        "--password-stdin",
        "--role",
        "staff",
        stdin="short\n",
    )
    assert weak.returncode != 0
    assert "12" in weak.stderr


def test_a_password_on_the_command_line_is_refused(settings: Settings) -> None:
    done = _gateway_command(
        settings,
        "create-user",
        "--email",
        "argv.password@example.se",
        "--name",
        "Argv",
        "--password",
        "a long password 2026",
        "--role",
        "staff",
    )
    assert done.returncode != 0
    assert "--password-stdin" in done.stderr


def test_the_served_gateway_believes_no_forwarded_header_on_uvicorns_word(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "gateway.log"
    environment = {
        **os.environ,
        "GATEWAY_DATABASE_URL": settings.database_url,
        "GATEWAY_NATS_URL": settings.nats_url,
        "GATEWAY_ENVIRONMENT": "development",
        "GATEWAY_HTTP_HOST": "127.0.0.1",
        "GATEWAY_HTTP_PORT": str(port),
        # uvicorn's own switch, which would believe anyone's X-Forwarded-For.
        "FORWARDED_ALLOW_IPS": "*",
    }
    with log.open("wb") as output:
        served = subprocess.Popen(
            [sys.executable, "-m", "gateway", "api"], env=environment, stdout=output, stderr=output
        )
    try:
        wait_until_ready(lambda: port_open(port), "the gateway", 60, served, log)
        email = f"forwarded-{uuid.uuid4().hex[:8]}@example.se"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            page = client.get("/sign-in")
            client.post(
                "/sign-in",
                data={"email": email, "password": "not the password", "csrf_token": csrf_of(page.text)},
                headers={"X-Forwarded-For": "203.0.113.99"},
            )
    finally:
        served.terminate()
        served.wait(30)

    async def addresses() -> list[str]:
        conn = await asyncpg.connect(settings.database_url)
        try:
            rows = await conn.fetch(
                "SELECT ip FROM audit_log WHERE action = 'sign_in_failed' AND actor_email = $1", email
            )
            return [row["ip"] for row in rows]
        finally:
            await conn.close()

    assert run(addresses()) == ["127.0.0.1"]
