"""A meetings app on a fresh database per test, driven over HTTP with gateway-signed identities."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from joserfc.jwk import OKPKey

from backbone.identity import KeyFiles
from backbone.testing import ServiceClient, in_process
from meetings.app import create_app
from meetings.settings import MIGRATIONS_DIR, Settings


class Client(ServiceClient):
    def headers(self, *roles: str, subject: str | None = None, organisation_id: Any = None) -> dict[str, str]:
        # Meetings' tests have no visitors: no roles means staff.
        return super().headers(*(roles or ("staff",)), subject=subject, organisation_id=organisation_id)

    async def events(self, subject: str) -> list[dict[str, Any]]:
        """The event payloads recorded in the outbox for `subject`, oldest first."""
        return await self.outbox(subject)


@pytest.fixture
def settings_factory(
    make_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles
) -> Callable[[], Settings]:
    def build() -> Settings:
        return Settings(
            database_url=make_database("meetings", MIGRATIONS_DIR),
            nats_url=nats_server.url,
            identity_public_key=str(identity_keys.public),
            environment="test",
            due_check_seconds=3600,
            relay_poll_seconds=0.2,
        )

    return build


@pytest.fixture
async def client(settings_factory: Callable[[], Settings], signing_key: OKPKey) -> AsyncIterator[Client]:
    settings = settings_factory()
    app = create_app(settings)
    async with in_process(app, "http://meetings") as http:
        yield Client(
            http, dsn=settings.database_url, settings=settings, key=signing_key, app=app, audience="meetings"
        )
