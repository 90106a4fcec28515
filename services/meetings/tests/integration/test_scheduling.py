"""Series generate meetings (DST-correct); one meeting can be moved or cancelled; events follow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from backbone.testing import eventually

STOCKHOLM = ZoneInfo("Europe/Stockholm")


async def group_with_member(client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    group = await client.post(
        "/v1/groups", {"name": f"Grupp {uuid.uuid4().hex[:6]}", "kind": "joint_development"}
    )
    person = await client.post("/v1/people", {"name": "Kenneth Tell", "email": "kenneth@example.se"})
    await client.put(f"/v1/groups/{group['id']}/members/{person['id']}", {})
    return group, person


async def test_a_monthly_series_meets_on_the_first_monday_at_13_30_local_time(client: Any) -> None:
    group, _ = await group_with_member(client)
    series = await client.post(
        "/v1/series",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "place": "Bryggan",
            "recurrence": {"frequency": "monthly", "weekday": 0, "week_of_month": 1},
            "start_time": "13:30",
            "duration_minutes": 120,
            "starts_on": "2016-02-01",
            "until": "2016-05-31",
        },
    )
    starts = [datetime.fromisoformat(m["starts_at"]).astimezone(STOCKHOLM) for m in series["meetings"]]
    assert [s.date().isoformat() for s in starts] == ["2016-02-01", "2016-03-07", "2016-04-04", "2016-05-02"]
    assert {(s.hour, s.minute) for s in starts} == {(13, 30)}  # before and after the change to summer time
    assert starts[1].utcoffset() != starts[2].utcoffset()

    scheduled = await client.events("meetings.meeting.scheduled.v1")
    assert len(scheduled) == 4
    # The contract notify reads: title, group_name, starts_at, ends_at, timezone, place, invitees.
    first = scheduled[0]
    assert first["group_name"] == group["name"] and first["place"] == "Bryggan"
    assert first["timezone"] == "Europe/Stockholm"
    assert first["invitees"] == [{"name": "Kenneth Tell", "email": "kenneth@example.se"}]
    assert first["series_id"] == series["id"]
    created = await client.events("meetings.series.created.v1")
    assert created[0]["meeting_ids"] == [m["id"] for m in series["meetings"]]

    listed = await client.get(f"/v1/meetings?series_id={series['id']}&limit=2")
    assert listed["total"] == 4 and len(listed["items"]) == 2
    assert (await client.get(f"/v1/series/{series['id']}"))["group_name"] == group["name"]


async def test_every_other_monday_series(client: Any) -> None:
    series = await client.post(
        "/v1/series",
        {
            "title": "Ledningsgrupp",
            "recurrence": {"frequency": "weekly", "weekday": 0, "interval": 2},
            "start_time": "09:00",
            "duration_minutes": 60,
            "starts_on": "2026-01-07",
            "count": 3,
        },
    )
    days = [
        datetime.fromisoformat(m["starts_at"]).astimezone(STOCKHOLM).date().isoformat()
        for m in series["meetings"]
    ]
    assert days == ["2026-01-12", "2026-01-26", "2026-02-09"]


async def test_one_meeting_of_a_series_is_moved_and_another_cancelled(client: Any) -> None:
    group, _ = await group_with_member(client)
    series = await client.post(
        "/v1/series",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "place": "Bryggan",
            "recurrence": {"frequency": "monthly", "weekday": 0, "week_of_month": 1},
            "start_time": "13:30",
            "duration_minutes": 120,
            "starts_on": "2026-01-01",
            "count": 3,
        },
    )
    first, second, third = series["meetings"]
    moved = await client.patch(
        f"/v1/meetings/{first['id']}",
        {"version": first["version"], "starts_at": "2026-01-12T14:00:00+01:00", "place": "Stadshuset"},
    )
    assert moved["place"] == "Stadshuset" and moved["version"] == first["version"] + 1
    assert datetime.fromisoformat(moved["ends_at"]) - datetime.fromisoformat(moved["starts_at"]) == (
        datetime.fromisoformat(first["ends_at"]) - datetime.fromisoformat(first["starts_at"])
    )
    stale = await client.call(
        "PATCH", f"/v1/meetings/{first['id']}", json={"version": first["version"], "place": "X"}, expect=409
    )
    assert "changed by someone else" in stale.json()["detail"]

    cancelled = await client.post(
        f"/v1/meetings/{second['id']}/cancel",
        {"version": second["version"], "reason": "Sportlov"},
        expect=200,
    )
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "Sportlov"
    again = await client.call(
        "POST", f"/v1/meetings/{second['id']}/cancel", json={"version": cancelled["version"]}, expect=409
    )
    assert "cancelled" in again.json()["detail"]

    untouched = await client.get(f"/v1/meetings/{third['id']}")
    assert untouched["starts_at"] == third["starts_at"] and untouched["status"] == "scheduled"
    assert (await client.get(f"/v1/meetings?series_id={series['id']}&status=cancelled"))["total"] == 1

    rescheduled = await client.events("meetings.meeting.rescheduled.v1")
    assert rescheduled[0]["meeting_id"] == first["id"]
    assert rescheduled[0]["previous_starts_at"].startswith("2026-01-05T12:30")
    assert rescheduled[0]["invitees"][0]["email"] == "kenneth@example.se"
    cancelled_events = await client.events("meetings.meeting.cancelled.v1")
    assert [(e["meeting_id"], e["reason"]) for e in cancelled_events] == [(second["id"], "Sportlov")]


async def test_series_input_is_checked(client: Any) -> None:
    response = await client.call(
        "POST",
        "/v1/series",
        json={
            "title": "X",
            "recurrence": {"frequency": "monthly", "weekday": 0},
            "start_time": "13:30",
            "duration_minutes": 60,
            "starts_on": "2026-01-01",
            "timezone": "Mars/Olympus",
        },
        expect=422,
    )
    detail = response.json()["detail"]
    assert "week_of_month" in detail and "Mars/Olympus" in detail


async def test_the_scheduled_event_reaches_the_bus(client: Any) -> None:
    import nats

    nc = await nats.connect(client.settings.nats_url)
    try:
        js = nc.jetstream()
        meeting = await client.post(
            "/v1/meetings",
            {
                "title": "Avstämning",
                "starts_at": "2026-03-02T13:30:00+01:00",
                "ends_at": "2026-03-02T15:30:00+01:00",
                "invitees": [{"name": "Ivan", "email": "ivan@example.se"}],
            },
        )
        sub = await js.subscribe("meetings.meeting.scheduled.v1", ordered_consumer=True)

        async def arrived() -> bool:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except Exception:  # noqa: BLE001 - nothing yet
                return False
            return meeting["id"] in msg.data.decode()

        await eventually(arrived, "the scheduled event on the bus", timeout=15)
    finally:
        await nc.close()


async def test_a_single_meeting_of_a_group_invites_its_members(client: Any) -> None:
    group, _ = await group_with_member(client)
    meeting = await client.post(
        "/v1/meetings",
        {
            "title": "Extra möte",
            "group_id": group["id"],
            "starts_at": "2026-03-09T13:30:00+01:00",
            "ends_at": "2026-03-09T15:00:00+01:00",
        },
    )
    assert meeting["group_name"] == group["name"]
    assert meeting["invitees"] == [{"name": "Kenneth Tell", "email": "kenneth@example.se"}]
    missing = await client.call(
        "POST",
        "/v1/meetings",
        json={
            "title": "X",
            "group_id": str(uuid.uuid4()),
            "starts_at": "2026-03-09T13:30:00+01:00",
            "ends_at": "2026-03-09T15:00:00+01:00",
        },
        expect=404,
    )
    assert "no group" in missing.json()["detail"]
