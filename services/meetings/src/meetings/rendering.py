"""Minutes as an accessible HTML page and a print version, in the shape the group knows (Jinja2)."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import asyncpg
from jinja2 import Environment, PackageLoader, select_autoescape

from meetings import attendance, minutes, model
from meetings.sql_queries import q

_env = Environment(
    loader=PackageLoader("meetings", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

STATUS_LABELS = {
    "draft": "Utkast",
    "ready_for_review": "Klart för granskning",
    "approved": "Godkänt",
    "published": "Publicerat",
    "superseded": "Ersatt av en rättad version",
}


async def render_minutes(
    *, conn: asyncpg.Connection, minutes_id: uuid.UUID, printable: bool, published_only: bool
) -> str:
    doc = await minutes.get(conn=conn, minutes_id=minutes_id, published_only=published_only)
    meeting = await q.get_meeting.fetchrow(conn, id=doc["meeting_id"])
    people = await attendance.list_for_meeting(conn=conn, meeting_id=doc["meeting_id"])
    items = [
        dict(r)
        for r in await q.list_action_items.fetch(
            conn,
            status=None,
            group_id=None,
            meeting_id=doc["meeting_id"],
            owner_person_id=None,
            organisation_id=None,
            limit=500,
            offset=0,
        )
    ]
    day = meeting["starts_at"].astimezone(ZoneInfo(meeting["timezone"])).date()
    return _env.get_template("minutes.html.j2").render(
        doc=doc,
        meeting=meeting,
        date_text=model.swedish_date(day),
        date_iso=day.isoformat(),
        present=[p for p in people if p["status"] in ("present", "guest")],
        excused=[p for p in people if p["status"] == "excused"],
        action_items=items,
        printable=printable,
        status_label=STATUS_LABELS.get(doc["status"], doc["status"]),
    )
