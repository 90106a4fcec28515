"""What notify consumes from the bus; the table at the bottom is the whole wiring.

Each handler declares only the fields it reads, and runs inside the consumer's transaction with
the inbox row, so a redelivered event queues no second email.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from pydantic import BaseModel

from backbone.consumer import Subscription
from backbone.envelope import Envelope
from backbone.logs import get_logger
from notify.mailing import queue_email
from notify.rendering import render
from notify.settings import Settings

log = get_logger(__name__)


class _Invitee(BaseModel):
    name: str
    email: str


class MeetingScheduled(BaseModel):
    title: str
    group_name: str | None = None
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/Stockholm"
    place: str | None = None
    invitees: list[_Invitee] = []


def subscriptions(settings: Settings) -> list[Subscription]:
    async def on_meeting_scheduled(conn: asyncpg.Connection, event: Envelope, data: MeetingScheduled) -> None:
        for invitee in data.invitees:
            context = {**data.model_dump(exclude={"invitees"}), "name": invitee.name}
            await queue_email(
                conn=conn,
                cause_event_id=event.id,
                template="meeting_scheduled",
                recipient=invitee.email,
                rendered=render("meeting_scheduled", context, timezone=data.timezone),
                mail_domain=settings.mail_domain,
            )
        log.info("invitations queued", event_id=event.id, aggregate=event.subject, count=len(data.invitees))

    return [
        Subscription("meetings.meeting.scheduled.v1", MeetingScheduled, on_meeting_scheduled),
    ]
