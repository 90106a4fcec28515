"""Deliveries to a real local receiver: signed as Standard Webhooks, retried on Svix's schedule
with a clock the test moves, disabled after 410 or five days of failures, and never sent to an
address the guard did not check."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from notify.settings import Settings
from notify.webhooks import endpoints, fanout
from notify.webhooks.delivery import FAILING_REASON, GONE_REASON, WebhookDeliverer
from notify.webhooks.schedule import RETRY_SECONDS

from .conftest import Clock, Receiver, Resolver, add_endpoint, event

pytestmark = pytest.mark.timeout(60)


def deliverer(pool, settings: Settings, clock: Clock, resolver: Resolver) -> WebhookDeliverer:
    # random() = 0.5 is the middle of the ±20 % jitter: the waits are the schedule's own.
    return WebhookDeliverer(pool=pool, settings=settings, clock=clock, random=lambda: 0.5, resolve=resolver)


async def publish(pool, event_id: str | None = None) -> str:
    event_id = event_id or str(uuid.uuid4())
    envelope = event("events.event.published.v1", {"event_id": event_id})
    async with pool.acquire() as conn:
        await fanout.fan_out(
            conn,
            topic="event.published",
            event=envelope,
            data={"event_id": event_id, "url": "x"},
            organisation_ids=None,
        )
    return event_id


async def message_of(pool, endpoint_id):
    async with pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM webhook_messages WHERE endpoint_id = $1", endpoint_id)


async def test_a_message_arrives_signed_and_the_receiver_verifies_it_with_standardwebhooks(
    pool, settings, clock, resolver, receiver: Receiver
) -> None:
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    event_id = await publish(pool)
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        assert await worker.deliver_due(session) == 1

    [got] = receiver.got
    payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "event.published"
    assert payload["data"] == {"event_id": event_id, "url": "x"}
    assert got.headers["webhook-id"].startswith("msg_")
    # Connected to the address the guard checked, for the name the endpoint gave.
    assert got.host == f"receiver.test:{receiver.port}"
    row = await message_of(pool, endpoint["id"])
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("succeeded", 1, 200)


async def test_failures_are_retried_on_the_schedule_and_fail_after_the_eighth_attempt(
    pool, settings, clock, resolver, receiver: Receiver
) -> None:
    receiver.default = (500, {})
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    await publish(pool)
    worker = deliverer(pool, settings, clock, resolver)
    waits = []
    async with worker.session() as session:
        for _attempt in range(8):
            assert await worker.deliver_due(session) == 1
            row = await message_of(pool, endpoint["id"])
            if row["status"] == "pending":
                waits.append((row["next_attempt_at"] - clock.now).total_seconds())
                clock.move(seconds=1)
                assert await worker.deliver_due(session) == 0, "sent again before its wait was over"
                clock.to(row["next_attempt_at"])
        assert await worker.deliver_due(session) == 0

    assert waits == list(RETRY_SECONDS)
    assert len(receiver.got) == 8
    row = await message_of(pool, endpoint["id"])
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("failed", 8, 500)
    async with pool.acquire() as conn:
        attempts = await conn.fetch(
            "SELECT status_code FROM webhook_attempts WHERE message_id = $1 ORDER BY id", row["id"]
        )
    assert [a["status_code"] for a in attempts] == [500] * 8
    # Every attempt had an id of its own? No: one message, one webhook-id across its retries.
    assert len({got.headers["webhook-id"] for got in receiver.got}) == 1


async def test_the_jitter_moves_a_wait_by_at_most_twenty_percent(
    pool, settings, clock, resolver, receiver
) -> None:
    receiver.default = (500, {})
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    await publish(pool)
    worker = WebhookDeliverer(pool=pool, settings=settings, clock=clock, random=lambda: 0.0, resolve=resolver)
    async with worker.session() as session:
        await worker.deliver_due(session)
    row = await message_of(pool, endpoint["id"])
    assert (row["next_attempt_at"] - clock.now).total_seconds() == pytest.approx(5 * 0.8)


async def test_a_retry_after_longer_than_the_schedule_is_honoured(
    pool, settings, clock, resolver, receiver
) -> None:
    receiver.plan = [(503, {"Retry-After": "120"})]
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    await publish(pool)
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        await worker.deliver_due(session)
        row = await message_of(pool, endpoint["id"])
        assert (row["next_attempt_at"] - clock.now).total_seconds() == 120
        clock.move(seconds=119)
        assert await worker.deliver_due(session) == 0
        clock.move(seconds=1)
        assert await worker.deliver_due(session) == 1
    row = await message_of(pool, endpoint["id"])
    assert row["status"] == "succeeded"


async def test_410_gone_disables_the_endpoint_at_once_and_emails_its_contact(
    pool, settings, clock, resolver, receiver
) -> None:
    receiver.default = (410, {})
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    await publish(pool)
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        await worker.deliver_due(session)
        await publish(pool)  # a later event finds the endpoint off: nothing is queued for it
        clock.move(hours=1)
        assert await worker.deliver_due(session) == 0
    assert len(receiver.got) == 1
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM webhook_endpoints WHERE id = $1", endpoint["id"])
        emails = await conn.fetch("SELECT recipient, template, subject, body_text FROM emails")
        messages = await conn.fetch(
            "SELECT status FROM webhook_messages WHERE endpoint_id = $1", endpoint["id"]
        )
    assert row["disabled_at"] == clock.now - timedelta(hours=1)
    assert row["disabled_reason"] == GONE_REASON
    assert [m["status"] for m in messages] == ["failed"]
    [email] = emails
    assert (email["recipient"], email["template"]) == ("it@bryggan.example.se", "webhook_endpoint_disabled")
    assert "410" in email["body_text"] and endpoint["url"] in email["body_text"]


async def test_five_days_of_failures_without_a_success_disable_the_endpoint_once(
    pool, settings, clock, resolver, receiver
) -> None:
    receiver.default = (500, {})
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        for _day in range(5):
            await publish(pool)
            clock.move(seconds=2)  # what was just queued is due (and earlier ones whose wait is over)
            assert await worker.deliver_due(session) >= 1
            async with pool.acquire() as conn:
                disabled = await conn.fetchval(
                    "SELECT disabled_at FROM webhook_endpoints WHERE id = $1", endpoint["id"]
                )
            assert disabled is None, "disabled before five days of failures"
            clock.move(days=1)
        await publish(pool)
        clock.move(seconds=2)
        await worker.deliver_due(session)
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM webhook_endpoints WHERE id = $1", endpoint["id"])
        emails = await conn.fetch("SELECT recipient FROM emails")
    assert row["disabled_reason"] == FAILING_REASON
    assert [e["recipient"] for e in emails] == ["it@bryggan.example.se"]


async def test_one_success_starts_the_five_days_again(pool, settings, clock, resolver, receiver) -> None:
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    worker = deliverer(pool, settings, clock, resolver)
    receiver.plan = [(500, {})]
    async with worker.session() as session:
        await publish(pool)
        await worker.deliver_due(session)
        async with pool.acquire() as conn:
            assert await conn.fetchval(
                "SELECT failing_since FROM webhook_endpoints WHERE id = $1", endpoint["id"]
            )
        clock.move(seconds=10)
        await worker.deliver_due(session)
        async with pool.acquire() as conn:
            assert (
                await conn.fetchval(
                    "SELECT failing_since FROM webhook_endpoints WHERE id = $1", endpoint["id"]
                )
                is None
            )


async def test_during_a_rotation_both_secrets_sign_and_after_24_hours_only_the_new(
    pool, settings, clock, resolver, receiver
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
    old, new = endpoint["secret"], rotated["secret"]
    assert old != new
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        await publish(pool)
        await worker.deliver_due(session)
        clock.move(hours=24)
        await publish(pool)
        clock.move(seconds=1)
        await worker.deliver_due(session)
    during, after = receiver.got
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    # The clock moved a day: check the signature itself, not the receiver's five-minute window.
    assert after.headers["webhook-signature"] == Webhook(new).sign(
        after.headers["webhook-id"], clock.now, after.body
    ) or after.headers["webhook-signature"] == Webhook(new).sign(
        after.headers["webhook-id"], clock.now - timedelta(seconds=1), after.body
    )


async def test_a_name_that_now_resolves_to_loopback_is_refused_at_connection_and_gets_nothing(
    pool, dsn, clock, resolver, receiver
) -> None:
    # Registered while the name pointed at a public address; then it points here (DNS rebinding).
    resolver.answers["rebind.test"] = ["93.184.216.34"]
    endpoint = await add_endpoint(
        pool, resolver, url=f"http://rebind.test:{receiver.port}/in", allow_private=False
    )
    resolver.answers["rebind.test"] = ["127.0.0.1"]
    strict = Settings(environment="test", database_url=dsn, webhooks_allow_private=False)
    await publish(pool)
    worker = deliverer(pool, strict, clock, resolver)
    async with worker.session() as session:
        assert await worker.deliver_due(session) == 1
    assert receiver.got == []
    row = await message_of(pool, endpoint["id"])
    assert row["status"] == "pending" and row["attempts"] == 1
    # Why, but not where: the address is for the operators' log, not for the organisation's delivery log.
    assert "loopback" in row["last_error"] and "127.0.0.1" not in row["last_error"]


async def test_an_address_written_in_the_url_is_checked_at_connection_too(pool, dsn, clock, resolver) -> None:
    # Registered with the allowance, sent without it: the connector asks no resolver for a literal.
    endpoint = await add_endpoint(pool, resolver, url="http://127.0.0.1:9/in")
    strict = Settings(environment="test", database_url=dsn, webhooks_allow_private=False)
    await publish(pool)
    worker = deliverer(pool, strict, clock, resolver)
    async with worker.session() as session:
        await worker.deliver_due(session)
    row = await message_of(pool, endpoint["id"])
    assert "loopback" in row["last_error"]


async def test_the_payload_is_thin(pool, settings, clock, resolver, receiver) -> None:
    """Registrations carry ids and a link; the person's name and address never leave."""
    organisation = uuid.uuid4()
    endpoint = await add_endpoint(
        pool,
        resolver,
        url=f"http://receiver.test:{receiver.port}/in",
        topics=["registration.created", "registration.cancelled"],
        organisation_id=organisation,
    )
    other = await add_endpoint(
        pool,
        resolver,
        url=f"http://receiver.test:{receiver.port}/other",
        topics=["registration.created", "registration.cancelled"],
    )
    registration = {
        "registration_id": str(uuid.uuid4()),
        "event_id": str(uuid.uuid4()),
        "status": "registered",
        "organisation_id": str(organisation),
    }
    async with pool.acquire() as conn:
        await fanout.registration_created(
            conn,
            event("events.registration.created.v1", registration),
            fanout.RegistrationCreatedNotice(**registration),
            settings,
        )
        cancelled = {"registration_id": registration["registration_id"], "event_id": registration["event_id"]}
        await fanout.registration_ended(
            conn,
            event("events.registration.cancelled.v1", cancelled),
            fanout.RegistrationCancelledNotice(**cancelled),
            settings,
        )
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        await worker.deliver_due(session)
    bodies = [json.loads(got.body) for got in receiver.got]
    assert sorted(b["type"] for b in bodies) == ["registration.cancelled", "registration.created"]
    assert all(got.host.endswith(str(receiver.port)) for got in receiver.got)
    created = next(b for b in bodies if b["type"] == "registration.created")
    assert set(created["data"]) == {"registration_id", "event_id", "status", "url"}
    assert (await message_of(pool, other["id"])) is None, "another organisation heard of a registration"
    assert endpoint["id"]


async def test_a_worker_that_dies_with_a_lease_gives_its_messages_back_when_the_lease_ends(
    pool, settings, clock, resolver, receiver
) -> None:
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    await publish(pool)
    async with pool.acquire() as conn:  # what a worker's claim does, before it dies
        claimed = await conn.fetch(
            "UPDATE webhook_messages SET next_attempt_at = $1::timestamptz + interval '60 seconds', "
            "lease_token = gen_random_uuid() WHERE endpoint_id = $2 RETURNING id",
            clock.now,
            endpoint["id"],
        )
    assert len(claimed) == 1
    worker = deliverer(pool, settings, clock, resolver)
    async with worker.session() as session:
        assert await worker.deliver_due(session) == 0, "sent while another worker held it"
        clock.move(seconds=60)
        assert await worker.deliver_due(session) == 1
    assert len(receiver.got) == 1
    assert (await message_of(pool, endpoint["id"]))["status"] == "succeeded"


async def test_old_delivered_and_failed_messages_are_pruned_and_pending_ones_kept(
    pool, settings, clock, resolver, receiver
) -> None:
    endpoint = await add_endpoint(pool, resolver, url=f"http://receiver.test:{receiver.port}/in")
    for _ in range(3):
        await publish(pool)
    async with pool.acquire() as conn:
        ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM webhook_messages WHERE endpoint_id = $1", endpoint["id"]
            )
        ]
        await conn.execute("UPDATE webhook_messages SET status = 'succeeded' WHERE id = $1", ids[0])
        await conn.execute("UPDATE webhook_messages SET status = 'failed' WHERE id = $1", ids[1])
    worker = deliverer(pool, settings, clock, resolver)
    assert await worker.prune() == 0, "nothing is old enough yet"
    clock.move(seconds=settings.webhooks_retention_seconds + 1)
    assert await worker.prune() == 2
    async with pool.acquire() as conn:
        left = await conn.fetch(
            "SELECT id, status FROM webhook_messages WHERE endpoint_id = $1", endpoint["id"]
        )
    assert [(r["id"], r["status"]) for r in left] == [(ids[2], "pending")]
