"""`python -m gateway create-user` and `demo-admin`: the accounts `make run` and operators create."""

from __future__ import annotations

import os
import subprocess
import sys

from gateway.settings import Settings

from .conftest import LiveServer, browser, sign_in


def _gateway_command(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GATEWAY_DATABASE_URL": settings.database_url,
        "GATEWAY_ENVIRONMENT": "development",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args], env=environment, capture_output=True, text=True, timeout=60
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
        GATEWAY_SECRET_KEY="a-real-secret",
        GATEWAY_GATEWAY_SIGNING_KEY="another-real-secret",
        GATEWAY_METRICS_TOKEN="a-scrape-token",
    )
    assert done.returncode != 0
    assert "only in development" in done.stderr


def test_an_operator_creates_an_account_from_the_command_line(
    gateway: LiveServer, settings: Settings
) -> None:
    done = _gateway_command(
        settings,
        "create-user",
        "--email",
        "operator.made@example.se",
        "--name",
        "Olle",
        "--password",
        "a long password 2026",
        "--role",
        "staff",
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
        "--password",
        "short",
        "--role",
        "staff",
    )
    assert weak.returncode != 0
