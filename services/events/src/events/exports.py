"""CSV export of an event's registrations, for the organiser's own lists."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import asyncpg

from backbone.errors import NotFound
from events.sql_queries import q

COLUMNS = (
    ("queue_no", "Nr"),
    ("name", "Namn"),
    ("email", "E-post"),
    ("phone", "Telefon"),
    ("organisation_id", "Organisation"),
    ("status", "Status"),
    ("accessibility", "Tillgänglighet"),
    ("food", "Mat"),
    ("checked_in_at", "Incheckad"),
    ("created_at", "Anmäld"),
)
# A cell that starts like a formula would run as one in a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


async def registrations_csv(
    *, conn: asyncpg.Connection, event_id: uuid.UUID, organisation_id: uuid.UUID | None
) -> str:
    if await q.get_event.fetchrow(conn, id=event_id) is None:
        raise NotFound(f"Det finns inget evenemang med id {event_id}.")
    rows = await q.export_registrations.fetch(conn, event_id=event_id, organisation_id=organisation_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow([cell(row[name]) for name, _ in COLUMNS])
    return out.getvalue()
