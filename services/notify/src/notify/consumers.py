"""What notify consumes from the bus; the table at the bottom is the whole wiring.

Each handler declares only the fields it reads, and runs inside the consumer's transaction with
the inbox row, so a redelivered event queues no second email.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel

from backbone.consumer import Handler, Subscription
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
    timezone: str | None = None  # none said: the configured zone (Settings.timezone)
    place: str | None = None
    invitees: list[Recipient] = []


class MeetingRescheduled(MeetingScheduled):
    previous_starts_at: datetime


class MeetingCancelled(BaseModel):
    meeting_id: str
    title: str
    starts_at: datetime
    timezone: str | None = None  # none said: the configured zone (Settings.timezone)
    reason: str | None = None
    invitees: list[Recipient] = []


class MinutesPublished(BaseModel):
    meeting_id: str
    title: str
    decision_count: int = 0
    correction_note: str | None = None
    meeting_starts_at: datetime | None = None
    timezone: str | None = None  # none said: the configured zone (Settings.timezone)
    recipients: list[Recipient] = []


class ActionItemNotice(BaseModel):
    action_item_id: str
    text: str
    owner_name: str | None = None
    owner_email: str | None = None
    due_date: date | None = None


def distinct(recipients: list[Recipient]) -> list[Recipient]:
    """One recipient per address, compared without case (`A@x.se` and `a@x.se` are one mailbox).

    The first spelling is kept for sending: a person's own spelling of their address is theirs.
    """
    seen: set[str] = set()
    kept = []
    for recipient in recipients:
        key = recipient.email.lower()  # as the email id is derived (mailing.queue_email)
        if key not in seen:
            seen.add(key)
            kept.append(recipient)
    return kept


# A notify handler also takes the settings: links in the emails and their Message-IDs need them.
NotifyHandler = Callable[[asyncpg.Connection, Envelope, Any, Settings], Awaitable[None]]


@dataclass(frozen=True)
class NotifySubscription:
    """A row of SUBSCRIPTIONS: a subject, the fields its handler reads, and the handler."""

    subject: str
    model: type[BaseModel]
    handler: NotifyHandler


async def send_each(
    conn: asyncpg.Connection,
    event: Envelope,
    settings: Settings,
    *,
    template: str,
    recipients: list[Recipient],
    context: dict[str, Any],
    timezone: str | None = None,
) -> None:
    """Queue the email for each distinct recipient, its times in `timezone` or else the configured zone."""
    kept = distinct(recipients)
    for recipient in kept:
        await queue_email(
            conn=conn,
            cause_event_id=event.id,
            template=template,
            recipient=recipient.email,
            rendered=render(
                template,
                {**context, "name": recipient.name, "public_url": settings.public_url},
                timezone=timezone or settings.timezone,
            ),
            mail_domain=settings.mail_domain,
        )
    log.info("emails queued", template=template, event_id=event.id, count=len(kept))


def to_invitees(template: str) -> NotifyHandler:
    async def handle(conn: asyncpg.Connection, event: Envelope, data: Any, settings: Settings) -> None:
        context = data.model_dump(exclude={"invitees"})
        await send_each(
            conn,
            event,
            settings,
            template=template,
            recipients=data.invitees,
            context=context,
            timezone=data.timezone,
        )

    return handle


async def minutes_published(
    conn: asyncpg.Connection, event: Envelope, data: MinutesPublished, settings: Settings
) -> None:
    context = data.model_dump(exclude={"recipients"})
    await send_each(
        conn,
        event,
        settings,
        template="minutes_published",
        recipients=data.recipients,
        context=context,
        timezone=data.timezone,
    )


def to_owner(template: str) -> NotifyHandler:
    async def handle(
        conn: asyncpg.Connection, event: Envelope, data: ActionItemNotice, settings: Settings
    ) -> None:
        if not data.owner_email:
            return  # nobody to write to: the item shows on the start page instead
        owner = Recipient(name=data.owner_name or "", email=data.owner_email)
        context = data.model_dump(exclude={"owner_email"})
        await send_each(
            conn,
            event,
            settings,
            template=template,
            recipients=[owner],
            context=context,
        )

    return handle


def subscriptions(settings: Settings) -> list[Subscription]:
    """The table below with the settings handed to each handler (the composition root calls this)."""
    return [
        Subscription(row.subject, row.model, _with_settings(row.handler, settings)) for row in SUBSCRIPTIONS
    ]


def _with_settings(handler: NotifyHandler, settings: Settings) -> Handler:
    async def handle(conn: asyncpg.Connection, event: Envelope, data: Any) -> None:
        await handler(conn, event, data, settings)

    return handle


# The whole wiring, on one screen: the subject, the fields its handler reads, the handler.
SUBSCRIPTIONS: list[NotifySubscription] = [
    NotifySubscription("meetings.meeting.scheduled.v1", MeetingScheduled, to_invitees("meeting_scheduled")),
    NotifySubscription(
        "meetings.meeting.rescheduled.v1", MeetingRescheduled, to_invitees("meeting_rescheduled")
    ),
    NotifySubscription("meetings.meeting.cancelled.v1", MeetingCancelled, to_invitees("meeting_cancelled")),
    NotifySubscription("meetings.minutes.published.v1", MinutesPublished, minutes_published),
    NotifySubscription("meetings.minutes.corrected.v1", MinutesPublished, minutes_published),
    NotifySubscription(
        "meetings.action_item.assigned.v1", ActionItemNotice, to_owner("action_item_assigned")
    ),
    NotifySubscription(
        "meetings.action_item.due_soon.v1", ActionItemNotice, to_owner("action_item_due_soon")
    ),
    NotifySubscription("meetings.action_item.overdue.v1", ActionItemNotice, to_owner("action_item_overdue")),
]

# What notify deliberately does not read on the streams it reads (its durable receives the whole of
# `meetings.>`): applied in their turn without a handler, so an email after one of them never waits
# for it. A subject in neither table is left for another version and never acked; the contract test
# fails when a publisher adds a subject that is in neither.
IGNORED: frozenset[str] = frozenset(
    {
        "meetings.organisation.registered.v1",
        "meetings.organisation.updated.v1",
        "meetings.person.registered.v1",
        "meetings.person.updated.v1",
        "meetings.group.created.v1",
        "meetings.membership.added.v1",
        "meetings.membership.removed.v1",
        "meetings.series.created.v1",
        "meetings.attendance.recorded.v1",
        "meetings.decision.recorded.v1",
        "meetings.action_item.closed.v1",
    }
)
