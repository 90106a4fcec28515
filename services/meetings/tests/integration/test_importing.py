"""Importing old minutes: a draft meeting for review, never published directly; saving the review."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

import meetings
from backbone.testing import eventually
from meetings import importing
from meetings.importer import parse_minutes

SEED = Path(meetings.__file__).parent / "demo" / "minutes"


def seed_text(name: str) -> str:
    return (SEED / name).read_text(encoding="utf-8")


async def test_an_imported_text_becomes_a_draft_meeting_that_needs_review(client: Any) -> None:
    group = await client.post(
        "/v1/groups", {"name": "Gemensam utvecklingsgrupp", "kind": "joint_development"}
    )
    text = seed_text("2016-03-07-gemensam-utvecklingsgrupp.txt")
    imported = await client.post("/v1/imports", {"text": text, "source_name": "2016-03-07.txt"})
    assert imported["status"] == "needs_review"
    parsed = imported["parsed"]
    assert parsed["date"] == "2016-03-07" and parsed["minute_taker"] == "David"
    assert {"name": "Bent Nielsen", "organisation": "IFS"} in [
        {"name": a["name"], "organisation": a["organisation"]} for a in parsed["attendees"]
    ]
    assert "warnings" in parsed

    meeting = await client.get(f"/v1/meetings/{imported['meeting_id']}")
    assert meeting["group_id"] == group["id"] and meeting["source"] == "import"
    assert meeting["starts_at"].startswith("2016-03-07T12:30")  # 13:30 in Stockholm
    minutes = await client.get(f"/v1/minutes/{imported['minutes_id']}")
    assert minutes["status"] == "draft" and minutes["needs_review"] is True
    assert minutes["minute_taker"] == "David"
    headings = [s["heading"] for s in minutes["sections"]]
    assert headings[:3] == ["Avstämningshalvdag", "Fritidsbank", "Sysselsättning"]
    assert any(s["kind"] == "working_group_report" for s in minutes["sections"])

    attendance = await client.get(f"/v1/meetings/{imported['meeting_id']}/attendance")
    assert ("Herbert Tinz", "Bryggan") in [(a["person_name"], a["organisation_name"]) for a in attendance]
    orgs = {o["name"]: o["kind"] for o in (await client.get("/v1/organisations?limit=200"))["items"]}
    assert orgs["socialförvaltningen"] == "municipal" and orgs["Bryggan"] == "user_organisation"
    # Historical meetings send no invitations.
    assert await client.events("meetings.meeting.scheduled.v1") == []

    # Imported minutes cannot be approved before someone has reviewed them.
    submitted = await client.post(
        f"/v1/minutes/{minutes['id']}/submit", {"revision": minutes["revision"]}, expect=200
    )
    refused = await client.call(
        "POST", f"/v1/minutes/{minutes['id']}/approve", json={"revision": submitted["revision"]}, expect=409
    )
    assert "reviewed" in refused.json()["detail"]

    # The review corrects the minute-taker and the attendance, and adds a promise as an action item.
    review = {
        "version": imported["version"],
        "title": parsed["title"],
        "date": "2016-03-07",
        "minute_taker": "David Bergström",
        "attendees": [*parsed["attendees"][:3], {"name": "Ny Person", "organisation": "Vorta Drom"}],
        "sections": parsed["sections"],
        "decisions": [{"text": "Vi beslutar att hålla halvdagen den 16 maj."}],
        "action_items": [{"text": "Leif och Catrin förbereder Fritidsbank", "owner": "Leif och Catrin"}],
    }
    saved = await client.put(f"/v1/imports/{imported['id']}", review)
    assert saved["status"] == "reviewed" and saved["version"] == imported["version"] + 1
    await client.call("PUT", f"/v1/imports/{imported['id']}", json=review, expect=409)  # stale version

    reviewed = await client.get(f"/v1/minutes/{imported['minutes_id']}")
    assert reviewed["needs_review"] is False and reviewed["status"] == "draft"
    assert reviewed["minute_taker"] == "David Bergström"
    assert reviewed["decisions"] == [{"text": "Vi beslutar att hålla halvdagen den 16 maj.", "section": None}]
    attendance = await client.get(f"/v1/meetings/{imported['meeting_id']}/attendance")
    assert len(attendance) == 4 and ("Ny Person", "Vorta Drom") in [
        (a["person_name"], a["organisation_name"]) for a in attendance
    ]
    items = await client.get(f"/v1/action-items?meeting_id={imported['meeting_id']}")
    assert [(i["text"], i["owner_name"], i["status"]) for i in items["items"]] == [
        ("Leif och Catrin förbereder Fritidsbank", "Leif och Catrin", "open")
    ]
    for action in ("submit", "approve", "publish"):
        reviewed = await client.post(
            f"/v1/minutes/{reviewed['id']}/{action}", {"revision": reviewed["revision"]}, expect=200
        )
    assert reviewed["status"] == "published"
    assert (await client.get("/v1/imports"))["items"][0]["status"] == "reviewed"


async def test_a_text_without_a_year_waits_for_the_date_in_the_review(client: Any) -> None:
    text = seed_text("2016-02-22-gemensam-utvecklingsgrupp.txt").replace(" 2016", "")
    imported = await client.post("/v1/imports", {"text": text})
    assert imported["parsed"]["date"] is None and imported["meeting_id"] is None
    assert any("date" in w for w in imported["parsed"]["warnings"])
    assert (await client.get(f"/v1/imports/{imported['id']}"))["parsed"]["title"] == imported["parsed"][
        "title"
    ]

    with_year = await client.post("/v1/imports", {"text": text, "year": 2016})
    assert with_year["parsed"]["date"] == "2016-02-22" and with_year["meeting_id"]

    saved = await client.put(
        f"/v1/imports/{imported['id']}",
        {
            "version": imported["version"],
            "date": "2016-02-22",
            "title": "Gemensam utvecklingsgrupp 22 februari 2016",
            "attendees": imported["parsed"]["attendees"],
            "sections": imported["parsed"]["sections"],
            "minute_taker": "David",
        },
    )
    assert saved["meeting_id"] and saved["minutes_id"]
    minutes = await client.get(f"/v1/minutes/{saved['minutes_id']}")
    assert minutes["needs_review"] is False and minutes["status"] == "draft"
    await client.call("POST", "/v1/imports", json={"text": ""}, expect=422)


async def test_the_service_answers_other_requests_while_it_parses_an_upload(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The parse is held open until /livez has answered: on the event loop it would hold the loop
    # too, and /livez could only answer after the parse gave up waiting.
    started = threading.Event()
    livez_answered = threading.Event()
    answered_during_parse: list[bool] = []
    real_parse = importing.parse_minutes

    def parse_until_livez_answers(*args: Any, **kwargs: Any) -> Any:
        started.set()
        answered_during_parse.append(livez_answered.wait(timeout=10))
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(importing, "parse_minutes", parse_until_livez_answers)
    text = seed_text("2016-03-07-gemensam-utvecklingsgrupp.txt")
    upload = asyncio.create_task(client.post("/v1/imports", {"text": text}))
    await eventually(_is_set(started), "the import started")
    assert (await client.http.get("/livez")).status_code == 200
    livez_answered.set()
    imported = await upload
    assert imported["parsed"]["date"] == "2016-03-07"
    assert answered_during_parse == [True]


def _is_set(event: threading.Event) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return event.is_set()

    return check


async def test_an_import_replies_with_the_parsers_own_json_form(client: Any) -> None:
    name = "2016-04-04-gemensam-utvecklingsgrupp.txt"
    imported = await client.post("/v1/imports", {"text": seed_text(name), "source_name": name})
    assert imported["parsed"] == parse_minutes(seed_text(name), source_name=name).to_dict()
    assert (await client.get(f"/v1/imports/{imported['id']}"))["parsed"] == imported["parsed"]


async def test_the_api_describes_the_parsed_document_field_by_field(client: Any) -> None:
    schema = client.app.openapi()
    parsed = schema["components"]["schemas"]["ImportPublic"]["properties"]["parsed"]
    document = schema["components"]["schemas"][parsed["$ref"].rsplit("/", 1)[-1]]
    assert {"title", "date", "attendees", "sections", "decisions", "action_items", "warnings"} <= set(
        document["properties"]
    )


# Written as older versions stored them: a parse without the fields added since, with a key since
# dropped, and a reviewed one with what the review adds (status, kind, owner_person_id, due_date).
OLDER_PARSE = {
    "title": "Gemensam utvecklingsgrupp 7 mars 2016",
    "date": "2016-03-07",
    "needs_review": True,
    "attendees": [{"name": "Anna Berg", "organisation": "Bryggan"}],
    "sections": [{"heading": "Fritidsbank", "text": "Vi ses i maj."}],
    "warnings": ["Found no attendance list."],
    "confidence": 0.7,
}
OLDER_REVIEW = {
    **OLDER_PARSE,
    "attendees": [{"name": "Anna Berg", "organisation": "Bryggan", "status": "excused", "role": None}],
    "sections": [{"heading": "Fritidsbank", "text": "Vi ses i maj.", "kind": "text"}],
    "action_items": [
        {
            "text": "Boka lokal",
            "owner": "Anna",
            "owner_person_id": None,
            "due_date": "2016-04-01",
            "section": None,
        }
    ],
}


@pytest.mark.parametrize("stored", [OLDER_PARSE, OLDER_REVIEW], ids=["parsed", "reviewed"])
async def test_imports_stored_by_older_versions_stay_readable_and_reviewable(
    client: Any, stored: dict[str, Any]
) -> None:
    conn = await asyncpg.connect(client.dsn)
    try:
        import_id = await conn.fetchval(
            "INSERT INTO imports (id, source_name, year, text, parsed)"
            " VALUES ($1, 'old.txt', NULL, 'x', $2::jsonb)"
            " RETURNING id",
            uuid.uuid4(),
            json.dumps(stored),
        )
    finally:
        await conn.close()

    found = await client.get(f"/v1/imports/{import_id}")
    assert found["parsed"] == {key: value for key, value in stored.items() if key != "confidence"}
    listed = (await client.get("/v1/imports"))["items"]
    assert [(i["title"], i["warning_count"]) for i in listed] == [(stored["title"], 1)]

    review = {"version": found["version"], "date": "2016-03-07", "attendees": stored["attendees"]}
    saved = await client.put(f"/v1/imports/{import_id}", review)
    assert saved["status"] == "reviewed" and saved["parsed"]["warnings"] == stored["warnings"]
    assert saved["parsed"]["attendees"][0]["name"] == "Anna Berg"


class HeldParses:
    """Parses that start and then wait until the test lets them go on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.started = 0
        real_parse = importing.parse_minutes

        def held_parse(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.started += 1
            self.release.wait(timeout=30)
            return real_parse(*args, **kwargs)

        monkeypatch.setattr(importing, "parse_minutes", held_parse)

    def count(self, at_least: int) -> Callable[[], bool]:
        return lambda: self.started >= at_least


async def test_an_import_holds_no_database_connection_while_it_parses(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A parse can take seconds; a connection held meanwhile is one the other requests cannot have,
    # and a few slow uploads would empty the pool.
    held = HeldParses(monkeypatch)
    pool = client.app.state.runtime.pool
    upload = asyncio.create_task(
        client.post("/v1/imports", {"text": seed_text("2016-03-07-gemensam-utvecklingsgrupp.txt")})
    )
    taken: list[Any] = []
    try:
        await eventually(held.count(1), "the parse started")
        for _ in range(client.settings.pool_max_size):
            taken.append(await pool.acquire(timeout=5))
    except TimeoutError:
        pass
    finally:
        for conn in taken:
            await pool.release(conn)
        held.release.set()
    imported = await upload
    assert imported["parsed"]["date"] == "2016-03-07"
    assert len(taken) == client.settings.pool_max_size, (
        f"only {len(taken)} of the pool's {client.settings.pool_max_size} connections were free "
        "while an import was parsing"
    )


async def test_uploads_beyond_the_parsers_waiting_line_are_refused_at_once(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldParses(monkeypatch)
    text = seed_text("2016-03-07-gemensam-utvecklingsgrupp.txt")
    room = importing.PARSER_THREADS + importing.PARSES_WAITING
    uploads: list[asyncio.Task[Any]] = []
    try:
        for n in range(room):
            uploads.append(asyncio.create_task(client.post("/v1/imports", {"text": text})))
            await eventually(lambda n=n: importing.PARSERS.admitted > n, f"upload {n + 1} is let in")
        await eventually(held.count(importing.PARSER_THREADS), "every parser thread is busy")
        refused = await asyncio.wait_for(
            client.call("POST", "/v1/imports", json={"text": text}), timeout=10
        )
        assert refused.status_code == 503, refused.text
        assert "try again" in refused.json()["detail"].lower()
        assert refused.headers.get("retry-after")
    finally:
        held.release.set()
    imported = await asyncio.gather(*uploads)
    assert [i["parsed"]["date"] for i in imported] == ["2016-03-07"] * room
    assert importing.PARSERS.admitted == 0
