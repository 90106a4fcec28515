"""A stored secret that does not open (its key is no longer configured) fails that one message, on
the schedule and counted towards disabling; the rest of its batch is sent and recorded as usual."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from standardwebhooks.webhooks import Webhook
from structlog.testing import capture_logs

from notify.webhooks import endpoints, fanout
from notify.webhooks.delivery import FAILING_REASON, WebhookDeliverer
from notify.webhooks.schedule import RETRY_SECONDS
from notify.webhooks.sealing import parse_keys

from .conftest import Clock, Receiver, Resolver, add_endpoint, event

pytestmark = pytest.mark.timeout(60)
# A key this deployment no longer lists (it was removed before every secret was resealed).
GONE_BOX = parse_keys("gone:" + base64.b64encode(b"g" * 32).decode())


def deliverer(pool, settings, clock: Clock, resolver: Resolver) -> WebhookDeliverer:
    return WebhookDeliverer(pool=pool, settings=settings, clock=clock, random=lambda: 0.5, resolve=resolver)


async def publish(pool) -> None:
    event_id = str(uuid.uuid4())
    envelope = event("events.event.published.v1", {"event_id": event_id})
    async with pool.acquire() as conn:
        await fanout.fan_out(
            conn,
            topic="event.published",
            event=envelope,
            data={"event_id": event_id, "url": "x"},
            organisation_ids=None,
        )


async def seal_under_gone_key(pool, endpoint_id: uuid.UUID) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE webhook_endpoints SET secret = $2 WHERE id = $1",
            endpoint_id,
            GONE_BOX.seal("whsec_" + base64.b64encode(b"s" * 24).decode(), endpoint_id=endpoint_id),
        )


async def messages_of(pool, endpoint_id):
    async with pool.acquire() as conn:
        return await conn.fetch("SELECT * FROM webhook_messages WHERE endpoint_id = $1", endpoint_id)


def unopened_count() -> float:
    return REGISTRY.get_sample_value("webhook_secrets_unopened_total") or 0.0


async def test_a_secret_that_does_not_open_fails_its_message_and_the_rest_of_the_batch_is_recorded(
    pool, settings, clock, resolver, receiver: Receiver
) -> None:
    good = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/good")
    bad = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/bad")
    await seal_under_gone_key(pool, bad["id"])
    await publish(pool)
    before = unopened_count()
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        assert await worker.deliver_due(session) == 2

    [got] = receiver.got  # nothing went out unsigned, or signed with anything else
    Webhook(good["secret"]).verify(got.body, got.headers)
    [sent] = await messages_of(pool, good["id"])
    assert (sent["status"], sent["attempts"]) == ("succeeded", 1)
    [held] = await messages_of(pool, bad["id"])
    assert (held["status"], held["attempts"], held["last_status_code"]) == ("pending", 1, None)
    assert "gone" in held["last_error"] and "NOTIFY_WEBHOOKS_SECRET_KEYS" in held["last_error"]
    # The retry schedule, not the 60-second lease: the message is not tried again every minute.
    assert (held["next_attempt_at"] - clock.now).total_seconds() == RETRY_SECONDS[0]
    async with pool.acquire() as conn:
        attempts = await conn.fetch("SELECT error FROM webhook_attempts WHERE message_id = $1", held["id"])
        failing_since = await conn.fetchval(
            "SELECT failing_since FROM webhook_endpoints WHERE id = $1", bad["id"]
        )
    assert [a["error"] for a in attempts] == [held["last_error"]]
    assert failing_since == clock.now
    assert unopened_count() == before + 1


async def test_an_endpoint_whose_secret_never_opens_is_disabled_after_five_days(
    pool, settings, clock, resolver, receiver: Receiver
) -> None:
    bad = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/bad")
    await seal_under_gone_key(pool, bad["id"])
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        for _day in range(6):
            await publish(pool)
            clock.move(seconds=2)
            assert await worker.deliver_due(session) >= 1
            clock.move(days=1)
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM webhook_endpoints WHERE id = $1", bad["id"])
        emails = await conn.fetch("SELECT recipient FROM emails")
    assert row["disabled_reason"] == FAILING_REASON
    assert row["disabled_at"] is not None and row["disabled_at"] - row["failing_since"] >= timedelta(days=5)
    assert [e["recipient"] for e in emails] == ["it@bryggan.example.se"]
    assert receiver.got == []


async def test_a_previous_secret_that_does_not_open_leaves_the_current_one_to_sign_alone(
    pool, settings, clock, resolver, receiver: Receiver
) -> None:
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    async with pool.acquire() as conn:
        rotated = await endpoints.rotate_secret(
            conn=conn,
            endpoint_id=endpoint["id"],
            scope=None,
            now=clock.now,
            overlap=timedelta(hours=24),
            box=settings.webhook_secret_box,
        )
        # The rotated-out secret, still in its overlap, under a key this deployment no longer lists.
        await conn.execute(
            "UPDATE webhook_endpoints SET previous_secret = $2 WHERE id = $1",
            endpoint["id"],
            GONE_BOX.seal(endpoint["secret"], endpoint_id=endpoint["id"]),
        )
    await publish(pool)
    before = unopened_count()
    worker = deliverer(pool, settings, clock, resolver)
    with capture_logs() as logs:
        async with worker.session() as session:
            assert await worker.deliver_due(session) == 1

    [got] = receiver.got
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated["secret"]).verify(got.body, got.headers)
    [sent] = await messages_of(pool, endpoint["id"])
    assert (sent["status"], sent["attempts"]) == ("succeeded", 1)
    assert unopened_count() == before + 1
    [logged] = [entry for entry in logs if entry["log_level"] == "error"]
    assert (logged["endpoint_id"], logged["key"]) == (str(endpoint["id"]), "gone")
