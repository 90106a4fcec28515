"""The gateway served for real (uvicorn, a free port) on real PostgreSQL and NATS.

Upstream is either a stand-in service that echoes what it got (`gateway`), or the real meetings app
on its own database (`gateway_on_meetings`), seeded through its API by `meetings_staff`.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from joserfc.jwk import OKPKey

from backbone.embedded import free_port
from backbone.http import IdentityRequired
from backbone.identity import Identity, KeyFiles, bearer_headers, load_signing_key, load_verifying_key
from backbone.testing import eventually, run_async
from gateway import accounts
from gateway.app import create_app
from gateway.settings import MIGRATIONS_DIR, Settings
from meetings.app import create_app as create_meetings_app
from meetings.settings import MIGRATIONS_DIR as MEETINGS_MIGRATIONS_DIR
from meetings.settings import Settings as MeetingsSettings

PASSWORD = "correct horse battery staple"


class LiveServer:
    """Serves an ASGI app with uvicorn in a thread, so tests talk HTTP to it like a browser would."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_config=None,
                access_log=False,
                lifespan="on",
                # As backbone's run_service: only the gateway's own trusted proxies count.
                proxy_headers=False,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        run_async(
            eventually(
                lambda: self.server.started or not self.thread.is_alive(),
                "the test server started",
                timeout=30,
                interval=0.02,
            )
        )
        if not self.server.started:
            raise RuntimeError("The test server stopped while starting; see the log above.")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def stand_in_service(name: str, key: OKPKey) -> FastAPI:
    """A service that, like the real ones, refuses requests without the gateway's identity, and echoes it."""
    app = FastAPI()
    app.add_middleware(IdentityRequired, service=name, key=key)

    @app.get("/v1/big/{size}")
    async def big(size: int, streamed: bool = False) -> Response:
        """An answer of `size` bytes, with its length, or streamed without one."""
        if streamed:
            return StreamingResponse(iter([b"x" * 65_536] * (size // 65_536) + [b"x" * (size % 65_536)]))
        return Response(b"x" * size, media_type="application/octet-stream")

    @app.get("/v1/hop-by-hop")
    async def hop_by_hop() -> Response:
        return Response(
            b"{}",
            headers={"Connection": "x-hop", "X-Hop": "1", "Trailer": "X-Sum", "X-Kept": "1"},
        )

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
            "headers": sorted(request.headers.keys()),
            "body": (await request.body()).decode(),
        }

    return app


@pytest.fixture(scope="session")
def upstream(identity_keys: KeyFiles) -> Iterator[LiveServer]:
    # Like a real service, it holds only the gateway's public key.
    with LiveServer(stand_in_service("meetings", load_verifying_key(str(identity_keys.public)))) as server:
        yield server


@pytest.fixture(scope="session")
def maildir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="session")
def settings(
    lasting_database: Callable[..., str],
    nats_server: Any,
    upstream: LiveServer,
    maildir: Path,
    identity_keys: KeyFiles,
) -> Settings:
    return Settings(
        database_url=lasting_database("gateway", MIGRATIONS_DIR),
        nats_url=nats_server.url,
        environment="test",
        identity_signing_key=str(identity_keys.signing),
        meetings_url=upstream.url,
        maildir=maildir,
        relay_poll_seconds=0.2,
    )


@pytest.fixture(scope="session")
def gateway(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings)) as server:
        yield server


@pytest.fixture(scope="module")
def meetings_app(lasting_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles) -> FastAPI:
    """The real meetings app on a database of its own (one per test module), holding the public key."""
    settings = MeetingsSettings(
        database_url=lasting_database("meetings", MEETINGS_MIGRATIONS_DIR),
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        environment="test",
        due_check_seconds=3600,
        relay_poll_seconds=0.2,
    )
    return create_meetings_app(settings)


@pytest.fixture(scope="module")
def meetings_service(meetings_app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(meetings_app) as server:
        yield server


def settings_in_front_of(
    lasting_database: Callable[..., str],
    nats_server: Any,
    identity_keys: KeyFiles,
    tmp_path_factory: pytest.TempPathFactory,
    **service_urls: str,
) -> Settings:
    """The gateway's settings, on a database of its own, in front of the real services given
    (`meetings_url=…`, `events_url=…`)."""
    return Settings(
        database_url=lasting_database("gateway", MIGRATIONS_DIR),
        nats_url=nats_server.url,
        environment="test",
        identity_signing_key=str(identity_keys.signing),
        maildir=tmp_path_factory.mktemp("mail"),
        relay_poll_seconds=0.2,
        **service_urls,
    )


@pytest.fixture(scope="module")
def real_settings(
    lasting_database: Callable[..., str],
    nats_server: Any,
    meetings_service: LiveServer,
    identity_keys: KeyFiles,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    """The gateway's settings in front of the real meetings service."""
    return settings_in_front_of(
        lasting_database, nats_server, identity_keys, tmp_path_factory, meetings_url=meetings_service.url
    )


@pytest.fixture(scope="module")
def gateway_on_meetings(real_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(real_settings)) as server:
        yield server


class ServiceStaff:
    """Seeds a real service directly through its API, as staff would through the gateway."""

    def __init__(self, service: LiveServer, keys: KeyFiles, audience: str) -> None:
        self.http = httpx.Client(base_url=service.url, timeout=30)
        self.key = load_signing_key(str(keys.signing))
        self.audience = audience

    def headers(self) -> dict[str, str]:
        who = Identity(subject="seed", roles=("staff",), name="Seed")
        return bearer_headers(who, key=self.key, audience=self.audience)

    def send(self, method: str, url: str, body: Any = None, expect: int = 201) -> Any:
        response = self.http.request(method, url, json=body, headers=self.headers())
        assert response.status_code == expect, (method, url, response.status_code, response.text)
        return response.json()


class MeetingsStaff(ServiceStaff):
    def __init__(self, meetings: LiveServer, keys: KeyFiles) -> None:
        super().__init__(meetings, keys, "meetings")


@pytest.fixture(scope="module")
def meetings_staff(meetings_service: LiveServer, identity_keys: KeyFiles) -> Iterator[MeetingsStaff]:
    staff = MeetingsStaff(meetings_service, identity_keys)
    yield staff
    staff.http.close()


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


def signed_in_as(
    gateway: LiveServer, settings: Settings, *user_roles: str, organisation: str | None = None
) -> httpx.Client:
    """A browser signed in to `gateway` as a new user with the given roles."""
    email = f"user-{uuid.uuid4().hex[:10]}@example.se"
    run(_make_user(settings.database_url, email, user_roles, organisation))
    client = browser(gateway)
    assert sign_in(client, email).status_code == 303
    return client
