"""A volunteers app on a fresh database per test, driven over HTTP with gateway-signed identities."""

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
from volunteers.app import create_app
from volunteers.settings import MIGRATIONS_DIR, Settings

# A migrated database's connection with the service's codecs, for the tests of hours, fees,
# reports, reviews and rights (vh_world.py).
from .vh_world import migrated_connection  # noqa: F401


class Client:
    """An HTTP client for the app, plus the database behind it for checking the outbox."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings, key: OKPKey, app: Any) -> None:
        self.app = app
        self.http = http
        self.dsn = settings.database_url
        self.settings = settings
        self.key = key

    def headers(self, *roles: str, subject: str | None = None, pools: tuple[str, ...] = ()) -> dict[str, str]:
        who = Identity(
            subject=subject or f"user-{uuid.uuid4().hex[:6]}",
            roles=roles,
            pool_ids=pools,
            name="Testa Personal",
        )
        return bearer_headers(who, key=self.key, audience="volunteers")

    async def call(
        self,
        method: str,
        url: str,
        *,
        as_: tuple[str, ...] = ("staff",),
        subject: str | None = None,
        pools: tuple[str, ...] = (),
        expect: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = {**self.headers(*as_, subject=subject, pools=pools), **kwargs.pop("headers", {})}
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
            "database_url": make_database("volunteers", MIGRATIONS_DIR),
            "nats_url": nats_server.url,
            "identity_public_key": str(identity_keys.public),
            "environment": "test",
            # The tests run the workers' rounds themselves, at the moments they choose.
            "offer_check_seconds": 3600,
            "relay_poll_seconds": 0.2,
            "pool_max_size": 30,
        }
        return Settings(**(values | overrides))

    return build


@pytest.fixture
async def client(settings_factory: Callable[..., Settings], signing_key: OKPKey) -> AsyncIterator[Client]:
    settings = settings_factory()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://volunteers") as http:
            yield Client(http, settings, signing_key, app)
