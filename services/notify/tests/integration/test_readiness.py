"""Readiness says so when a stored webhook secret is sealed under a key notify is not given: its
deliveries would all fail, and a deploy that dropped a key must stop before it takes traffic."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from notify.webhooks.sealing import parse_keys

from . import test_delivery_log as delivery_log

make_sink = delivery_log.make_sink
notify_factory = delivery_log.notify_factory
notify = delivery_log.notify

GONE = parse_keys("gone:" + "Z29uZS1rZXktb2YtdGhpcnR5LXR3by1ieXRlcy0tLS0=")


async def _endpoint(
    notify: Any, *, secret: str, previous: str | None = None, overlap: timedelta = timedelta(days=1)
) -> None:
    async with notify.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO webhook_endpoints (id, organisation_id, url, topics, secret, previous_secret,"
            " previous_secret_until, contact_email, created_by)"
            " VALUES ($1, $2, 'https://example.se/hook', '{event.published}', $3, $4,"
            " now() + $5, 'it@example.se', 'test')",
            uuid.uuid4(), uuid.uuid4(), secret, previous, overlap,
        )


async def _ready(notify: Any) -> tuple[int, dict[str, Any]]:
    answer = await notify.http.get("/readyz")
    return answer.status_code, answer.json()


async def test_a_secret_sealed_under_a_key_not_configured_makes_the_service_not_ready(notify) -> None:
    box = notify.settings.webhook_secret_box
    endpoint = uuid.uuid4()
    await _endpoint(notify, secret=box.seal("whsec_x", endpoint_id=endpoint))
    status, body = await _ready(notify)
    assert body["checks"]["webhook_secrets"] is True, body

    # A previous secret still signing during its overlap counts; one whose overlap is over does not.
    await _endpoint(
        notify, secret=box.seal("whsec_y", endpoint_id=endpoint),
        previous=GONE.seal("whsec_z", endpoint_id=endpoint), overlap=timedelta(hours=-1),
    )
    status, body = await _ready(notify)
    assert body["checks"]["webhook_secrets"] is True, body

    await _endpoint(
        notify, secret=box.seal("whsec_y", endpoint_id=endpoint),
        previous=GONE.seal("whsec_z", endpoint_id=endpoint),
    )
    status, body = await _ready(notify)
    assert status == 503 and body["checks"]["webhook_secrets"] is False
    [reason] = [r for r in body["reasons"] if "NOTIFY_WEBHOOKS_SECRET_KEYS" in r]
    assert "'gone'" in reason and "1 endpoint" in reason
