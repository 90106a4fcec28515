"""Webhook secrets at rest: sealed in every row, signing as before, older rows and older keys sealed
anew, and no secret to be read in any table of the database."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from backbone.identity import Identity, bearer_headers, load_signing_key
from notify.app import create_app
from notify.settings import Settings
from notify.webhooks import endpoints
from notify.webhooks.sealing import SealingKeyProblem, parse_keys, reseal_stored_secrets
from notify.webhooks.signing import new_secret

from .conftest import TEST_BOX, Receiver, Resolver, add_endpoint

pytestmark = pytest.mark.timeout(60)
OLD_KEYS = "old:" + base64.b64encode(b"o" * 32).decode()
NEW_KEYS = "new:" + base64.b64encode(b"n" * 32).decode() + " " + OLD_KEYS


async def _every_table_as_text(dsn: str) -> str:
    """Every row of every table in the database, each as PostgreSQL writes it out as text."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t "
            "FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND table_type = 'BASE TABLE'"
        )
        parts = []
        for row in tables:
            # The table name comes from the catalogue, quoted by PostgreSQL itself.
            parts += [r["x"] for r in await conn.fetch(f"SELECT x::text AS x FROM {row['t']} x")]
        return "\n".join(parts)
    finally:
        await conn.close()


def _fragments(secret: str) -> list[str]:
    """The secret as whole, its key bytes in base64, and the key bytes as hex (bytea's text)."""
    body = secret.removeprefix("whsec_")
    return [secret, body, base64.b64decode(body).hex()]


@pytest.fixture
async def http(dsn: str, nats_server: Any, identity_keys: Any, resolver: Resolver) -> AsyncIterator[Any]:
    settings = Settings(
        environment="test",
        database_url=dsn,
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        webhooks_allow_private=True,
        run_consumers=False,
        run_relay=False,
    )
    app = create_app(settings)
    app.state.webhook_resolve = resolver
    key = load_signing_key(str(identity_keys.signing))
    admin = bearer_headers(Identity(subject="admin-1", roles=("administrator",)), key=key, audience="notify")
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://notify", headers=admin
    ) as client:
        yield client


async def test_no_secret_appears_in_any_table_after_registering_and_rotating(
    http: Any, dsn: str, receiver: Receiver
) -> None:
    made = await http.post(
        "/v1/webhooks/endpoints",
        json={
            "organisation_id": str(uuid.uuid4()),
            "url": f"http://receiver.test:{receiver.port}/in",
            "topics": ["event.published"],
            "contact_email": "it@bryggan.example.se",
        },
    )
    assert made.status_code == 201, made.text
    first = made.json()["secret"]
    rotated = await http.post(f"/v1/webhooks/endpoints/{made.json()['id']}/rotate-secret")
    second = rotated.json()["secret"]
    assert first.startswith("whsec_") and second.startswith("whsec_") and first != second

    everything = await _every_table_as_text(dsn)
    for secret in (first, second):
        for fragment in _fragments(secret):
            assert fragment not in everything
    assert "enc1:dev:" in everything  # the test reads the tables it means to


async def test_a_secret_from_before_sealing_is_sealed_at_start_and_still_signs_the_same(
    pool: asyncpg.Pool, resolver: Resolver
) -> None:
    endpoint = await add_endpoint(pool, resolver, url="http://receiver.test:1/in")
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT secret FROM webhook_endpoints WHERE id = $1", endpoint["id"])
    assert stored.startswith("enc1:dev:") and endpoint["secret"] not in stored
    plain = new_secret()
    async with pool.acquire() as conn:
        # As rows were before migration 0013.
        await conn.execute("UPDATE webhook_endpoints SET secret = $2 WHERE id = $1", endpoint["id"], plain)
    assert (await reseal_stored_secrets(pool, TEST_BOX)).moved == 1
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM webhook_endpoints WHERE id = $1", endpoint["id"])
    assert row["secret"].startswith("enc1:dev:")
    assert endpoints.signing_secrets(row, datetime.now(UTC), endpoint_id=row["id"], box=TEST_BOX) == [plain]
    assert (await reseal_stored_secrets(pool, TEST_BOX)).moved == 0


async def test_a_new_key_takes_over_and_the_old_one_still_opens_until_every_row_is_resealed(
    pool: asyncpg.Pool, resolver: Resolver
) -> None:
    old_box, new_box = parse_keys(OLD_KEYS), parse_keys(NEW_KEYS)
    endpoint = await add_endpoint(pool, resolver, url="http://receiver.test:1/in")
    async with pool.acquire() as conn:
        await endpoints.rotate_secret(
            conn=conn, endpoint_id=endpoint["id"], scope=None, now=datetime.now(UTC),
            overlap=timedelta(hours=1), box=TEST_BOX,
        )
    # From the development key to "old", then with "new" first to "new".
    assert (await reseal_stored_secrets(pool, parse_keys(OLD_KEYS + " " + "dev:" + _dev_key()))).moved == 1
    assert (await reseal_stored_secrets(pool, new_box)).moved == 1
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM webhook_endpoints WHERE id = $1", endpoint["id"])
    assert row["secret"].startswith("enc1:new:") and row["previous_secret"].startswith("enc1:new:")
    now = datetime.now(UTC)
    opened = endpoints.signing_secrets(row, now, endpoint_id=row["id"], box=parse_keys(NEW_KEYS.split()[0]))
    assert len(opened) == 2 and all(s.startswith("whsec_") for s in opened)
    with pytest.raises(SealingKeyProblem, match="does not list"):
        endpoints.signing_secrets(row, now, endpoint_id=row["id"], box=old_box)
    # Bound to its endpoint: the same sealed value on another endpoint does not open.
    with pytest.raises(SealingKeyProblem, match="does not open"):
        new_box.open(row["secret"], endpoint_id=uuid.uuid4())


def _dev_key() -> str:
    return base64.b64encode(dict(TEST_BOX.keys)["dev"]).decode()
