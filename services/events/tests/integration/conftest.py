"""An events app on a fresh database per test, driven over HTTP with gateway-signed identities."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from joserfc.jwk import OKPKey

from backbone.identity import KeyFiles
from backbone.testing import ServiceClient, in_process
from events.app import create_app
from events.settings import MIGRATIONS_DIR, Settings


class Client(ServiceClient):
    async def public(self, url: str, json: Any = None, expect: int = 200) -> Any:
        """A call from the public side: the gateway speaking for a visitor, with no roles."""
        return (await self.call("POST", url, json=json, as_=(), expect=expect)).json()


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
    async with in_process(app, "http://events") as http:
        yield Client(
            http, dsn=settings.database_url, settings=settings, key=signing_key, app=app, audience="events"
        )
