"""What notify consumes from the bus; the table at the bottom is the whole wiring.

Each handler declares only the fields it reads, and runs inside the consumer's transaction with
the inbox row, so a redelivered event queues no second email.

Who hears of a changed or cancelled event: the events service decides, and sends one notice per
person concerned (`events.registration.event_changed.v1` / `.event_cancelled.v1`, with the
person's name, address and language), so that rule lives in one place. Each event addressed to a
person carries the event's version (time, place, title, calendar SEQUENCE): the message and its .ics
are written from it. Notify keeps two small copies of its own: `event_calendar` (each event's time,
place, SEQUENCE and whether it is cancelled: a confirmation after the cancellation is not sent, and
events from before the payloads carried their version are written from it) and `event_registrants`
(only people with an open offer, because `offer.accepted` and `offer.expired` carry only ids; the
row goes when the offer ends). Nothing is sent about an event that has started, nor an offer that
has run out: a new durable reads the stream from its beginning.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import asyncpg
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, create_model, field_validator, model_validator

from backbone.consumer import Handler, Subscription
from backbone.envelope import Envelope
from backbone.logs import get_logger
from notify import calendar, rights
from notify.calendar import Attendee, Entry, Method
from notify.links import preferences_url
from notify.mailing import Attachment, q, queue_email
from notify.rendering import language_of, render
from notify.settings import Settings
from notify.webhooks import fanout as webhook

log = get_logger(__name__)


class Recipient(BaseModel):
    name: str
    email: str
    language: str = "sv"  # meetings' invitees carry none: Swedish


# -- meetings -------------------------------------------------------------------------------------


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


# -- events (the events service's contracts; only what notify reads) -----------------------------


class Person(BaseModel):
    name: str
    email: str | None = None  # someone registered by phone gets no email
    language: str = "sv"

    @field_validator("email", mode="before")
    @classmethod
    def _an_address_or_none(cls, value: Any) -> Any:
        """An address no mail server would take is no address: nothing to send, nothing to retry."""
        if not isinstance(value, str):
            return value
        try:
            validate_email(value, check_deliverability=False, globally_deliverable=False)
        except EmailNotValidError:
            return None
        return value


class EventVersion(BaseModel):
    """The version of the event a registration's event was published with (the events service
    adds it to each one since `sequence`): a confirmation is written from it, not from notify's copy,
    which may be older. Events published before carry none of it (None)."""

    event_title: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: str | None = None
    venue_name: str | None = None
    venue_address: str | None = None
    sequence: int | None = None


class EventPublished(BaseModel):
    event_id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue_name: str | None = None
    venue_address: str | None = None
    sequence: int


class EventChanged(EventPublished):
    changes: list[str]
    previous_starts_at: datetime
    previous_ends_at: datetime
    previous_venue_name: str | None = None
    previous_venue_address: str | None = None


class EventCancelled(BaseModel):
    event_id: str
    title: str
    starts_at: datetime
    timezone: str
    reason: str | None = None
    sequence: int


class RegistrationEnded(BaseModel):
    """Cancelled or declined: the registration ends, and notify forgets the person."""

    registration_id: str
    event_id: str


class RegistrationCreated(EventVersion):
    registration_id: str
    event_id: str
    status: str  # "registered" (a place) or "waiting"
    person: Person
    cancel_token: str
    walk_in: bool = False  # added at the door: already there, nothing to confirm


class RegistrationPromoted(EventVersion):
    registration_id: str
    event_id: str
    person: Person
    cancel_token: str


class OfferMade(EventVersion):
    registration_id: str
    event_id: str
    person: Person
    expires_at: datetime
    confirm_token: str
    decline_token: str


class OfferAccepted(EventVersion):
    registration_id: str
    event_id: str
    cancel_token: str


class ReminderDue(BaseModel):
    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue_name: str | None = None
    venue_address: str | None = None
    person: Person
    cancel_token: str


class RegistrationEventChanged(BaseModel):
    """One person's notice that their event changed (the events service decides who is concerned)."""

    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    person: Person
    status: str  # "registered", "offered" or "waiting"
    changes: list[str]  # "rescheduled", "moved", "audience"
    previous_starts_at: datetime
    previous_ends_at: datetime
    previous_venue_name: str | None = None
    previous_venue_address: str | None = None
    venue_name: str | None = None
    venue_address: str | None = None
    audience: str
    cancel_token: str
    sequence: int | None = None  # the version this notice tells of; None from before it was sent


class RegistrationEventCancelled(BaseModel):
    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    timezone: str
    person: Person
    previous_status: str  # "registered", "offered" or "waiting"
    reason: str | None = None
    sequence: int | None = None  # the cancellation's SEQUENCE; None from before it was sent


# -- volunteers (the volunteers service's contracts; only what notify reads) ---------------------


class VolunteerRecipient(BaseModel):
    name: str
    email: str | None = None
    language: str = "sv"
    channel: str = "email"  # "email", "sms" or "phone": how the volunteer wants to be reached


class VolunteerOfferSent(BaseModel):
    offer_id: str
    pool_name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    needs: str = ""
    expires_at: datetime
    accept_token: str
    decline_token: str
    recipient: VolunteerRecipient


class VolunteerAssignmentConfirmed(BaseModel):
    assignment_id: str
    pool_name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    cancel_token: str
    recipient: VolunteerRecipient


class VolunteerReviewer(BaseModel):
    token: str
    recipient: VolunteerRecipient


class VolunteerReviewSubmitted(BaseModel):
    review_id: str
    title: str
    deadline: date
    reviewers: list[VolunteerReviewer]


class StaffContact(BaseModel):
    """The staff member who asked: their work address and the language they read the pages in."""

    name: str | None = None
    email: str | None
    language: str = "sv"

    @field_validator("email", mode="before")
    @classmethod
    def _an_address_or_none(cls, value: Any) -> Any:
        """An address no mail server would take is no address (as for a registered person)."""
        return Person._an_address_or_none(value)


class VolunteerRequestFilled(BaseModel):
    request_id: str
    pool_name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str = ""
    seats: int
    requested_by_contact: StaffContact | None = None  # None: nobody to write to


class VolunteerReviewReturned(BaseModel):
    review_id: str
    title: str
    original_lix: float
    suggested_lix: float | None = None
    lix_change: float | None = None
    submitted_by_contact: StaffContact | None = None  # None: nobody to write to


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
# The calendar file for one recipient, or None for a recipient who gets none.
CalendarFor = Callable[[Recipient], Attachment | None]


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
    context: Mapping[str, Any],
    timezone: str | None = None,
    calendar_for: CalendarFor | None = None,
    context_for: Callable[[Recipient], Mapping[str, Any]] | None = None,
) -> None:
    """Queue the email for each distinct recipient, in their language, its times in `timezone` or
    else the configured zone; `calendar_for` adds a recipient's .ics, `context_for` what is theirs."""
    kept = distinct(recipients)
    for recipient in kept:
        own = context_for(recipient) if context_for else {}
        ics = calendar_for(recipient) if calendar_for else None
        await queue_email(
            conn=conn,
            cause_event_id=event.id,
            template=template,
            recipient=recipient.email,
            rendered=render(
                template,
                {
                    **context,
                    **own,
                    "name": recipient.name,
                    "public_url": settings.public_url,
                    "preferences_url": preferences_url(settings, recipient.email),
                },
                timezone=timezone or settings.timezone,
                language=recipient.language,
            ),
            mail_domain=settings.mail_domain,
            message_key=settings.link_key,
            language=recipient.language,
            attachments=[ics] if ics else [],
        )
    log.info("emails queued", template=template, event_id=event.id, count=len(kept))


def invitation(
    entry: Entry, *, method: Method, settings: Settings, timezone: str | None, stamp: datetime, partstat: str
) -> CalendarFor:
    """Each recipient's .ics for `entry`: the same entry, with them as its attendee (in UTC, so
    `timezone` is only the emails' text's)."""

    def for_recipient(recipient: Recipient) -> Attachment:
        text = calendar.ics(
            entry,
            method=method,
            organizer=settings.mail_from,
            attendee=Attendee(recipient.name, recipient.email, partstat),
            stamp=stamp,
        )
        return calendar.attachment(text, method=method, language=recipient.language)

    return for_recipient


# -- meetings' handlers ---------------------------------------------------------------------------


def to_invitees(template: str, method: Method, first_sequence: int) -> NotifyHandler:
    """Invitees get the email and the meeting's .ics; each change raises its SEQUENCE by one."""

    async def handle(conn: asyncpg.Connection, event: Envelope, data: Any, settings: Settings) -> None:
        sequence = await q.next_meeting_sequence.fetchval(
            conn,
            meeting_id=data.meeting_id,
            first=first_sequence,
            event_id=uuid.UUID(event.id),
            aggregate_seq=event.aggregateseq,
            event_at=event.time,
            starts_at=data.starts_at,
        )
        if sequence is None:
            # Older than the change already sent (a replayed dead letter): its time is stale.
            log.warning(
                "older meeting change than the last one sent; nothing sent",
                meeting_id=data.meeting_id,
                cause=event.id,
            )
            return
        entry = Entry(
            uid=calendar.meeting_uid(data.meeting_id),
            sequence=sequence,
            title=data.title,
            starts_at=data.starts_at,
            ends_at=getattr(data, "ends_at", None),
            location=getattr(data, "place", None),
            url=f"{settings.public_url}/meetings/{data.meeting_id}",
        )
        await send_each(
            conn,
            event,
            settings,
            template=template,
            recipients=data.invitees,
            context=data.model_dump(exclude={"invitees"}),
            timezone=data.timezone,
            calendar_for=invitation(
                entry,
                method=method,
                settings=settings,
                timezone=data.timezone,
                stamp=event.time,
                partstat="NEEDS-ACTION",
            ),
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


# -- events' handlers -----------------------------------------------------------------------------


def _link(settings: Settings, path: str, token: str | None) -> str | None:
    """A personal link on the public pages; the token is the events service's, signed by it."""
    if not token:
        return None
    return f"{settings.public_url}/evenemang/{path}?token={quote(token, safe='')}"


def _event_context(settings: Settings, row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "event_id": row["event_id"],
        "title": row["title"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "place": calendar.place(row["venue_name"], row["venue_address"]),
        "event_url": f"{settings.public_url}/evenemang/{row['event_id']}",
    }


def _entry(settings: Settings, row: Mapping[str, Any]) -> Entry:
    """The event's calendar entry, with the UID and SEQUENCE its feeds give it (events.feeds)."""
    return Entry(
        uid=calendar.event_uid(row["event_id"]),
        sequence=row["sequence"],
        title=row["title"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        location=calendar.place(row["venue_name"], row["venue_address"]),
        url=f"{settings.public_url}/evenemang/{row['event_id']}",
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def _event_of(
    conn: asyncpg.Connection, event: Envelope, data: EventVersion, event_id: str
) -> dict[str, Any] | None:
    """The event as the person's message tells of it, or None when nothing is to be sent.

    The payload's own version comes first: notify's copy is of another aggregate and may be older
    (a registration a second after a reschedule) or missing. Nothing is sent about an event that has
    started (a new durable reads the stream from its beginning: old confirmations and offers) or
    that notify knows to be cancelled (the cancellation's notice tells the person instead).
    """
    copy = await q.get_event_calendar.fetchrow(conn, event_id=event_id)
    if copy is not None and copy["status"] == "cancelled":
        log.info("event cancelled; nothing sent", event_id=event_id, cause=event.id)
        return None
    if data.sequence is not None and data.starts_at is not None and data.ends_at is not None:
        row: dict[str, Any] = {
            "event_id": event_id,
            "title": data.event_title or (copy["title"] if copy else ""),
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "timezone": data.timezone or (copy["timezone"] if copy else None),
            "venue_name": data.venue_name,
            "venue_address": data.venue_address,
            "sequence": data.sequence,
        }
    elif copy is not None:
        row = dict(copy)  # published before the events service sent its version: the copy's
    else:
        # From before the payload carried its event, and no copy to write it from: waiting would
        # not help (nothing will bring it), and a dead letter would hold the person's links.
        log.warning("event not known and not in the payload; nothing sent", event_id=event_id, cause=event.id)
        return None
    if row["starts_at"] <= _now():
        log.info("event already started; nothing sent", event_id=event_id, cause=event.id)
        return None
    return row


def _language(person: Person) -> str:
    return "en" if person.language == "en" else "sv"


def _recipient(person: Person) -> Recipient | None:
    if not person.email:
        return None
    return Recipient(name=person.name, email=person.email, language=_language(person))


async def _to_registrant(
    conn: asyncpg.Connection,
    event: Envelope,
    settings: Settings,
    *,
    template: str,
    recipient: Recipient,
    row: Mapping[str, Any],
    extra: Mapping[str, Any],
    with_calendar: bool,
) -> None:
    await send_each(
        conn,
        event,
        settings,
        template=template,
        recipients=[recipient],
        context={**_event_context(settings, row), **extra},
        timezone=row["timezone"],
        calendar_for=invitation(
            _entry(settings, row),
            method="REQUEST",
            settings=settings,
            timezone=row["timezone"],
            stamp=event.time,
            partstat="ACCEPTED",
        )
        if with_calendar
        else None,
    )


async def event_published(
    conn: asyncpg.Connection, event: Envelope, data: EventPublished, settings: Settings
) -> None:
    await q.upsert_event_calendar.execute(conn, **_calendar_row(data), status="published")


def _calendar_row(data: EventPublished) -> dict[str, Any]:
    return data.model_dump(
        include={
            "event_id",
            "title",
            "starts_at",
            "ends_at",
            "timezone",
            "venue_name",
            "venue_address",
            "sequence",
        }
    )


async def registration_created(
    conn: asyncpg.Connection, event: Envelope, data: RegistrationCreated, settings: Settings
) -> None:
    recipient = _recipient(data.person)
    if data.walk_in or recipient is None:
        return
    row = await _event_of(conn, event, data, data.event_id)
    if row is None:
        return
    registered = data.status == "registered"
    # Only a place goes into the calendar: someone waiting has no time to keep yet.
    await _to_registrant(
        conn,
        event,
        settings,
        template="registration_confirmed" if registered else "registration_waiting",
        recipient=recipient,
        row=row,
        extra={"cancel_url": _link(settings, "avboka", data.cancel_token)},
        with_calendar=registered,
    )


async def registration_promoted(
    conn: asyncpg.Connection, event: Envelope, data: RegistrationPromoted, settings: Settings
) -> None:
    recipient = _recipient(data.person)
    row = await _event_of(conn, event, data, data.event_id) if recipient else None
    if recipient is None or row is None:
        return
    await _to_registrant(
        conn,
        event,
        settings,
        template="registration_promoted",
        recipient=recipient,
        row=row,
        extra={"cancel_url": _link(settings, "avboka", data.cancel_token)},
        with_calendar=True,
    )


async def offer_made(conn: asyncpg.Connection, event: Envelope, data: OfferMade, settings: Settings) -> None:
    recipient = _recipient(data.person)
    if recipient is None:
        return
    if data.expires_at <= _now():
        log.info("offer already expired; nothing sent", registration_id=data.registration_id, cause=event.id)
        return
    row = await _event_of(conn, event, data, data.event_id)
    if row is None:
        return
    # The only person notify keeps, and only while the offer is open: `offer.accepted` and
    # `offer.expired` carry only ids; each of them (and a decline) deletes the row.
    await q.upsert_registrant.execute(
        conn,
        registration_id=data.registration_id,
        event_id=data.event_id,
        name=recipient.name,
        email=recipient.email,
        language=recipient.language,
        status="offered",
    )
    await _to_registrant(
        conn,
        event,
        settings,
        template="offer_made",
        recipient=recipient,
        row=row,
        extra={
            "expires_at": data.expires_at,
            "confirm_url": _link(settings, "erbjudande/ja", data.confirm_token),
            "decline_url": _link(settings, "erbjudande/nej", data.decline_token),
        },
        with_calendar=False,
    )


async def _take_registrant(conn: asyncpg.Connection, registration_id: str) -> Recipient | None:
    """The person an open offer was made to, forgotten as it ends."""
    kept = await q.take_registrant.fetchrow(conn, registration_id=registration_id)
    if kept is None:
        return None
    return Recipient(name=kept["name"], email=kept["email"], language=kept["language"])


async def offer_accepted(
    conn: asyncpg.Connection, event: Envelope, data: OfferAccepted, settings: Settings
) -> None:
    recipient = await _take_registrant(conn, data.registration_id)
    if recipient is None:
        return  # no address (or the offer came before notify kept registrations): nobody to write to
    row = await _event_of(conn, event, data, data.event_id)
    if row is None:
        return
    await _to_registrant(
        conn,
        event,
        settings,
        template="offer_accepted",
        recipient=recipient,
        row=row,
        extra={"cancel_url": _link(settings, "avboka", data.cancel_token)},
        with_calendar=True,
    )


async def offer_expired(
    conn: asyncpg.Connection, event: Envelope, data: RegistrationEnded, settings: Settings
) -> None:
    recipient = await _take_registrant(conn, data.registration_id)
    row = await q.get_event_calendar.fetchrow(conn, event_id=data.event_id)
    if recipient is None or row is None or row["status"] == "cancelled" or row["starts_at"] <= _now():
        return
    await _to_registrant(
        conn,
        event,
        settings,
        template="offer_expired",
        recipient=recipient,
        row=row,
        extra={},
        with_calendar=False,
    )


async def registration_ended(
    conn: asyncpg.Connection, event: Envelope, data: RegistrationEnded, settings: Settings
) -> None:
    await q.forget_registrant.execute(conn, registration_id=data.registration_id)


async def event_changed(
    conn: asyncpg.Connection, event: Envelope, data: EventChanged, settings: Settings
) -> None:
    """The event's new time and place for later .ics files; the people are told one by one, by
    the events service's per-registration notices (registration_event_changed)."""
    await q.upsert_event_calendar.execute(conn, **_calendar_row(data), status="changed")


async def event_cancelled(
    conn: asyncpg.Connection, event: Envelope, data: EventCancelled, settings: Settings
) -> None:
    await q.cancel_event_calendar.execute(conn, event_id=data.event_id, sequence=data.sequence)
    await q.forget_registrants_of_event.execute(conn, event_id=data.event_id)


async def registration_event_changed(
    conn: asyncpg.Connection, event: Envelope, data: RegistrationEventChanged, settings: Settings
) -> None:
    if data.status not in ("registered", "waiting", "offered"):
        return
    recipient = _recipient(data.person)
    if recipient is None:
        return
    # The notice's own SEQUENCE: guessed from notify's copy it could go backwards after two quick
    # changes. A notice from before it carried one gets no calendar file rather than a wrong one.
    entry = (
        Entry(
            uid=calendar.event_uid(data.event_id),
            sequence=data.sequence,
            title=data.event_title,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            location=calendar.place(data.venue_name, data.venue_address),
            url=f"{settings.public_url}/evenemang/{data.event_id}",
        )
        if data.sequence is not None
        else None
    )
    await send_each(
        conn,
        event,
        settings,
        template="event_changed",
        recipients=[recipient],
        context={
            "event_id": data.event_id,
            "title": data.event_title,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "place": calendar.place(data.venue_name, data.venue_address),
            "event_url": f"{settings.public_url}/evenemang/{data.event_id}",
            "changes": data.changes,
            "previous_starts_at": data.previous_starts_at,
            "previous_ends_at": data.previous_ends_at,
            "previous_place": calendar.place(data.previous_venue_name, data.previous_venue_address),
            "audience": data.audience,
            "status": data.status,
            "cancel_url": _link(settings, "avboka", data.cancel_token),
        },
        timezone=data.timezone,
        # Only those with a place have the event in their calendar to move.
        calendar_for=invitation(
            entry,
            method="REQUEST",
            settings=settings,
            timezone=data.timezone,
            stamp=event.time,
            partstat="ACCEPTED",
        )
        if data.status == "registered" and entry is not None
        else None,
    )


async def registration_event_cancelled(
    conn: asyncpg.Connection, event: Envelope, data: RegistrationEventCancelled, settings: Settings
) -> None:
    # The registration ends with its event: nothing of the person is kept once they are told.
    await q.forget_registrant.execute(conn, registration_id=data.registration_id)
    recipient = _recipient(data.person)
    if recipient is None:
        return
    entry = (
        Entry(
            uid=calendar.event_uid(data.event_id),
            sequence=data.sequence,
            title=data.event_title,
            starts_at=data.starts_at,
            ends_at=None,  # DTSTART and the UID are enough to find the entry
            url=f"{settings.public_url}/evenemang/{data.event_id}",
        )
        if data.sequence is not None
        else None
    )
    await send_each(
        conn,
        event,
        settings,
        template="event_cancelled",
        recipients=[recipient],
        context={
            "event_id": data.event_id,
            "title": data.event_title,
            "starts_at": data.starts_at,
            "reason": data.reason,
            "status": data.previous_status,
        },
        timezone=data.timezone,
        calendar_for=invitation(
            entry,
            method="CANCEL",
            settings=settings,
            timezone=data.timezone,
            stamp=event.time,
            partstat="ACCEPTED",
        )
        if data.previous_status == "registered" and entry is not None
        else None,
    )


async def reminder_due(
    conn: asyncpg.Connection, event: Envelope, data: ReminderDue, settings: Settings
) -> None:
    recipient = _recipient(data.person)
    if recipient is None:
        return
    if data.starts_at <= _now():
        return  # a reminder of an event already begun (a new durable reads old ones): too late
    await send_each(
        conn,
        event,
        settings,
        template="event_reminder",
        recipients=[recipient],
        context={
            "event_id": data.event_id,
            "title": data.event_title,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "place": calendar.place(data.venue_name, data.venue_address),
            "event_url": f"{settings.public_url}/evenemang/{data.event_id}",
            "cancel_url": _link(settings, "avboka", data.cancel_token),
        },
        timezone=data.timezone,
    )


# -- volunteers' handlers -------------------------------------------------------------------------


async def volunteer_offer_sent(
    conn: asyncpg.Connection, event: Envelope, data: VolunteerOfferSent, settings: Settings
) -> None:
    who = data.recipient
    if who.channel != "email" or not who.email:
        return  # reached by text or phone, by the coordinator: notify sends no email then
    links = f"{settings.public_url}/volontar/erbjudande"
    await send_each(
        conn,
        event,
        settings,
        template="volunteer_offer",
        recipients=[
            Recipient(name=who.name, email=who.email, language="en" if who.language == "en" else "sv")
        ],
        context={
            "pool_name": data.pool_name,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "place": data.place,
            "needs": data.needs,
            "expires_at": data.expires_at,
            "accept_url": f"{links}/ja?token={quote(data.accept_token, safe='')}",
            "decline_url": f"{links}/nej?token={quote(data.decline_token, safe='')}",
        },
        timezone=data.timezone,
    )


def _by_email(who: VolunteerRecipient) -> Recipient | None:
    """The volunteer as an email's recipient; None for one reached by text or phone, by the
    coordinator (the bus then carries no address)."""
    if who.channel != "email" or not who.email:
        return None
    return Recipient(name=who.name, email=who.email, language=language_of(who.language))


def _volunteer_link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.public_url}/volontar/{path}?token={quote(token, safe='')}"


async def volunteer_assignment_confirmed(
    conn: asyncpg.Connection, event: Envelope, data: VolunteerAssignmentConfirmed, settings: Settings
) -> None:
    recipient = _by_email(data.recipient)
    if recipient is None:
        return
    cancel_url = _volunteer_link(settings, "uppdrag/avboka", data.cancel_token)
    # The assignment's own UID: a volunteer's calendar keeps it apart from the event they help at.
    entry = Entry(
        uid=calendar.assignment_uid(data.assignment_id),
        sequence=0,
        title=data.pool_name,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        location=data.place,
    )
    await send_each(
        conn,
        event,
        settings,
        template="volunteer_assignment_confirmed",
        recipients=[recipient],
        context={
            "pool_name": data.pool_name,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "place": data.place,
            "cancel_url": cancel_url,
        },
        timezone=data.timezone,
        calendar_for=invitation(
            entry,
            method="REQUEST",
            settings=settings,
            timezone=data.timezone,
            stamp=event.time,
            partstat="ACCEPTED",
        ),
    )


async def volunteer_review_submitted(
    conn: asyncpg.Connection, event: Envelope, data: VolunteerReviewSubmitted, settings: Settings
) -> None:
    links: dict[str, str] = {}
    recipients = []
    for reviewer in data.reviewers:
        recipient = _by_email(reviewer.recipient)
        if recipient is not None:
            recipients.append(recipient)
            links.setdefault(recipient.email.lower(), _volunteer_link(settings, "granskning", reviewer.token))
    await send_each(
        conn,
        event,
        settings,
        template="volunteer_review_assigned",
        recipients=recipients,
        context={"title": data.title, "deadline": data.deadline},
        context_for=lambda recipient: {"review_url": links[recipient.email.lower()]},
    )


def _staff(contact: StaffContact | None) -> list[Recipient]:
    """The staff member as an email's recipient; nobody when the event carries no address (asked
    over the bus by another service, or before the gateway sent addresses): their page shows it."""
    if contact is None or not contact.email:
        return []
    return [Recipient(name=contact.name or "", email=contact.email, language=language_of(contact.language))]


async def volunteer_request_filled(
    conn: asyncpg.Connection, event: Envelope, data: VolunteerRequestFilled, settings: Settings
) -> None:
    await send_each(
        conn,
        event,
        settings,
        template="volunteer_request_filled",
        recipients=_staff(data.requested_by_contact),
        context={
            **data.model_dump(exclude={"requested_by_contact"}),
            "request_url": f"{settings.public_url}/volunteers/requests/{quote(data.request_id, safe='')}",
        },
        timezone=data.timezone,
    )


async def volunteer_review_returned(
    conn: asyncpg.Connection, event: Envelope, data: VolunteerReviewReturned, settings: Settings
) -> None:
    await send_each(
        conn,
        event,
        settings,
        template="volunteer_review_returned",
        recipients=_staff(data.submitted_by_contact),
        context={
            **data.model_dump(exclude={"submitted_by_contact"}),
            "review_url": f"{settings.public_url}/volunteers/reviews/{quote(data.review_id, safe='')}",
        },
    )


# A day after an event ended nothing more is sent about it (offers and reminders end at its start).
FORGET_EVENTS_AFTER_SECONDS = 24 * 3600.0
# A meeting's SEQUENCE is kept a month past its start: long enough for late minutes or a correction's
# invitation; a change after that (rare) starts again at 1.
FORGET_MEETINGS_AFTER_SECONDS = 30 * 24 * 3600.0


async def forget_past_events(pool: asyncpg.Pool) -> int:
    """Delete notify's copies of events that ended a day ago, and of the people registered for them."""
    async with pool.acquire() as conn:
        gone = int(await q.forget_past_events.fetchval(conn, after_seconds=FORGET_EVENTS_AFTER_SECONDS))
        await q.forget_past_meetings.execute(conn, after_seconds=FORGET_MEETINGS_AFTER_SECONDS)
    if gone:
        log.info("past events forgotten", count=gone)
    return gone


def subscriptions(settings: Settings) -> list[Subscription]:
    """The table below with the settings handed to each handler (the composition root calls this).

    Rows of one subject (an email and a webhook) become one subscription: their handlers run one
    after another in the event's one transaction, each on its own model's reading of the data.
    """
    by_subject: dict[str, list[NotifySubscription]] = {}
    for row in SUBSCRIPTIONS:
        by_subject.setdefault(row.subject, []).append(row)
    return [
        Subscription(subject, _model_of(rows), _with_settings(_each(rows), settings))
        for subject, rows in by_subject.items()
    ]


class _EachRow(BaseModel):
    """The data of one event read by each row's model: field `row<i>` is row i's reading."""

    @model_validator(mode="before")
    @classmethod
    def _for_each_row(cls, data: Any) -> Any:
        return {name: data for name in cls.model_fields}


def _model_of(rows: list[NotifySubscription]) -> type[BaseModel]:
    if len(rows) == 1:
        return rows[0].model
    fields: dict[str, Any] = {f"row{i}": (row.model, ...) for i, row in enumerate(rows)}
    return create_model(f"Each_{rows[0].subject.replace('.', '_')}", __base__=_EachRow, **fields)


def _each(rows: list[NotifySubscription]) -> NotifyHandler:
    if len(rows) == 1:
        return rows[0].handler

    async def handle(conn: asyncpg.Connection, event: Envelope, data: Any, settings: Settings) -> None:
        for i, row in enumerate(rows):
            await row.handler(conn, event, getattr(data, f"row{i}"), settings)

    return handle


def _with_settings(handler: NotifyHandler, settings: Settings) -> Handler:
    async def handle(conn: asyncpg.Connection, event: Envelope, data: Any) -> None:
        await handler(conn, event, data, settings)

    return handle


# The whole wiring, on one screen: the subject, the fields its handler reads, the handler, and
# (in the comment) who gets which message.
SUBSCRIPTIONS: list[NotifySubscription] = [
    # meetings: to each invitee, with the meeting's .ics (REQUEST; CANCEL; SEQUENCE +1 per change)
    NotifySubscription(
        "meetings.meeting.scheduled.v1", MeetingScheduled, to_invitees("meeting_scheduled", "REQUEST", 0)
    ),
    NotifySubscription(
        "meetings.meeting.rescheduled.v1",
        MeetingRescheduled,
        to_invitees("meeting_rescheduled", "REQUEST", 1),
    ),
    NotifySubscription(
        "meetings.meeting.cancelled.v1", MeetingCancelled, to_invitees("meeting_cancelled", "CANCEL", 1)
    ),
    # minutes: to the meeting's invitees, else the group's members (the publisher says who)
    NotifySubscription("meetings.minutes.published.v1", MinutesPublished, minutes_published),
    NotifySubscription("meetings.minutes.corrected.v1", MinutesPublished, minutes_published),
    # action items: to the owner, when the owner has an address
    NotifySubscription(
        "meetings.action_item.assigned.v1", ActionItemNotice, to_owner("action_item_assigned")
    ),
    NotifySubscription(
        "meetings.action_item.due_soon.v1", ActionItemNotice, to_owner("action_item_due_soon")
    ),
    NotifySubscription("meetings.action_item.overdue.v1", ActionItemNotice, to_owner("action_item_overdue")),
    # events: notify's copy of each event (its time, place and SEQUENCE for the .ics; no email) ...
    NotifySubscription("events.event.published.v1", EventPublished, event_published),
    NotifySubscription("events.event.changed.v1", EventChanged, event_changed),
    NotifySubscription("events.event.cancelled.v1", EventCancelled, event_cancelled),
    NotifySubscription("events.registration.cancelled.v1", RegistrationEnded, registration_ended),
    NotifySubscription("events.offer.declined.v1", RegistrationEnded, registration_ended),
    # ... and to the person: a place (with the .ics and the cancel link) or the waiting list
    NotifySubscription("events.registration.created.v1", RegistrationCreated, registration_created),
    NotifySubscription("events.registration.promoted.v1", RegistrationPromoted, registration_promoted),
    NotifySubscription("events.offer.made.v1", OfferMade, offer_made),  # confirm and decline links
    NotifySubscription("events.offer.accepted.v1", OfferAccepted, offer_accepted),  # .ics, cancel link
    NotifySubscription("events.offer.expired.v1", RegistrationEnded, offer_expired),
    NotifySubscription("events.reminder.due.v1", ReminderDue, reminder_due),
    # events: to each one registered, offered or waiting, one notice each (.ics REQUEST / CANCEL to
    # those with a place)
    NotifySubscription(
        "events.registration.event_changed.v1", RegistrationEventChanged, registration_event_changed
    ),
    NotifySubscription(
        "events.registration.event_cancelled.v1", RegistrationEventCancelled, registration_event_cancelled
    ),
    # volunteers: an offer to the volunteer, with its accept and decline links
    NotifySubscription("volunteers.offer.sent.v1", VolunteerOfferSent, volunteer_offer_sent),
    # volunteers: a place to the volunteer, with the cancel link and the assignment's .ics
    NotifySubscription(
        "volunteers.assignment.confirmed.v1", VolunteerAssignmentConfirmed, volunteer_assignment_confirmed
    ),
    # volunteers: a text to read, to each reviewer reached by email, with their own review link
    NotifySubscription(
        "volunteers.review.submitted.v1", VolunteerReviewSubmitted, volunteer_review_submitted
    ),
    # volunteers: to the staff member who asked, at the work address the event carries: every place
    # of their request is filled; a reviewer answered their text (with LIX before and after)
    NotifySubscription("volunteers.request.filled.v1", VolunteerRequestFilled, volunteer_request_filled),
    NotifySubscription("volunteers.review.returned.v1", VolunteerReviewReturned, volunteer_review_returned),
    # volunteers: a rights request (docs/rights.md) answered once, through the outbox:
    # notify.export.completed.v1 with everything held at the address, or, after the erasure,
    # notify.erasure.completed.v1
    NotifySubscription("volunteers.export.requested.v1", rights.RightsRequested, rights.answer("export")),
    NotifySubscription("volunteers.erasure.requested.v1", rights.RightsRequested, rights.answer("erasure")),
    # webhooks to organisations (notify.webhooks): a message to each endpoint that takes the topic;
    # registrations only to the registration's own organisation
    NotifySubscription("events.event.published.v1", webhook.EventNotice, webhook.to_topic("event.published")),
    NotifySubscription("events.event.changed.v1", webhook.EventNotice, webhook.to_topic("event.changed")),
    NotifySubscription("events.event.cancelled.v1", webhook.EventNotice, webhook.to_topic("event.cancelled")),
    NotifySubscription("meetings.minutes.published.v1", webhook.MinutesNotice, webhook.minutes_published),
    NotifySubscription(
        "events.registration.created.v1", webhook.RegistrationCreatedNotice, webhook.registration_created
    ),
    NotifySubscription(
        "events.registration.cancelled.v1", webhook.RegistrationCancelledNotice, webhook.registration_ended
    ),
]

# What notify deliberately does not read on the streams it reads (its durables receive the whole of
# `meetings.>`, `events.>` and `volunteers.>`): applied in their turn without a handler, so an
# email after one of them never waits for it. A subject in neither table is left for another
# version and never acked; the contract test fails when a publisher adds a subject in neither.
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
        "events.registration.checked_in.v1",
        "events.helpers.requested.v1",
        "events.export.completed.v1",
        "events.erasure.completed.v1",
        "volunteers.volunteer.joined_pool.v1",
        "volunteers.volunteer.left_pool.v1",
        "volunteers.consent.given.v1",
        "volunteers.consent.withdrawn.v1",
        "volunteers.request.created.v1",
        "volunteers.request.cancelled.v1",
        "volunteers.offer.accepted.v1",
        "volunteers.offer.declined.v1",
        "volunteers.offer.expired.v1",
        "volunteers.offer.withdrawn.v1",
        "volunteers.assignment.cancelled.v1",
        "volunteers.hours.approved.v1",
        "volunteers.export.completed.v1",
        "volunteers.erasure.completed.v1",
    }
)
