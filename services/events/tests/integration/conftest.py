"""An events app on a fresh database per test, driven over HTTP with gateway-signed identities."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from joserfc.jwk import OKPKey

from backbone.identity import Identity, KeyFiles, bearer_headers, load_signing_key
from events.app import create_app
from events.settings import MIGRATIONS_DIR, Settings


class Client:
    """An HTTP client for the app, plus the database behind it for checking the outbox."""

    def __init__(self, http: httpx.AsyncClient, dsn: str, settings: Settings, key: OKPKey, app: Any) -> None:
        self.app = app
        self.http = http
        self.dsn = dsn
        self.settings = settings
        self.key = key

    def headers(self, *roles: str, subject: str | None = None, organisation_id: Any = None) -> dict[str, str]:
        who = Identity(
            subject=subject or f"user-{uuid.uuid4().hex[:6]}",
            roles=roles,
            organisation_id=str(organisation_id) if organisation_id else None,
        )
        return bearer_headers(who, key=self.key, audience="events")

    async def call(
        self,
        method: str,
        url: str,
        *,
        as_: tuple[str, ...] = ("staff",),
        org: Any = None,
        expect: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = {**self.headers(*as_, organisation_id=org), **kwargs.pop("headers", {})}
        response = await self.http.request(method, url, headers=headers, **kwargs)
        if expect is not None:
            assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text}"
        return response

    async def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return (await self.call("POST", url, json=json, expect=kw.pop("expect", 201), **kw)).json()

    async def get(self, url: str, **kw: Any) -> Any:
        return (await self.call("GET", url, expect=kw.pop("expect", 200), **kw)).json()

    async def patch(self, url: str, json: Any = None, **kw: Any) -> Any:
        return (await self.call("PATCH", url, json=json, expect=kw.pop("expect", 200), **kw)).json()

    async def public(self, url: str, json: Any = None, expect: int = 200) -> Any:
        """A call from the public side: the gateway speaking for a visitor, with no roles."""
        return (await self.call("POST", url, json=json, as_=(), expect=expect)).json()

    @property
    def pool(self) -> asyncpg.Pool:
        """The app's own pool (with its JSON codecs), for calling use cases directly."""
        return self.app.state.runtime.pool

    async def outbox(self, subject: str) -> list[dict[str, Any]]:
        """The event payloads recorded in the outbox for `subject`, oldest first."""
        conn = await asyncpg.connect(self.dsn)
        try:
            rows = await conn.fetch(
                "SELECT envelope::text AS e FROM outbox WHERE subject = $1 ORDER BY id", subject
            )
        finally:
            await conn.close()
        return [json.loads(r["e"])["data"] for r in rows]


@pytest.fixture(scope="session")
def signing_key(identity_keys: KeyFiles) -> OKPKey:
    """The gateway's side of the test keypair: the tests sign identities as the gateway would."""
    return load_signing_key(str(identity_keys.signing))


@pytest.fixture
def settings_factory(
    make_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles
) -> Callable[..., Settings]:
    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": make_database("events", MIGRATIONS_DIR),
            "nats_url": nats_server.url,
            "identity_public_key": str(identity_keys.public),
            "environment": "test",
            # The tests run the workers' rounds themselves, at the moments they choose.
            "offer_check_seconds": 3600,
            "reminder_check_seconds": 3600,
            "retention_check_seconds": 3600,
            "relay_poll_seconds": 0.2,
            "pool_max_size": 20,
        }
        return Settings(**(values | overrides))

    return build


@pytest.fixture
async def client(settings_factory: Callable[..., Settings], signing_key: OKPKey) -> AsyncIterator[Client]:
    settings = settings_factory()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://events") as http:
            yield Client(http, settings.database_url, settings, signing_key, app)
