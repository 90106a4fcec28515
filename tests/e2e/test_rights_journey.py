"""A volunteer's export and erasure requests across the services that hold something about them:
volunteers asks on the bus, events and notify answer through their outboxes, and the request is
complete only when each has answered. Real processes on real PostgreSQL, NATS and an SMTP sink."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from backbone.embedded import free_port
from backbone.identity import Identity
from backbone.testing import eventually, run_async, server_folder, where_it_remains
from devstack.mailsink import read_maildir
from devstack.stack import Ports, ServiceSpec, Stack

ADMIN = Identity(subject="admin-1", roles=("administrator",), name="Ada Admin")
STAFF = Identity(subject="staff-1", roles=("staff",), name="Sara Personal")
VISITOR = Identity(subject="visitor", roles=(), name=None)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with server_folder("e2e-rights") as var:
        yield from _running(var)


def _running(var: Path) -> Iterator[Stack]:
    s = Stack(
        var=var,
        ports=Ports.free(),
        services=(
            ServiceSpec("volunteers", free_port()),
            ServiceSpec("events", free_port()),
            ServiceSpec("notify", free_port()),
        ),
        durable_postgres=False,
        extra_env={"EVENTS_RELAY_POLL_SECONDS": "0.2", "VOLUNTEERS_RELAY_POLL_SECONDS": "0.2"},
    )
    try:
        s.start_all()
        yield s
    finally:
        s.stop_all()


def call(
    stack: Stack, who: Identity, service: str, method: str, path: str, json: Any = None, expect: int = 200
):
    response = httpx.request(
        method, stack.url(service) + path, json=json, headers=stack.headers_as(who, service), timeout=30
    )
    assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
    return response.json()


def a_volunteer_registered_at_an_event(stack: Stack) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    digits = str(uuid.uuid4().int)[:7]
    who = {"name": f"Greta Granskare {tag}", "email": f"greta.{tag}@example.se", "phone": f"070-{digits}"}
    pool = call(
        stack, ADMIN, "volunteers", "POST", "/v1/pools", {"key": f"pool-{tag}", "name": "Mentorer"}, 201
    )
    volunteer = call(
        stack,
        ADMIN,
        "volunteers",
        "POST",
        "/v1/volunteers",
        {**who, "preferred_channel": "email", "pools": [{"pool_id": pool["id"], "status": "active"}]},
        201,
    )
    starts = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    event = call(
        stack,
        STAFF,
        "events",
        "POST",
        "/v1/events",
        {
            "title": f"Träff {tag}",
            "kind": "workshop",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 1,
        },
        201,
    )
    call(stack, STAFF, "events", "POST", f"/v1/events/{event['id']}/publish")
    path = f"/v1/public/events/{event['id']}/registrations"
    call(stack, VISITOR, "events", "POST", path, who, 202)
    # Behind them in the queue: the place they give up goes to her.
    other = {"name": f"Kajsa Kö {tag}", "email": f"kajsa.{tag}@example.se"}
    call(stack, VISITOR, "events", "POST", path, other, 202)
    return {**who, "volunteer_id": volunteer["id"], "event_id": event["id"], "other": other}


def request_rights(stack: Stack, kind: str, volunteer_id: str) -> dict[str, Any]:
    asked = call(
        stack,
        ADMIN,
        "volunteers",
        "POST",
        "/v1/rights/requests",
        {"kind": kind, "volunteer_id": volunteer_id},
        201,
    )

    def done() -> dict[str, Any] | None:
        found = call(stack, ADMIN, "volunteers", "GET", f"/v1/rights/requests/{asked['id']}")
        return found if found["status"] != "waiting" else None

    try:
        return run_async(eventually(done, f"every service answered the {kind}", timeout=60))
    except AssertionError:
        found = call(stack, ADMIN, "volunteers", "GET", f"/v1/rights/requests/{asked['id']}")
        raise AssertionError(f"The {kind} still waits for {found['waiting_for']} (see var/log)") from None


async def _remains(dsn: str, needles: list[str]) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return await where_it_remains(conn, needles)
    finally:
        await conn.close()


def test_an_export_and_an_erasure_complete_with_events_and_notify_answering(stack: Stack) -> None:
    who = a_volunteer_registered_at_an_event(stack)
    # Notify holds something too: the confirmation it sent them.
    run_async(
        eventually(
            lambda: [m for m in read_maildir(stack.maildir) if m["To"] == who["email"]],
            "the confirmation of the registration in the mailbox",
            timeout=60,
        )
    )

    export = request_rights(stack, "export", who["volunteer_id"])
    assert export["status"] == "complete", export
    assert {a["service"]: a["status"] for a in export["answers"]} == {
        "volunteers": "done",
        "events": "done",
        "notify": "done",
    }
    document = call(stack, ADMIN, "volunteers", "GET", f"/v1/rights/requests/{export['id']}/export")
    [registration] = document["services"]["events"]["registrations"]
    assert (registration["event_id"], registration["email"], registration["status"]) == (
        who["event_id"],
        who["email"],
        "registered",
    )
    assert [e["template"] for e in document["services"]["notify"]["emails"]]

    erasure = request_rights(stack, "erasure", who["volunteer_id"])
    assert erasure["status"] == "complete", erasure
    assert {a["service"] for a in erasure["answers"]} == {"volunteers", "events", "notify"}

    needles = [who["name"], who["email"], who["phone"], "+46" + who["phone"][1:].replace("-", "")]
    assert run_async(_remains(stack.postgres.dsn("events"), needles)) == []
    # The place went on to the next in line.
    summary = call(stack, STAFF, "events", "GET", f"/v1/events/{who['event_id']}/registrations/summary")
    assert summary["counts"] == {"cancelled": 1, "offered": 1}


# -- the staff who asked hear back -----------------------------------------------------------------


def _outbox(stack: Stack, subject: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(stack.postgres.dsn("volunteers"))
        try:
            rows = await conn.fetch(
                "SELECT envelope::text AS e FROM outbox WHERE subject = $1 ORDER BY id", subject
            )
        finally:
            await conn.close()
        return [json.loads(r["e"])["data"] for r in rows]

    return run_async(read())


def _mail_to(stack: Stack, address: str, subject_starts: str) -> Any:
    return run_async(
        eventually(
            lambda: [
                m
                for m in read_maildir(stack.maildir)
                if m["To"] == address and m["Subject"].startswith(subject_starts)
            ],
            f"an email to {address} starting {subject_starts!r}",
            timeout=60,
        )
    )


def test_the_staff_who_asked_are_told_at_their_work_address_when_filled_and_when_a_review_returns(
    stack: Stack,
) -> None:
    tag = uuid.uuid4().hex[:8]
    staff = Identity(
        subject=f"staff-{tag}",
        roles=("administrator",),
        name="Sara Personal",
        email=f"sara.{tag}@kommun.example.se",
        language="sv",
    )
    pool = call(
        stack, staff, "volunteers", "POST", "/v1/pools", {"key": f"pool-{tag}", "name": "Värdar"}, 201
    )
    volunteer = call(
        stack,
        staff,
        "volunteers",
        "POST",
        "/v1/volunteers",
        {
            "name": f"Vera Volontär {tag}",
            "email": f"vera.{tag}@example.se",
            "preferred_channel": "email",
            "pools": [{"pool_id": pool["id"], "status": "active"}],
        },
        201,
    )
    path = f"/v1/volunteers/{volunteer['id']}/consents"
    call(
        stack,
        staff,
        "volunteers",
        "POST",
        path,
        {"purpose": "erbjudanden", "text_version": "v1", "given_how": "form"},
        201,
    )
    starts = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    asked = call(
        stack,
        staff,
        "volunteers",
        "POST",
        "/v1/requests",
        {
            "pool_id": pool["id"],
            "seats": 1,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": "Stadsbiblioteket",
        },
        201,
    )
    [offer] = [o for o in _outbox(stack, "volunteers.offer.sent.v1") if o["request_id"] == asked["id"]]
    call(stack, VISITOR, "volunteers", "POST", "/v1/links/offer", {"token": offer["accept_token"]})

    [filled] = _mail_to(stack, staff.email, "Alla platser är klara")
    text = filled.get_body(("plain",)).get_content()
    assert "Hej Sara Personal!" in text and f"/volunteers/requests/{asked['id']}" in text

    review = call(
        stack,
        staff,
        "volunteers",
        "POST",
        "/v1/reviews",
        {
            "pool_id": pool["id"],
            "kind": "brochure",
            "title": f"Så söker du bostad {tag}",
            "text": "Ansökan om bostad ska inlämnas skriftligen till förvaltningens handläggare.",
            "deadline": (datetime.now(UTC) + timedelta(days=7)).date().isoformat(),
            "reviewer_ids": [volunteer["id"]],
        },
        201,
    )
    [submitted] = [
        r for r in _outbox(stack, "volunteers.review.submitted.v1") if r["review_id"] == review["id"]
    ]
    answer = {
        "token": submitted["reviewers"][0]["token"],
        "comments": "Kortare meningar.",
        "suggested_text": "Skicka din ansökan till oss. Skriv den på papper.",
    }
    call(stack, VISITOR, "volunteers", "POST", "/v1/links/review", answer, 201)

    [returned] = _mail_to(stack, staff.email, "Svar på granskningen")
    text = returned.get_body(("plain",)).get_content()
    assert "Förslaget är lättare att läsa." in text and f"/volunteers/reviews/{review['id']}" in text
