"""The walking skeleton, end to end and through failures: a meeting scheduled in the API becomes
exactly one email per invitee, whatever process is killed or restarted on the way.

"Exactly one" is counted in the SMTP sink's attempts log (every message it was handed), because
its Maildir drops copies by Message-ID and would hide a sender that sends everything twice. The
one allowed exception: when notify itself is killed, each of its send loops may send again the one
email it had in flight. A restart of its database alone doubles nothing.
"""

import json
import time

import asyncpg
import nats

from backbone.testing import eventually, run_async

from .conftest import (
    SEND_LOOPS,
    create_meeting,
    deliveries_to,
    invitees,
    mailbox_size,
    mails_to,
    queued_emails,
)


def assert_sent_once(counts, expected: int) -> None:
    assert len(counts) == expected, f"{len(counts)} of {expected} emails reached the mail server"
    assert max(counts.values()) == 1, f"copies sent: {[n for n in counts.values() if n > 1]}"


def assert_at_most_one_resend_per_loop(counts, expected: int) -> None:
    assert len(counts) == expected, f"{len(counts)} of {expected} emails reached the mail server"
    assert max(counts.values()) <= 2, "an email went out more than twice"
    resent = sum(n - 1 for n in counts.values())
    assert resent <= SEND_LOOPS, f"{resent} copies: more than the email in flight on each send loop"


def test_the_stack_runs_postgres_as_durably_as_production(stack):
    async def settings() -> tuple[str, str]:
        conn = await asyncpg.connect(stack.postgres.dsn())
        try:
            return await conn.fetchval("SHOW fsync"), await conn.fetchval("SHOW synchronous_commit")
        finally:
            await conn.close()

    assert run_async(settings()) == ("on", "on")


def test_a_scheduled_meeting_reaches_each_invitee_once_by_email(stack):
    people = invitees(2)
    meeting = create_meeting(stack, people, title="Gemensam utvecklingsgrupp december")
    run_async(eventually(lambda: len(mails_to(stack, people)) == 2, "two emails in the mailbox", timeout=30))
    mails = mails_to(stack, people)
    assert sorted(m["To"] for m in mails) == sorted(p["email"] for p in people)
    mail = mails[0]
    assert mail["Subject"].startswith("Nytt möte: Gemensam utvecklingsgrupp december")
    request_id = mail["X-Request-ID"]
    assert request_id.startswith("e2e-"), "the request id travels from the API call to the email"
    assert request_id in stack.log_of("notify").read_text(), "and into the consumer's logs"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Du är inbjuden till ett möte." in text and "Var: Bryggan" in text
    assert '<html lang="sv">' in html and "Bryggan" in html
    assert meeting["status"] == "scheduled"
    # Nothing more arrives later.
    time.sleep(1.0)
    assert_sent_once(deliveries_to(stack, people), 2)
    assert queued_emails(stack, people) == 2


def test_meetings_killed_right_after_the_commit_still_delivers_once(stack):
    people = invitees(1)
    create_meeting(stack, people)
    stack.kill("meetings")  # SIGKILL: the relay may be anywhere between reading, publishing and marking
    stack.start_service("meetings")
    run_async(
        eventually(
            lambda: len(deliveries_to(stack, people)) == 1, "the email after meetings was killed", timeout=30
        )
    )
    time.sleep(1.0)
    assert_sent_once(deliveries_to(stack, people), 1)
    assert queued_emails(stack, people) == 1


def test_notify_killed_mid_batch_loses_and_doubles_nothing(stack):
    stack.kill("notify")
    batches = [invitees(5) for _ in range(40)]
    for people in batches:
        create_meeting(stack, people)  # a backlog of 200 emails waits on the stream
    everyone = [p for people in batches for p in people]
    before = mailbox_size(stack)
    stack.start_service("notify")
    run_async(
        eventually(lambda: mailbox_size(stack) > before, "the first emails", interval=0.005, timeout=30)
    )
    stack.kill("notify")
    delivered_before = mailbox_size(stack) - before
    stack.start_service("notify")
    run_async(eventually(lambda: len(deliveries_to(stack, everyone)) == 200, "all 200 emails", timeout=90))
    time.sleep(2.5)  # past the ack wait: any unacked message would be redelivered by now
    assert_at_most_one_resend_per_loop(deliveries_to(stack, everyone), 200)
    assert len(mails_to(stack, everyone)) == 200
    assert queued_emails(stack, everyone) == 200
    assert 0 < delivered_before < 200, "notify was killed while work was still in flight"


def test_nats_restart_delays_but_loses_nothing(stack):
    stack.nats.stop()
    people = invitees(1)
    create_meeting(stack, people)  # the outbox keeps the event while NATS is away
    stack.nats.start()
    run_async(
        eventually(
            lambda: len(deliveries_to(stack, people)) == 1, "the email after NATS came back", timeout=60
        )
    )
    time.sleep(1.0)
    assert_sent_once(deliveries_to(stack, people), 1)


def test_nats_killed_with_work_in_flight_loses_nothing(stack):
    in_flight = [invitees(3) for _ in range(10)]
    for people in in_flight:
        create_meeting(stack, people)
    stack.nats.kill()  # SIGKILL: what JetStream acknowledged must already be on disk
    while_down = invitees(2)
    create_meeting(stack, while_down)
    stack.nats.start()
    everyone = [p for people in in_flight for p in people] + while_down
    run_async(
        eventually(
            lambda: len(deliveries_to(stack, everyone)) == 32,
            "all 32 emails after NATS was killed",
            timeout=90,
        )
    )
    time.sleep(2.5)
    assert_sent_once(deliveries_to(stack, everyone), 32)
    assert queued_emails(stack, everyone) == 32


def test_postgres_restart_needs_no_service_restart(stack):
    before = invitees(1)
    create_meeting(stack, before)
    stack.postgres.restart(mode="immediate")
    after = invitees(1)

    def accepted() -> bool:
        try:
            create_meeting(stack, after)
            return True
        except AssertionError:
            return False  # 503 while the pool reconnects

    run_async(eventually(accepted, "the meetings API accepts again after PostgreSQL restarted", timeout=60))
    run_async(eventually(lambda: len(deliveries_to(stack, before + after)) == 2, "both emails", timeout=60))
    time.sleep(1.0)
    # notify's database died under it, but notify did not: an email the server took whose mark was
    # lost is marked again when the database is back, never sent again. So not one copy.
    assert_sent_once(deliveries_to(stack, before + after), 2)
    assert not stack.crashed()


def test_a_malformed_message_is_dead_lettered_and_the_next_good_one_delivered(stack):
    async def publish_garbage_and_read_dead_letters() -> list:
        nc = await nats.connect(stack.nats.url)
        js = nc.jetstream()
        await js.publish("meetings.meeting.scheduled.v1", b'{"specversion": "1.0", "id": "oops"}')
        sub = await js.pull_subscribe("deadletter.notify.notify", stream="DEADLETTER")
        msgs = []
        for _ in range(100):
            try:
                msgs += await sub.fetch(10, timeout=0.2)
            except TimeoutError:
                pass
            if msgs:
                break
        for m in msgs:
            await m.ack()
        await nc.close()
        return msgs

    dead = run_async(publish_garbage_and_read_dead_letters())
    assert len(dead) == 1
    assert "Not a readable event" in dead[0].headers["Dead-Letter-Reason"]
    assert json.loads(dead[0].data) == {"specversion": "1.0", "id": "oops"}
    people = invitees(1)
    create_meeting(stack, people)
    run_async(eventually(lambda: len(deliveries_to(stack, people)) == 1, "the next good email", timeout=30))
    assert_sent_once(deliveries_to(stack, people), 1)


def test_every_service_reports_ready_and_exposes_metrics(stack):
    import httpx

    for name in ("meetings", "notify"):
        ready = httpx.get(stack.url(name) + "/readyz").json()
        assert ready["ready"] is True and ready["reasons"] == [], ready
        assert all(ready["checks"].values()) and {"database", "nats", "streams", "loops", "outbox"} <= set(
            ready["checks"]
        ), ready
        metrics = httpx.get(stack.url(name) + "/metrics").text
        assert "outbox_backlog" in metrics
    assert "events_handled_total" in httpx.get(stack.url("notify") + "/metrics").text


def test_a_request_around_the_gateway_is_refused(stack):
    import httpx

    response = httpx.post(stack.url("meetings") + "/v1/meetings", json={})
    assert response.status_code == 401
    assert "gateway" in response.json()["detail"]


def test_logs_hold_ids_but_no_names_or_addresses(stack):
    people = invitees(3)
    create_meeting(stack, people)
    run_async(eventually(lambda: len(deliveries_to(stack, people)) == 3, "three emails", timeout=30))
    for name in ("meetings", "notify"):
        text = stack.log_of(name).read_text()
        for person in people:
            assert person["email"] not in text, f"{name}'s log holds an email address"
