"""Importing old minutes: a draft meeting for review, never published directly; saving the review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import meetings

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
