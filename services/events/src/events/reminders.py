"""Reminders before an event, per registered person: durable (a row per reminder and start time),
never sent twice, and never for an old time after a reschedule (rows are keyed by the start time)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from backbone.logs import get_logger
from backbone.outbox import add_event
from events import contracts as c
from events import model
from events.registrations import Context, about, cancel_token
from events.sql_queries import q

log = get_logger(__name__)
Row = dict[str, Any]


async def send_due(*, conn: asyncpg.Connection, ctx: Context, limit: int = 50) -> int:
    """One round: announce the reminders whose time has come; how many people were reminded."""
    reminded = 0
    for row in await q.events_with_due_reminders.fetch(conn, now=ctx.now, limit=limit):
        # One event that fails (its transaction rolled back) must not hold up the others' reminders.
        try:
            reminded += await _remind(conn, row["id"], ctx)
        except Exception as exc:  # noqa: BLE001 - logged; the next round tries it again
            log.warning("reminders failed", event_id=str(row["id"]), error=type(exc).__name__)
    return reminded


async def _remind(conn: asyncpg.Connection, event_id: uuid.UUID, ctx: Context) -> int:
    async with conn.transaction():
        # Locked and read again: a reschedule that committed meanwhile decides what is due.
        event = dict(await q.lock_event.fetchrow(conn, id=event_id))
        if event["status"] not in ("published", "changed"):
            return 0
        handled = {
            r["minutes_before"]
            for r in await q.handled_reminders.fetch(conn, event_id=event_id, starts_at=event["starts_at"])
        }
        send, due = model.due_reminders(
            minutes_before=event["reminder_minutes"],
            starts_at=event["starts_at"],
            now=ctx.now,
            handled=handled,
        )
        for minutes in due:
            await q.mark_reminder.execute(
                conn,
                event_id=event_id,
                minutes_before=minutes,
                starts_at=event["starts_at"],
                sent=minutes == send,
            )
        if send is None:
            return 0
        people = await q.registered_people.fetch(conn, event_id=event_id)
        for reg in people:
            await add_event(
                conn,
                c.REMINDER_DUE,
                c.ReminderDueV1(
                    **about(event, dict(reg), ctx),
                    ends_at=event["ends_at"],
                    venue_name=event["venue_name"],
                    venue_address=event["venue_address"],
                    minutes_before=send,
                    cancel_token=cancel_token(event, dict(reg), ctx),
                ),
                aggregate_id=str(reg["id"]),
            )
        return len(people)
