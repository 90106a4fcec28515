"""A real stack for end-to-end journeys: PostgreSQL, NATS, the SMTP sink, meetings and notify as processes."""

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest

from backbone.embedded import free_port
from backbone.testing import run_async, server_folder
from devstack.mailsink import deliveries, read_attempts, read_maildir
from devstack.stack import Ports, ServiceSpec, Stack

# notify's send loops: a crash can send again at most the one email each loop had in flight.
SEND_LOOPS = 4


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with server_folder("e2e-stack") as var:
        yield from _running(var)


def _running(var: Path) -> Iterator[Stack]:
    s = Stack(
        var=var,
        ports=Ports.free(),
        services=(ServiceSpec("meetings", free_port()), ServiceSpec("notify", free_port())),
        # These journeys kill and restart processes and PostgreSQL itself: what they prove about
        # durability holds only with the settings production runs with (fsync, synchronous commit).
        durable_postgres=True,
        # Short waits so crash tests see redelivery within seconds, not the production 30 s, and
        # the emails a killed sender had claimed come back within seconds, not its 2-minute lease.
        extra_env={
            "NOTIFY_CONSUMER_ACK_WAIT_SECONDS": "2",
            "NOTIFY_CONSUMER_BACKOFF_SECONDS": "[0.2, 0.5, 1]",
            "NOTIFY_SEND_LEASE_SECONDS": "6",
            "NOTIFY_SMTP_TIMEOUT_SECONDS": "2",
            "NOTIFY_SEND_CONCURRENCY": str(SEND_LOOPS),
        },
    )
    try:
        s.start_all()
        yield s
    finally:
        s.stop_all()


def mailbox_size(stack: Stack) -> int:
    """How many messages the sink has stored: cheap enough to poll every few milliseconds."""
    new = stack.maildir / "new"
    return sum(1 for _ in new.iterdir()) if new.exists() else 0


def create_meeting(stack: Stack, invitees: list[dict[str, str]], title: str | None = None) -> dict:
    starts = datetime.now(UTC) + timedelta(days=7)
    body = {
        "title": title or f"Gemensam utvecklingsgrupp {uuid.uuid4().hex[:8]}",
        "group_name": "Gemensam utvecklingsgrupp",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "place": "Bryggan",
        "invitees": invitees,
    }
    response = httpx.post(
        stack.url("meetings") + "/v1/meetings",
        json=body,
        headers={**stack.system_headers("meetings"), "X-Request-ID": "e2e-" + uuid.uuid4().hex},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


def invitees(n: int) -> list[dict[str, str]]:
    tag = uuid.uuid4().hex[:8]
    return [{"name": f"Person {i}", "email": f"person{i}.{tag}@example.se"} for i in range(n)]


def mails_to(stack: Stack, people: list[dict[str, str]]) -> list:
    """What the mailbox shows them; copies with a known Message-ID are dropped (see `deliveries_to`)."""
    wanted = {p["email"] for p in people}
    return [m for m in read_maildir(stack.maildir) if m["To"] in wanted]


def deliveries_to(stack: Stack, people: list[dict[str, str]]) -> Counter[str]:
    """How many times the SMTP sink took each email to them, copies included: "once" is counted here."""
    wanted = {p["email"] for p in people}
    theirs = {
        e["message_id"]
        for e in read_attempts(stack.mail_attempts_log)
        if e["stage"] == "DATA" and wanted.intersection(e["to"])
    }
    return Counter({mid: n for mid, n in deliveries(stack.mail_attempts_log).items() if mid in theirs})


def queued_emails(stack: Stack, people: list[dict[str, str]]) -> int:
    async def count() -> int:
        conn = await asyncpg.connect(stack.postgres.dsn("notify"))
        try:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM emails WHERE recipient = ANY($1::text[])",
                    [p["email"] for p in people],
                )
            )
        finally:
            await conn.close()

    return run_async(count())
