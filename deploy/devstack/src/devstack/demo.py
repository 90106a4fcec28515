"""Demo data, loaded through the services' public APIs so the bus and the mailbox carry real traffic.

Based on the joint development group's minutes kept in the meetings package (demo/minutes).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from devstack.stack import Stack

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# People from the seed minutes; the addresses are made up (example.se never delivers anywhere).
DEMO_INVITEES = [
    {"name": "Leif Redestig", "email": "leif.redestig@example.se"},
    {"name": "Johanna Callegari", "email": "johanna.callegari@example.se"},
    {"name": "Pierre Sander", "email": "pierre.sander@example.se"},
    {"name": "Kenneth Tell", "email": "kenneth.tell@example.se"},
    {"name": "Ivan Kuzhicov", "email": "ivan.kuzhicov@example.se"},
    {"name": "Bent Nielsen", "email": "bent.nielsen@example.se"},
]


def first_mondays(start: date, count: int) -> list[date]:
    """The first Monday of each month from `start`'s month on: when the group meets."""
    out: list[date] = []
    year, month = start.year, start.month
    while len(out) < count:
        d = date(year, month, 1)
        d += timedelta(days=(0 - d.weekday()) % 7)
        if d >= start:
            out.append(d)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def seed(stack: Stack, today: date | None = None) -> list[str]:
    """Schedule the group's next three monthly meetings; returns lines to show the person."""
    today = today or date.today()
    lines: list[str] = []
    with httpx.Client(base_url=stack.url("meetings"), timeout=30.0) as client:
        for day in first_mondays(today, 3):
            starts = datetime.combine(day, time(13, 30), STOCKHOLM)
            response = client.post(
                "/v1/meetings",
                headers=stack.system_headers("meetings"),
                json={
                    "title": "Gemensam utvecklingsgrupp",
                    "group_name": "Gemensam utvecklingsgrupp",
                    "starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(hours=2)).isoformat(),
                    "timezone": "Europe/Stockholm",
                    "place": "Bryggan",
                    "invitees": DEMO_INVITEES,
                },
            )
            response.raise_for_status()
        lines.append(
            f"Demo data: 3 meetings of Gemensam utvecklingsgrupp, {len(DEMO_INVITEES)} invitees each."
        )
    return lines
