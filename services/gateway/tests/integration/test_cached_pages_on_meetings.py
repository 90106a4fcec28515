"""The gateway keeps the services' last answers to revalidate them; a page must still show every change
at once (the client's own tests show that one person's answer never reaches another)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from fastapi import FastAPI

from gateway import roles
from gateway.settings import Settings

from .conftest import LiveServer, MeetingsStaff, run, signed_in_as


def _meeting(meetings_staff: MeetingsStaff, title: str) -> dict[str, object]:
    group = meetings_staff.send(
        "POST", "/v1/groups", {"name": f"Grupp {uuid.uuid4().hex[:6]}", "kind": "joint_development"}
    )
    return meetings_staff.send(  # type: ignore[no-any-return]
        "POST",
        "/v1/meetings",
        {
            "title": title,
            "group_id": group["id"],
            "starts_at": "2031-05-06T13:30:00+02:00",
            "ends_at": "2031-05-06T15:30:00+02:00",
        },
    )


def test_a_change_by_someone_else_shows_on_the_next_page_load(
    gateway_on_meetings: LiveServer, real_settings: Settings, meetings_staff: MeetingsStaff
) -> None:
    tag = uuid.uuid4().hex[:6]
    meeting = _meeting(meetings_staff, f"Planering {tag}")
    page = signed_in_as(gateway_on_meetings, real_settings, roles.STAFF)
    first = page.get(f"/meetings/{meeting['id']}")
    assert first.status_code == 200 and "Klarspråk" not in first.text
    again = page.get(f"/meetings/{meeting['id']}")  # revalidated: the same page
    assert again.status_code == 200 and f"Planering {tag}" in again.text

    meetings_staff.send("POST", f"/v1/meetings/{meeting['id']}/agenda/items", {"title": f"Klarspråk {tag}"})

    assert f"Klarspråk {tag}" in page.get(f"/meetings/{meeting['id']}").text



def test_the_start_page_shows_a_meeting_planned_since_it_was_last_opened(
    gateway_on_meetings: LiveServer, real_settings: Settings, meetings_staff: MeetingsStaff
) -> None:
    page = signed_in_as(gateway_on_meetings, real_settings, roles.STAFF)
    assert page.get("/").status_code == 200
    assert page.get("/").status_code == 200  # the second time from the kept page
    tag = uuid.uuid4().hex[:6]
    group = meetings_staff.send(
        "POST", "/v1/groups", {"name": f"Grupp {tag}", "kind": "joint_development"}
    )
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    meetings_staff.send(
        "POST",
        "/v1/meetings",
        {
            "title": f"Snart {tag}",
            "group_id": group["id"],
            "starts_at": soon.isoformat(),
            "ends_at": (soon + timedelta(hours=1)).isoformat(),
        },
    )

    assert f"Snart {tag}" in page.get("/").text


def test_a_change_written_straight_to_the_database_shows_on_the_next_page_load(
    gateway_on_meetings: LiveServer,
    real_settings: Settings,
    meetings_staff: MeetingsStaff,
    meetings_app: FastAPI,
) -> None:
    """While nothing changes, the gateway takes the service's data version (one probe) for its answer
    and does not ask for it; a write by another process of the service (here straight to its database,
    as a consumer or a second worker would) moves the version, and the next page has it."""
    tag = uuid.uuid4().hex[:6]
    meeting = _meeting(meetings_staff, f"Planering {tag}")
    page = signed_in_as(gateway_on_meetings, real_settings, roles.STAFF)
    freshness = gateway_on_meetings.server.config.app.state.upstream.freshness
    assert f"Planering {tag}" in page.get(f"/meetings/{meeting['id']}").text
    probes = freshness.sent
    assert f"Planering {tag}" in page.get(f"/meetings/{meeting['id']}").text
    assert freshness.sent == probes + 1  # answered by the probe

    async def rename() -> None:
        conn = await asyncpg.connect(meetings_app.state.runtime.settings.database_url)
        try:
            await conn.execute("UPDATE meetings SET title = $1 WHERE id = $2", f"Omdöpt {tag}", meeting["id"])
        finally:
            await conn.close()

    run(rename())
    assert f"Omdöpt {tag}" in page.get(f"/meetings/{meeting['id']}").text
    assert f"Omdöpt {tag}" in page.get(f"/meetings/{meeting['id']}").text
