"""The gateway served for real (uvicorn, a free port) on real PostgreSQL and NATS, and a stand-in service."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from backbone.embedded import free_port
from backbone.http import IdentityRequired
from backbone.testing import run_async
from gateway import accounts
from gateway.app import create_app
from gateway.settings import MIGRATIONS_DIR, Settings

PASSWORD = "correct horse battery staple"


class LiveServer:
    """Serves an ASGI app with uvicorn in a thread, so tests talk HTTP to it like a browser would."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_config=None, access_log=False, lifespan="on"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("The test server did not start.")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def stand_in_service(name: str, key: str) -> FastAPI:
    """A service that, like the real ones, refuses requests without the gateway's identity, and echoes it."""
    app = FastAPI()
    app.add_middleware(IdentityRequired, service=name, key=key)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def echo(path: str, request: Request) -> dict[str, Any]:
        identity = request.state.identity
        return {
            "path": path,
            "method": request.method,
            "subject": identity.subject,
            "roles": list(identity.roles),
            "organisation": identity.organisation_id,
            "cookie": request.headers.get("cookie"),
            "body": (await request.body()).decode(),
        }

    return app


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(stand_in_service("meetings", Settings().gateway_signing_key)) as server:
        yield server


@pytest.fixture(scope="session")
def maildir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="session")
def settings(
    make_database: Callable[..., str], nats_server: Any, upstream: LiveServer, maildir: Path
) -> Settings:
    return Settings(
        database_url=make_database("gateway", MIGRATIONS_DIR),
        nats_url=nats_server.url,
        environment="test",
        meetings_url=upstream.url,
        maildir=maildir,
        relay_poll_seconds=0.2,
    )


@pytest.fixture(scope="session")
def gateway(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings)) as server:
        yield server


def run(coro: Any) -> Any:
    return run_async(coro)


async def _make_user(dsn: str, email: str, roles: tuple[str, ...], organisation: str | None) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await accounts.create_user(
            conn,
            new=accounts.NewUser(
                email=email,
                name=email.split("@")[0].title(),
                roles=roles,
                password=PASSWORD,
                organisation_id=organisation,
            ),
            actor=(None, "test"),
            ip=None,
        )
    finally:
        await conn.close()


@pytest.fixture
def make_user(settings: Settings) -> Callable[..., str]:
    """Creates a user with a unique e-mail address and the test password; returns the address."""

    def make(*roles: str, organisation: str | None = None) -> str:
        email = f"user-{uuid.uuid4().hex[:10]}@example.se"
        run(_make_user(settings.database_url, email, roles, organisation))
        return email

    return make


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def browser(gateway: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, follow_redirects=False, timeout=30)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/sign-in")
    return client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/"}
    )


@pytest.fixture
def signed_in(gateway: LiveServer, make_user: Callable[..., str]) -> Callable[..., httpx.Client]:
    """A client signed in as a new user with the given roles."""

    def make(*roles: str, organisation: str | None = None) -> httpx.Client:
        client = browser(gateway)
        response = sign_in(client, make_user(*roles, organisation=organisation))
        assert response.status_code == 303, response.text
        return client

    return make
