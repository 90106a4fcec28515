"""Events: create, change, publish, cancel and copy them, with the history of what attendees must know.

Use cases on a connection, one transaction each; each locks the event's row before it reads what
its outbox event will say.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from backbone import paging
from backbone.errors import NotFound, StaleVersion
from backbone.outbox import add_event
from events import contracts as c
from events import model, notices
from events.registrations import Context, fill_places, holding
from events.sql_queries import q

Row = dict[str, Any]
# The fields a person sets; the rest (status, sequence, version) follow from use cases.
EDITABLE = (
    "title",
    "description_sv",
    "description_en",
    "kind",
    "venue_name",
    "venue_address",
    "accessibility_notes",
    "starts_at",
    "ends_at",
    "organiser_ids",
    "audience",
    "audience_group_ids",
    "registration",
    "external_url",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "waitlist_mode",
    "offer_hours",
    "asks_accessibility",
    "asks_food",
    "reminder_minutes",
)


def _not_found(event_id: uuid.UUID) -> NotFound:
    return NotFound(f"Det finns inget evenemang med id {event_id}.")


def _check(fields: dict[str, Any]) -> None:
    model.check_times(fields["starts_at"], fields["ends_at"])
    model.check_window(fields["registration_opens_at"], fields["registration_closes_at"], fields["ends_at"])


async def create_event(
    *, conn: asyncpg.Connection, fields: dict[str, Any], copied_from: uuid.UUID | None = None
) -> Row:
    """A new event, as a draft: nobody outside staff sees it until it is published."""
    _check(fields)
    row = await q.insert_event.fetchrow(conn, id=uuid.uuid4(), copied_from=copied_from, **fields)
    return dict(row)


async def get_event(
    *, conn: asyncpg.Connection, event_id: uuid.UUID, viewer: model.Viewer | None = None
) -> Row:
    """The event; `viewer`: as they may see it (an event they may not see does not exist for them)."""
    if viewer is None or viewer.everything:
        row = await q.get_event.fetchrow(conn, id=event_id)
    else:
        row = await q.get_event_for_representative.fetchrow(
            conn, id=event_id, organisation_id=viewer.organisation_id
        )
    if row is None:
        raise _not_found(event_id)
    return dict(row)


async def get_public_event(*, conn: asyncpg.Connection, event_id: uuid.UUID) -> Row:
    """A published (or changed, or cancelled) public event; drafts and staff events do not exist here."""
    row = await get_event(conn=conn, event_id=event_id)
    if row["status"] == "draft" or row["audience"] != "public":
        raise _not_found(event_id)
    return row


async def with_places(conn: asyncpg.Connection, event: Row) -> Row:
    counts = await q.count_by_status.fetch(conn, event_id=event["id"])
    event["holding"] = holding({r["status"]: int(r["n"]) for r in counts})
    return event


async def list_events(
    *,
    conn: asyncpg.Connection,
    start: datetime | None,
    status: str | None,
    organisation_id: uuid.UUID | None,
    limit: int,
    offset: int,
    viewer: model.Viewer,
) -> tuple[list[Row], int]:
    return await paging.fetch_page(
        conn,
        q.list_events,
        start=start,
        status=status,
        organisation_id=organisation_id,
        restricted=not viewer.everything,
        viewer_organisation_id=viewer.organisation_id,
        limit=limit,
        offset=offset,
    )


async def list_public_events(
    *, conn: asyncpg.Connection, start: datetime, organisation_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[Row], int]:
    return await paging.fetch_page(
        conn, q.list_public_events, start=start, organisation_id=organisation_id, limit=limit, offset=offset
    )


async def update_event(
    *,
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    changes: dict[str, Any],
    version: int | None,
    by: str,
    ctx: Context,
) -> Row:
    """Change an event. A published event whose time or place changes is marked changed, its SEQUENCE
    rises, the change is kept in its history and announced; more places go to the waiting list."""
    async with conn.transaction():
        before = await q.lock_event.fetchrow(conn, id=event_id)
        if before is None:
            raise _not_found(event_id)
        before = dict(before)
        if version is not None and version != before["version"]:
            raise StaleVersion(
                "Någon annan har ändrat evenemanget sedan du öppnade det. "
                "Ladda om sidan och gör din ändring igen."
            )
        model.check_editable(before["status"])
        after = {f: before[f] for f in EDITABLE} | {k: v for k, v in changes.items() if k in EDITABLE}
        _check(after)
        counts = await q.count_by_status.fetch(conn, event_id=event_id)
        model.check_capacity(after["capacity"], holding({r["status"]: int(r["n"]) for r in counts}))
        published = before["status"] != "draft"
        kinds = model.attendee_changes(before, after) if published else []
        new_audience = published and model.audience_changed(before, after)
        row = dict(
            await q.update_event.fetchrow(
                conn,
                id=event_id,
                status=model.status_after_change(before["status"], kinds),
                sequence=before["sequence"] + (1 if kinds else 0),
                **after,
            )
        )
        if row["starts_at"] < before["starts_at"]:
            await q.cap_open_offers.execute(conn, event_id=event_id, starts_at=row["starts_at"])
        if kinds:
            await _record(conn, event_id, kinds, before, row, by)
            await add_event(
                conn,
                c.EVENT_CHANGED,
                c.EventChangedV1(
                    event_id=str(event_id),
                    title=row["title"],
                    changes=kinds,
                    previous_starts_at=before["starts_at"],
                    previous_ends_at=before["ends_at"],
                    starts_at=row["starts_at"],
                    ends_at=row["ends_at"],
                    timezone=ctx.timezone,
                    previous_venue_name=before["venue_name"],
                    previous_venue_address=before["venue_address"],
                    venue_name=row["venue_name"],
                    venue_address=row["venue_address"],
                    sequence=row["sequence"],
                    **_who_for(row),
                ),
                aggregate_id=str(event_id),
            )
        if new_audience:
            await _record(conn, event_id, ["audience"], before, row, by)
        told = kinds + (["audience"] if new_audience else [])
        if told:
            await notices.tell_changed(conn, before=before, after=row, changes=told, ctx=ctx)
        await fill_places(conn, row, ctx)
    return row


async def _record(
    conn: asyncpg.Connection, event_id: uuid.UUID, kinds: list[str], before: Row, after: Row, by: str
) -> None:
    fields = {
        "rescheduled": model.TIME_FIELDS,
        "moved": model.PLACE_FIELDS,
        "audience": model.AUDIENCE_FIELDS,
    }
    for kind in kinds:
        await q.insert_change.execute(
            conn,
            event_id=event_id,
            change=kind,
            before=_json({f: before[f] for f in fields[kind]}),
            after=_json({f: after[f] for f in fields[kind]}),
            changed_by=by,
        )


def _who_for(row: Row) -> dict[str, Any]:
    """The audience fields every announcement of the event carries."""
    return {"audience": row["audience"], "organiser_ids": [str(o) for o in row["organiser_ids"]]}


def _json(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in value.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [str(v) if isinstance(v, uuid.UUID) else v for v in value]
    return value


async def publish_event(*, conn: asyncpg.Connection, event_id: uuid.UUID, by: str, ctx: Context) -> Row:
    async with conn.transaction():
        before = await q.lock_event.fetchrow(conn, id=event_id)
        if before is None:
            raise _not_found(event_id)
        model.check_publishable(before["status"])
        row = dict(
            await q.set_event_status.fetchrow(
                conn, id=event_id, status="published", sequence=before["sequence"], cancel_reason=None
            )
        )
        await q.insert_change.execute(
            conn, event_id=event_id, change="published", before={}, after={}, changed_by=by
        )
        await add_event(
            conn,
            c.EVENT_PUBLISHED,
            c.EventPublishedV1(
                event_id=str(event_id),
                title=row["title"],
                kind=row["kind"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                timezone=ctx.timezone,
                venue_name=row["venue_name"],
                venue_address=row["venue_address"],
                sequence=row["sequence"],
                **_who_for(row),
            ),
            aggregate_id=str(event_id),
        )
    return row


async def cancel_event(
    *, conn: asyncpg.Connection, event_id: uuid.UUID, reason: str | None, by: str, ctx: Context
) -> Row:
    """Cancel an event. It stays in the feeds as cancelled, so calendars remove it."""
    async with conn.transaction():
        before = await q.lock_event.fetchrow(conn, id=event_id)
        if before is None:
            raise _not_found(event_id)
        model.check_cancellable(before["status"])
        row = dict(
            await q.set_event_status.fetchrow(
                conn, id=event_id, status="cancelled", sequence=before["sequence"] + 1, cancel_reason=reason
            )
        )
        await q.insert_change.execute(
            conn,
            event_id=event_id,
            change="cancelled",
            before=_json({"status": before["status"]}),
            after=_json({"status": "cancelled", "reason": reason}),
            changed_by=by,
        )
        people = await notices.concerned(conn, row)
        await q.close_waiting_list.execute(conn, event_id=event_id)
        if before["status"] != "draft":
            await notices.tell_cancelled(conn, event=row, people=people, reason=reason, ctx=ctx)
            await add_event(
                conn,
                c.EVENT_CANCELLED,
                c.EventCancelledV1(
                    event_id=str(event_id),
                    title=row["title"],
                    starts_at=row["starts_at"],
                    timezone=ctx.timezone,
                    reason=reason,
                    sequence=row["sequence"],
                    **_who_for(row),
                ),
                aggregate_id=str(event_id),
            )
    return row


async def copy_event(*, conn: asyncpg.Connection, event_id: uuid.UUID, starts_at: datetime) -> Row:
    """The same event on a new date, as a new draft with its programme and no registrations."""
    async with conn.transaction():
        source = await get_event(conn=conn, event_id=event_id)
        fields = {f: source[f] for f in EDITABLE} | model.copy_times(
            starts_at=source["starts_at"],
            ends_at=source["ends_at"],
            opens_at=source["registration_opens_at"],
            closes_at=source["registration_closes_at"],
            new_start=starts_at,
        )
        copy = await create_event(conn=conn, fields=fields, copied_from=event_id)
        await q.copy_programme.execute(
            conn, source_id=event_id, copy_id=copy["id"], shift=starts_at - source["starts_at"]
        )
    return copy


async def history(
    *, conn: asyncpg.Connection, event_id: uuid.UUID, viewer: model.Viewer | None = None
) -> list[Row]:
    await get_event(conn=conn, event_id=event_id, viewer=viewer)
    return [dict(r) for r in await q.list_changes.fetch(conn, event_id=event_id)]
