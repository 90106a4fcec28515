"""The delivery log, retries and the pace toward the relay, against a real SMTP sink.

"Once" is counted in the sink's attempts log (every DATA it was handed), never in its Maildir,
which drops copies by Message-ID. The notify app runs without its workers: each test drives the
sender itself, and reads the log over the HTTP API as staff do.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from backbone.conditional import untracked_tables
from backbone.embedded import free_port
from backbone.identity import Identity, bearer_headers, load_signing_key
from backbone.testing import eventually
from devstack.mailsink import (
    REFUSAL,
    REFUSE_MAIL,
    Fault,
    attempts_log_for,
    deliveries,
    read_attempts,
    start_sink,
)
from notify.app import create_app
from notify.mailing import message_id_for, queue_email
from notify.rendering import RenderedEmail
from notify.sending import EmailSender, RateLimit
from notify.settings import DEVELOPMENT_LINK_SECRET, MIGRATIONS_DIR, Settings

DOMAIN = "test.local"


class Sink:
    def __init__(self, folder: Any, port: int, **options: Any) -> None:
        self.maildir = folder / f"mail-{port}"
        self.port = port
        self.options = options
        self.controller: Any = None
        self.handler: Any = None

    def start(self) -> None:
        self.controller, self.handler = start_sink(self.maildir, "127.0.0.1", self.port, **self.options)

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.handler.close()
            self.controller = None

    def handed_over(self) -> list[dict[str, Any]]:
        return [e for e in read_attempts(attempts_log_for(self.maildir)) if e["stage"] == "DATA"]

    def deliveries(self) -> dict[str, int]:
        return dict(deliveries(attempts_log_for(self.maildir)))


@pytest.fixture
def make_sink(tmp_path) -> Any:
    sinks: list[Sink] = []

    def make(start: bool = True, **options: Any) -> Sink:
        sink = Sink(tmp_path, free_port(), **options)
        if start:
            sink.start()
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        sink.stop()


class Notify:
    """The notify app over HTTP, with staff's identity, and its pool for queueing and sending."""

    def __init__(self, http: httpx.AsyncClient, app: Any, settings: Settings, key: Any) -> None:
        self.http = http
        self.app = app
        self.settings = settings
        self.key = key

    @property
    def pool(self) -> Any:
        return self.app.state.runtime.pool

    def headers(self, *roles: str) -> dict[str, str]:
        return bearer_headers(Identity(subject="someone", roles=roles), key=self.key, audience="notify")

    async def get(
        self, path: str, *, as_: tuple[str, ...] = ("administrator",), expect: int = 200, **kw: Any
    ) -> Any:
        response = await self.http.get(path, headers=self.headers(*as_), **kw)
        assert response.status_code == expect, response.text
        return response.json()

    async def post(
        self, path: str, body: Any, *, as_: tuple[str, ...] = ("administrator",), expect: int = 200
    ) -> Any:
        response = await self.http.post(path, json=body, headers=self.headers(*as_))
        assert response.status_code == expect, response.text
        return response.json()

    def sender(self, **over: Any) -> EmailSender:
        rate = over.pop("rate_limit", None)
        settings = self.settings.model_copy(update=over)
        return EmailSender(pool=self.pool, settings=settings, rate_limit=rate)

    async def queue(
        self, recipient: str, *, cause: str | None = None, template: str = "meeting_scheduled"
    ) -> str:
        cause = cause or str(uuid.uuid4())
        async with self.pool.acquire() as conn, conn.transaction():
            await queue_email(
                conn=conn,
                cause_event_id=cause,
                template=template,
                recipient=recipient,
                rendered=RenderedEmail(subject="Nytt möte", text="Hej!", html="<p>Hej!</p>"),
                mail_domain=DOMAIN,
                message_key=DEVELOPMENT_LINK_SECRET,
            )
        email_id = uuid.uuid5(uuid.UUID(cause), f"{template}:{recipient.lower()}")
        return message_id_for(email_id, DOMAIN, DEVELOPMENT_LINK_SECRET)

    async def nothing_pending(self) -> bool:
        async with self.pool.acquire() as conn:
            return await conn.fetchval("SELECT count(*) FROM emails WHERE status = 'pending'") == 0

    async def run_sender_until_done(self, sender: EmailSender, timeout: float = 30) -> None:
        task = asyncio.create_task(sender.run())
        try:
            await eventually(self.nothing_pending, "every email sent or failed", timeout=timeout)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task


@pytest.fixture
def notify_factory(make_database, nats_server, identity_keys) -> Callable[..., Any]:
    key = load_signing_key(str(identity_keys.signing))

    @contextlib.asynccontextmanager
    async def start(sink: Sink, **over: Any) -> AsyncIterator[Notify]:
        settings = Settings(
            **{
                "environment": "test",
                "database_url": make_database("notify", MIGRATIONS_DIR),
                "nats_url": nats_server.url,
                "identity_public_key": str(identity_keys.public),
                "run_consumers": False,
                "run_relay": False,
                "smtp_port": sink.port,
                "mail_domain": DOMAIN,
                "send_retry_seconds": [0.05],
                "send_concurrency": 1,
            }
            | over
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://notify") as http:
                yield Notify(http, app, settings, key)

    return start


@pytest.fixture
async def notify(notify_factory, make_sink) -> AsyncIterator[Notify]:
    sink = make_sink()
    async with notify_factory(sink) as n:
        n.sink = sink  # type: ignore[attr-defined]
        yield n


def _entry(page: dict[str, Any], message_id: str) -> dict[str, Any]:
    [entry] = [e for e in page["items"] if e["message_id"] == message_id]
    return entry


async def test_a_temporary_refusal_is_logged_as_deferred_then_the_email_is_sent(notify_factory, make_sink):
    sink = make_sink(faults={1: REFUSE_MAIL})
    async with notify_factory(sink) as notify:
        message_id = await notify.queue("leif@example.se")
        page = await notify.get("/v1/deliveries", params={"recipient": "leif@"})
        assert _entry(page, message_id)["state"] == "queued"
        await notify.run_sender_until_done(notify.sender())
        assert sink.deliveries() == {message_id: 1}
        entry = _entry(await notify.get("/v1/deliveries", params={"recipient": "LEIF@example"}), message_id)
        assert entry["state"] == "sent" and entry["attempts"] == 2
        detail = await notify.get(f"/v1/deliveries/{entry['id']}")
        assert [a["outcome"] for a in detail["attempts_log"]] == ["deferred", "sent"]
        assert detail["attempts_log"][0]["reason"] == "sender refused: " + REFUSAL


async def test_a_permanent_refusal_fails_at_once_and_shows_among_the_failing(notify_factory, make_sink):
    sink = make_sink(faults={1: Fault("DATA", reply="550 5.1.1 no such mailbox")})
    async with notify_factory(sink) as notify:
        assert (await notify.get("/v1/deliveries/failing"))["failed"] == 0
        message_id = await notify.queue("nobody@example.se")
        await notify.run_sender_until_done(notify.sender())
        entry = _entry(await notify.get("/v1/deliveries", params={"state": "failed"}), message_id)
        assert entry["attempts"] == 1 and "550 5.1.1" in entry["last_error"]
        failing = await notify.get("/v1/deliveries/failing")
        assert failing["failed"] == 1 and failing["deferred"] == 0
        assert [f["id"] for f in failing["latest"]] == [entry["id"]]
        assert len(sink.handed_over()) == 1, "never retried"


async def test_the_log_is_searched_by_recipient_cause_and_day_and_paged(notify):
    cause = str(uuid.uuid4())
    ids = [await notify.queue(f"p{i}@example.se", cause=cause) for i in range(5)]
    other = await notify.queue("q@example.se")
    by_cause = await notify.get("/v1/deliveries", params={"cause_event_id": cause, "limit": 2})
    assert by_cause["total"] == 5 and len(by_cause["items"]) == 2
    rest = await notify.get("/v1/deliveries", params={"cause_event_id": cause, "limit": 2, "offset": 4})
    assert rest["total"] == 5 and len(rest["items"]) == 1
    today = date.today()  # the test machine's day; the rows were queued a moment ago
    around = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    assert (await notify.get("/v1/deliveries", params=around))["total"] == 6
    later = {"from": (today + timedelta(days=2)).isoformat()}
    assert (await notify.get("/v1/deliveries", params=later))["total"] == 0
    assert [
        e["message_id"] for e in (await notify.get("/v1/deliveries", params={"recipient": "q@e"}))["items"]
    ] == [other]
    assert (await notify.get("/v1/deliveries", params={"recipient": "p_@"}))["total"] == 0, (
        "`_` is no wildcard"
    )
    assert set(ids) <= {e["message_id"] for e in (await notify.get("/v1/deliveries"))["items"]}


async def test_the_log_is_for_administrators_only(notify):
    message_id = await notify.queue("offer@example.se", template="volunteer_offer")
    [entry] = (await notify.get("/v1/deliveries"))["items"]
    assert entry["message_id"] == message_id
    await notify.get("/v1/deliveries", as_=(), expect=403)
    await notify.get("/v1/deliveries/failing", as_=("org_representative",), expect=403)
    # Staff who run meetings and events do not read every email sent, volunteers' offers included.
    await notify.get("/v1/deliveries", as_=("staff",), expect=403)
    await notify.get("/v1/deliveries/failing", as_=("staff",), expect=403)
    await notify.get(f"/v1/deliveries/{entry['id']}", as_=("staff",), expect=403)


async def test_an_address_search_needs_three_characters_and_days_and_pages_are_bounded(notify):
    short = await notify.get("/v1/deliveries", params={"recipient": "q@"}, expect=422)
    assert "minst 3 tecken" in short["detail"]
    for bad in ({"to": "9999-12-31"}, {"from": "0001-01-01"}):
        answer = await notify.get("/v1/deliveries", params=bad, expect=422)
        assert "mellan år" in answer["detail"], answer
    far = await notify.get("/v1/deliveries", params={"offset": 100_000}, expect=422)
    assert "sökningen" in far["detail"]


async def test_a_bounce_marks_a_sent_email_bounced_once(notify):
    message_id = await notify.queue("gone@example.se")
    pending = await notify.post(
        "/v1/deliveries/bounces", {"message_id": message_id, "reason": "550"}, expect=409
    )
    assert "inte skickats" in pending["detail"]
    assert await notify.sender().send_due() == 1
    report = {"message_id": message_id, "reason": "550 5.1.1 user unknown (bounce)"}
    first = await notify.post("/v1/deliveries/bounces", report)
    again = await notify.post("/v1/deliveries/bounces", report)
    assert first["state"] == again["state"] == "bounced"
    detail = await notify.get(f"/v1/deliveries/{first['id']}")
    assert [a["outcome"] for a in detail["attempts_log"]] == ["sent", "bounced"]
    assert (await notify.get("/v1/deliveries/failing"))["bounced"] == 1
    await notify.post("/v1/deliveries/bounces", {"message_id": "<nope@x>", "reason": "x"}, expect=404)


async def test_a_relay_down_for_an_hour_delays_the_mail_loses_none_and_sends_it_in_order(
    notify_factory, make_sink
):
    sink = make_sink(start=False)  # the relay is down: nothing listens on its port
    # Small batches: the order must hold across claims, not only within one.
    async with notify_factory(sink, send_batch_size=2) as notify:
        queued = [await notify.queue(f"r{i}@example.se") for i in range(6)]
        sender = asyncio.create_task(notify.sender().run())
        try:

            async def all_tried() -> bool:
                async with notify.pool.acquire() as conn:
                    return (
                        await conn.fetchval(
                            "SELECT count(*) FROM emails WHERE last_error LIKE 'could not connect%'"
                        )
                        >= 1
                    )

            await eventually(all_tried, "the sender tried the relay and found it away", timeout=20)
            # The hour passes on the sender's clock, the database's: every email is an hour older,
            # still far from the give-up age, and none has used an attempt.
            async with notify.pool.acquire() as conn:
                await conn.execute("UPDATE emails SET created_at = created_at - interval '1 hour'")
                states = await conn.fetch("SELECT status, attempts FROM emails")
            assert {(r["status"], r["attempts"]) for r in states} == {("pending", 0)}
            assert (await notify.get("/v1/deliveries/failing"))["deferred"] >= 1
            sink.start()  # the relay comes back
            await eventually(notify.nothing_pending, "every email sent once the relay is back", timeout=30)
        finally:
            sender.cancel()
            with pytest.raises(asyncio.CancelledError):
                await sender
        assert sink.deliveries() == dict.fromkeys(queued, 1), "each once, none lost"
        assert [e["message_id"] for e in sink.handed_over()] == queued, "in the order they were queued"
        page = await notify.get("/v1/deliveries")
        assert {(e["state"], e["attempts"]) for e in page["items"]} == {("sent", 1)}


async def test_the_sender_keeps_the_pace_set_toward_the_relay(notify):
    now = [0.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:  # the limiter's clock, moved only by its waits
        waited.append(round(seconds, 6))
        now[0] += seconds

    limit = RateLimit(5, clock=lambda: now[0], sleep=sleep)
    queued = [await notify.queue(f"s{i}@example.se") for i in range(4)]
    assert await notify.sender(rate_limit=limit).send_due() == 4
    assert waited == [0.2, 0.2, 0.2], "one email every fifth of a second"
    assert notify.sink.deliveries() == dict.fromkeys(queued, 1)


def test_the_rate_is_a_setting(monkeypatch):
    monkeypatch.setenv("NOTIFY_SEND_RATE_PER_SECOND", "12.5")
    assert Settings(environment="test").send_rate_per_second == 12.5


async def test_the_failing_card_counts_every_failing_email_and_shows_the_newest_five(notify):
    """The start page's card, read in one query: the counts take every failing email, not only the five
    shown; an email queued or sent, or failed before the window, is not failing."""
    states = {
        "deferred-1": ("pending", 1, None, 30, None),
        "deferred-2": ("pending", 0, "relay away", 20, None),
        "deferred-3": ("pending", 2, "451 try later", 3, None),
        "queued": ("pending", 0, None, 1, None),
        "sent": ("sent", 1, None, 2, None),
        "failed-1": ("failed", 1, "550", 10, None),
        "failed-2": ("failed", 1, "550", 5, None),
        "failed-long-ago": ("failed", 1, "550", 60 * 49, None),
        "bounced-now": ("bounced", 1, "550 bounce", 60 * 72, 4),
        "bounced-long-ago": ("bounced", 1, "550 bounce", 60 * 72, 60 * 48),
    }
    ids = {}
    async with notify.pool.acquire() as conn:
        for name, (status, attempts, error, minutes_ago, bounced_minutes_ago) in states.items():
            message_id = await notify.queue(f"{name}@example.se")
            ids[name] = await conn.fetchval(
                "UPDATE emails SET status = $2, attempts = $3, last_error = $4,"
                " created_at = now() - make_interval(mins => $5),"
                " bounced_at = now() - make_interval(mins => $6) WHERE message_id = $1 RETURNING id",
                message_id, status, attempts, error, minutes_ago, bounced_minutes_ago,
            )
        oldest_deferred = await conn.fetchval(
            "SELECT created_at FROM emails WHERE id = $1", ids["deferred-1"]
        )
    card = await notify.get("/v1/deliveries/failing")
    assert (card["deferred"], card["failed"], card["bounced"]) == (3, 2, 1)
    assert datetime.fromisoformat(card["oldest_deferred_at"]) == oldest_deferred
    newest_five = ["deferred-3", "failed-2", "failed-1", "deferred-2", "deferred-1"]
    assert [row["id"] for row in card["latest"]] == [str(ids[name]) for name in newest_five]
    states_shown = [row["state"] for row in card["latest"]]
    assert states_shown == ["deferred", "failed", "failed", "deferred", "deferred"]
    assert card["latest"][0]["recipient"] == "deferred-3@example.se"
    assert card["latest"][0]["last_error"] == "451 try later" and card["latest"][0]["attempts"] == 2


async def test_every_table_of_the_service_raises_the_data_version(notify):
    async with notify.pool.acquire() as conn:
        assert await untracked_tables(conn) == [], "track them in a migration: backbone_track_data_version"


async def test_the_failing_card_is_answered_304_until_an_email_fails(notify_factory, make_sink):
    # The start page asks for this card on every visit: a 304 costs the service no query and no JSON.
    sink = make_sink(faults={1: Fault("DATA", reply="550 5.1.1 no such mailbox")})
    async with notify_factory(sink) as notify:
        admin = notify.headers("administrator")
        first = await notify.http.get("/v1/deliveries/failing", headers=admin)
        assert first.status_code == 200 and first.json()["failed"] == 0
        tag = first.headers["ETag"]
        again = await notify.http.get("/v1/deliveries/failing", headers={**admin, "If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
        await notify.queue("nobody@example.se")
        await notify.run_sender_until_done(notify.sender())
        after = await notify.http.get("/v1/deliveries/failing", headers={**admin, "If-None-Match": tag})
        assert after.status_code == 200, "an email failed, and the card was told nothing changed"
        assert after.json()["failed"] == 1
