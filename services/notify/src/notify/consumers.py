"""What notify consumes from the bus; the table at the bottom is the whole wiring.

Each handler declares only the fields it reads, and runs inside the consumer's transaction with
the inbox row, so a redelivered event queues no second email.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from backbone.consumer import Subscription
from backbone.envelope import Envelope
from backbone.logs import get_logger
from notify.mailing import queue_email
from notify.rendering import render
from notify.settings import Settings

log = get_logger(__name__)


class Recipient(BaseModel):
    name: str
    email: str


class MeetingScheduled(BaseModel):
    meeting_id: str
    title: str
    group_name: str | None = None
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/Stockholm"
    place: str | None = None
    invitees: list[Recipient] = []


class MeetingRescheduled(MeetingScheduled):
    previous_starts_at: datetime


class MeetingCancelled(BaseModel):
    meeting_id: str
    title: str
    starts_at: datetime
    timezone: str = "Europe/Stockholm"
    reason: str | None = None
    invitees: list[Recipient] = []


class MinutesPublished(BaseModel):
    meeting_id: str
    title: str
    decision_count: int = 0
    correction_note: str | None = None
    meeting_starts_at: datetime | None = None
    timezone: str = "Europe/Stockholm"
    recipients: list[Recipient] = []


class ActionItemNotice(BaseModel):
    action_item_id: str
    text: str
    owner_name: str | None = None
    owner_email: str | None = None
    due_date: date | None = None


Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]


def subscriptions(settings: Settings) -> list[Subscription]:
    async def send_each(
        conn: asyncpg.Connection,
        event: Envelope,
        template: str,
        recipients: list[Recipient],
        context: dict[str, Any],
        timezone: str,
    ) -> None:
        for recipient in recipients:
            await queue_email(
                conn=conn,
                cause_event_id=event.id,
                template=template,
                recipient=recipient.email,
                rendered=render(
                    template,
                    {**context, "name": recipient.name, "public_url": settings.public_url},
                    timezone=timezone,
                ),
                mail_domain=settings.mail_domain,
            )
        log.info("emails queued", template=template, event_id=event.id, count=len(recipients))

    def to_invitees(template: str) -> Handler:
        async def handle(conn: asyncpg.Connection, event: Envelope, data: Any) -> None:
            context = data.model_dump(exclude={"invitees"})
            await send_each(conn, event, template, data.invitees, context, data.timezone)

        return handle

    async def minutes_published(conn: asyncpg.Connection, event: Envelope, data: MinutesPublished) -> None:
        context = data.model_dump(exclude={"recipients"})
        await send_each(conn, event, "minutes_published", data.recipients, context, data.timezone)

    def to_owner(template: str) -> Handler:
        async def handle(conn: asyncpg.Connection, event: Envelope, data: ActionItemNotice) -> None:
            if not data.owner_email:
                return  # nobody to write to: the item shows on the start page instead
            owner = Recipient(name=data.owner_name or "", email=data.owner_email)
            context = data.model_dump(exclude={"owner_email"})
            await send_each(conn, event, template, [owner], context, "Europe/Stockholm")

        return handle

    return [
        Subscription("meetings.meeting.scheduled.v1", MeetingScheduled, to_invitees("meeting_scheduled")),
        Subscription(
            "meetings.meeting.rescheduled.v1", MeetingRescheduled, to_invitees("meeting_rescheduled")
        ),
        Subscription("meetings.meeting.cancelled.v1", MeetingCancelled, to_invitees("meeting_cancelled")),
        Subscription("meetings.minutes.published.v1", MinutesPublished, minutes_published),
        Subscription("meetings.minutes.corrected.v1", MinutesPublished, minutes_published),
        Subscription("meetings.action_item.assigned.v1", ActionItemNotice, to_owner("action_item_assigned")),
        Subscription("meetings.action_item.due_soon.v1", ActionItemNotice, to_owner("action_item_due_soon")),
        Subscription("meetings.action_item.overdue.v1", ActionItemNotice, to_owner("action_item_overdue")),
    ]
