"""Rights requests: everything held about a volunteer exported as JSON; erasure keeping only what
accounting must keep; both sent to every service named in the settings, and complete only when
each has answered."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest

from backbone.envelope import new_envelope
from backbone.errors import NotFound, RuleError
from backbone.testing import where_it_remains
from volunteers import hours, rights
from volunteers.hours import HoursEntry
from volunteers.reviews import NewReview, ReviewAnswer, return_review, submit_review

from .vh_world import EVERYTHING, assignment, ctx, pool, volunteer

SERVICES = ("volunteers", "events", "notify")


async def outbox(conn: asyncpg.Connection, subject: str) -> list[dict]:
    rows = await conn.fetch("SELECT envelope::text AS e FROM outbox WHERE subject = $1 ORDER BY id", subject)
    return [json.loads(r["e"])["data"] for r in rows]


async def answer(conn: asyncpg.Connection, request_id: uuid.UUID, service: str, kind: str, **fields) -> None:
    """Another service's answer, handed to the handler the way the consumer does."""
    data = {
        "request_id": str(request_id),
        "service": service,
        "status": "done",
        "detail": "",
        "data": None,
    } | fields
    envelope = new_envelope(
        subject=f"{service}.{kind}.completed.v1",
        source=f"/{service}",
        data=data,
        aggregate=f"rights_request/{request_id}",
        correlation_id=None,
    )
    async with conn.transaction():
        await rights.record_answer(conn, envelope, rights.RightsAnswer.model_validate(data))


async def someone_with_a_history(conn: asyncpg.Connection) -> dict:
    """A reviewer with a membership, a qualification, a consent, an assignment with approved
    hours, a review answer with proposed hours, and a fee for their pool."""
    pool_id = await pool(conn, name="Klarspråksgranskare")
    await conn.execute(
        "INSERT INTO pool_fees (id, pool_id, hourly_fee, valid_from, created_by)"
        " VALUES ($1, $2, 150, '2000-01-01', 's')",
        uuid.uuid4(),
        pool_id,
    )
    tag = uuid.uuid4().hex[:8]
    person = {"name": f"Greta Granskare {tag}", "email": f"greta.{tag}@example.se", "phone": f"+46 70 {tag}"}
    volunteer_id = await volunteer(conn, pools=(pool_id,), **person)
    await conn.execute(
        "UPDATE volunteers SET does_not_want = $2, areas = '{kronan}', client_units = '{enhet-1}'"
        " WHERE id = $1",
        volunteer_id,
        f"Inga möten på kvällen, hälsar {person['name']}",
    )
    await conn.execute(
        "INSERT INTO qualifications (id, volunteer_id, key, kind, completed_on, note)"
        " VALUES ($1, $2, 'tystnadsplikt', 'agreement', '2026-01-10', $3)",
        uuid.uuid4(),
        volunteer_id,
        f"Signerat av {person['name']}",
    )
    await conn.execute(
        "INSERT INTO consents (id, volunteer_id, purpose, text_version, given_at, given_how)"
        " VALUES ($1, $2, 'erbjudanden', 'v1', now(), 'form')",
        uuid.uuid4(),
        volunteer_id,
    )
    await conn.execute(
        "INSERT INTO availability_exceptions (id, volunteer_id, starts_at, ends_at, available, note)"
        " VALUES ($1, $2, now() + interval '10 days', now() + interval '11 days', false, $3)",
        uuid.uuid4(),
        volunteer_id,
        f"Ring {person['phone']}",
    )
    assignment_id = await assignment(conn, pool_id=pool_id, volunteer_id=volunteer_id)
    worked = await hours.log_hours(
        conn=conn,
        assignment_id=assignment_id,
        entry=HoursEntry(minutes=120, note=f"{person['name']} kom i tid"),
        scope=EVERYTHING,
        by="staff-1",
        ctx=ctx(),
    )
    review = await submit_review(
        conn=conn,
        review=NewReview(
            pool_id,
            "brochure",
            "Broschyr",
            "En text att granska.",
            date.today() + timedelta(days=2),
            (volunteer_id,),
        ),
        scope=EVERYTHING,
        by="staff-1",
        by_name="Sara",
        ctx=ctx(),
    )
    [submitted] = [
        e for e in await outbox(conn, "volunteers.review.submitted.v1") if e["review_id"] == str(review["id"])
    ]
    await return_review(
        conn=conn,
        token=submitted["reviewers"][0]["token"],
        answer=ReviewAnswer(f"Hälsningar {person['name']}, {person['email']}", "En kort text.", 45),
        ctx=ctx(),
    )
    # The relay has published everything so far.
    await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    return {"pool_id": pool_id, "volunteer_id": volunteer_id, "hours_id": worked["id"], **person}


async def test_an_export_holds_this_services_part_at_once_and_completes_when_every_service_answered(conn):
    who = await someone_with_a_history(conn)
    request = await rights.request_rights(
        conn=conn,
        kind="export",
        volunteer_id=who["volunteer_id"],
        services=SERVICES,
        by="admin-1",
        now=ctx().now,
    )
    status = await rights.get_request(conn=conn, request_id=request["id"])
    assert status["status"] == "waiting"
    assert {a["service"]: a["status"] for a in status["answers"]} == {"volunteers": "done"}
    assert status["waiting_for"] == ["events", "notify"]

    [asked] = await outbox(conn, "volunteers.export.requested.v1")
    assert asked == {
        "request_id": str(request["id"]),
        "volunteer_id": str(who["volunteer_id"]),
        "services": list(SERVICES),
        "person": {"name": who["name"], "email": who["email"], "phone": who["phone"]},
        "requested_at": asked["requested_at"],
    }

    await answer(conn, request["id"], "events", "export", data={"registrations": [{"event": "Träff"}]})
    assert (await rights.get_request(conn=conn, request_id=request["id"]))["status"] == "waiting"
    await answer(conn, request["id"], "notify", "export", status="nothing_held")
    done = await rights.get_request(conn=conn, request_id=request["id"])
    assert (done["status"], done["waiting_for"]) == ("complete", [])
    assert done["completed_at"] is not None

    export = await rights.export_document(conn=conn, request_id=request["id"])
    assert export["complete"] is True
    mine = export["services"]["volunteers"]
    assert mine["volunteer"]["name"] == who["name"] and mine["volunteer"]["email"] == who["email"]
    assert [q["key"] for q in mine["qualifications"]] == ["tystnadsplikt"]
    assert [c["purpose"] for c in mine["consents"]] == ["erbjudanden"]
    assert len(mine["assignments"]) == 1 and len(mine["hours"]) == 2 and len(mine["reviews"]) == 1
    assert export["services"]["events"] == {"registrations": [{"event": "Träff"}]}
    assert export["services"]["notify"] is None
    json.dumps(export, default=str)  # the route sends it as JSON


async def test_an_answer_twice_and_an_answer_nobody_asked_for_change_nothing(conn):
    who = await someone_with_a_history(conn)
    request = await rights.request_rights(
        conn=conn,
        kind="export",
        volunteer_id=who["volunteer_id"],
        services=SERVICES,
        by="admin-1",
        now=ctx().now,
    )
    await answer(conn, request["id"], "events", "export", data={"a": 1})
    await answer(conn, request["id"], "events", "export", data={"a": 2})
    await answer(conn, uuid.uuid4(), "events", "export")
    await answer(conn, request["id"], "meetings", "export")  # not one of the services asked
    status = await rights.get_request(conn=conn, request_id=request["id"])
    assert {a["service"] for a in status["answers"]} == {"volunteers", "events"}
    export = await rights.export_document(conn=conn, request_id=request["id"])
    assert export["services"]["events"] == {"a": 1}


async def test_a_service_that_could_not_do_its_part_makes_the_request_failed_with_its_words(conn):
    who = await someone_with_a_history(conn)
    request = await rights.request_rights(
        conn=conn,
        kind="export",
        volunteer_id=who["volunteer_id"],
        services=("volunteers", "events"),
        by="admin-1",
        now=ctx().now,
    )
    await answer(conn, request["id"], "events", "export", status="failed", detail="Databasen svarade inte")
    status = await rights.get_request(conn=conn, request_id=request["id"])
    assert status["status"] == "failed"
    assert [(a["service"], a["detail"]) for a in status["answers"] if a["status"] == "failed"] == [
        ("events", "Databasen svarade inte")
    ]


async def test_after_an_erasure_no_name_email_or_phone_remains_in_any_table(conn):
    who = await someone_with_a_history(conn)
    needles = [who["name"], who["email"], who["phone"]]
    # An earlier export, answered by another service with the person's data in it.
    exported = await rights.request_rights(
        conn=conn,
        kind="export",
        volunteer_id=who["volunteer_id"],
        services=("volunteers", "events"),
        by="admin-1",
        now=ctx().now,
    )
    await answer(conn, exported["id"], "events", "export", data={"name": who["name"], "email": who["email"]})
    await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    assert await where_it_remains(conn, needles)  # the check finds what is there

    erasure = await rights.request_rights(
        conn=conn,
        kind="erasure",
        volunteer_id=who["volunteer_id"],
        services=SERVICES,
        by="admin-1",
        now=ctx().now,
    )
    # The request itself carries the contact details, so that the other services can find the
    # person in their own records; that event is all that is left until they have answered.
    [asked] = await outbox(conn, "volunteers.erasure.requested.v1")
    assert asked["person"]["email"] == who["email"]
    assert {place.split(" ")[0] for place in await where_it_remains(conn, needles)} == {"outbox.envelope"}
    [own] = await outbox(conn, "volunteers.erasure.completed.v1")
    assert (own["service"], own["status"]) == ("volunteers", "done")

    await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    await answer(conn, erasure["id"], "events", "erasure")
    await answer(conn, erasure["id"], "notify", "erasure", status="nothing_held")
    assert (await rights.get_request(conn=conn, request_id=erasure["id"]))["status"] == "complete"

    assert await where_it_remains(conn, needles) == []

    # What accounting must keep: the hours and the fee, under the pseudonym (the id) only.
    kept = await conn.fetch(
        "SELECT minutes, status FROM hours WHERE volunteer_id = $1 ORDER BY minutes", who["volunteer_id"]
    )
    assert [(r["minutes"], r["status"]) for r in kept] == [(45, "proposed"), (120, "approved")]
    assert await conn.fetchval("SELECT count(*) FROM pool_fees WHERE pool_id = $1", who["pool_id"]) == 1
    row = await conn.fetchrow(
        "SELECT status, email, phone FROM volunteers WHERE id = $1", who["volunteer_id"]
    )
    assert (row["status"], row["email"], row["phone"]) == ("erased", None, None)


async def test_an_erased_person_is_not_erased_twice_and_one_with_work_ahead_is_not_erased_yet(conn):
    who = await someone_with_a_history(conn)
    busy = await volunteer(conn, pools=(who["pool_id"],))
    await assignment(
        conn, pool_id=who["pool_id"], volunteer_id=busy, starts_at=datetime.now(UTC) + timedelta(days=3)
    )
    with pytest.raises(RuleError, match="kommande uppdrag"):
        await rights.request_rights(
            conn=conn, kind="erasure", volunteer_id=busy, services=SERVICES, by="a", now=ctx().now
        )
    assert await conn.fetchval("SELECT status FROM volunteers WHERE id = $1", busy) == "active"
    assert await conn.fetchval("SELECT count(*) FROM rights_requests") == 0

    await rights.request_rights(
        conn=conn,
        kind="erasure",
        volunteer_id=who["volunteer_id"],
        services=("volunteers",),
        by="a",
        now=ctx().now,
    )
    with pytest.raises(RuleError, match="redan raderad"):
        await rights.request_rights(
            conn=conn,
            kind="erasure",
            volunteer_id=who["volunteer_id"],
            services=SERVICES,
            by="a",
            now=ctx().now,
        )
    with pytest.raises(NotFound):
        await rights.request_rights(
            conn=conn, kind="export", volunteer_id=uuid.uuid4(), services=SERVICES, by="a", now=ctx().now
        )


async def test_with_only_this_service_named_a_request_is_complete_at_once_and_nothing_goes_out(conn):
    who = await someone_with_a_history(conn)
    request = await rights.request_rights(
        conn=conn,
        kind="erasure",
        volunteer_id=who["volunteer_id"],
        services=("volunteers",),
        by="a",
        now=ctx().now,
    )
    assert (await rights.get_request(conn=conn, request_id=request["id"]))["status"] == "complete"
    assert await outbox(conn, "volunteers.erasure.requested.v1") == []
    assert await where_it_remains(conn, [who["name"], who["email"], who["phone"]]) == []


async def test_the_fee_report_names_an_erased_person_by_pseudonym_only(conn):
    from volunteers import reports

    who = await someone_with_a_history(conn)
    await rights.request_rights(
        conn=conn,
        kind="erasure",
        volunteer_id=who["volunteer_id"],
        services=("volunteers",),
        by="a",
        now=ctx().now,
    )
    day = await conn.fetchval("SELECT work_date FROM hours WHERE id = $1", who["hours_id"])
    report = await reports.fee_report(conn=conn, month=day.replace(day=1), scope=EVERYTHING)
    [person] = [p for p in report.people if p.volunteer_id == who["volunteer_id"]]
    assert (person.name, person.erased, person.amount) == ("Raderad person", True, Decimal("300.00"))


async def test_a_failed_erasure_keeps_what_it_needs_and_is_asked_again_of_the_failed_services_only(conn):
    who = await someone_with_a_history(conn)
    needles = [who["name"], who["email"], who["phone"]]
    erasure = await rights.request_rights(
        conn=conn,
        kind="erasure",
        volunteer_id=who["volunteer_id"],
        services=SERVICES,
        by="admin-1",
        now=ctx().now,
    )
    await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    await answer(conn, erasure["id"], "events", "erasure", status="failed", detail="Databasen svarade inte")
    await answer(conn, erasure["id"], "notify", "erasure", status="nothing_held")
    status = await rights.get_request(conn=conn, request_id=erasure["id"])
    assert status["status"] == "failed"
    # Events still has the person; the request that names them must stay, or it can never be asked again.
    [asked] = await outbox(conn, "volunteers.erasure.requested.v1")
    assert asked["person"]["email"] == who["email"]

    again = await rights.retry_request(conn=conn, request_id=erasure["id"], now=ctx().now)
    assert (again["status"], again["waiting_for"]) == ("waiting", ["events"])
    first, second = await outbox(conn, "volunteers.erasure.requested.v1")
    assert (second["request_id"], second["services"]) == (str(erasure["id"]), ["events"])
    assert second["person"] == first["person"]

    await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    await answer(conn, erasure["id"], "events", "erasure")
    assert (await rights.get_request(conn=conn, request_id=erasure["id"]))["status"] == "complete"
    assert await where_it_remains(conn, needles) == []
    with pytest.raises(RuleError):
        await rights.retry_request(conn=conn, request_id=erasure["id"], now=ctx().now)
