"""The events the events service publishes, with their payloads (the publisher owns them).

Consumers read only the fields they need; fields are added, never removed or renamed, within a
major version. Events about a registration and its offers share the aggregate `registration`, so
a consumer sees an offer after the waiting-list entry it was made to. Events that notify turns into
emails carry the person's name and address and the personal links' tokens: the links are
`<public page>/…?token=<token>` and only the events service can sign them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from backbone.contracts import event_type


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventPublishedV1(_Payload):
    event_id: str
    title: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue_name: str | None
    venue_address: str | None
    audience: str
    organiser_ids: list[str]
    sequence: int


class EventChangedV1(_Payload):
    event_id: str
    title: str
    # "rescheduled" (time) and/or "moved" (place)
    changes: list[str]
    previous_starts_at: datetime
    previous_ends_at: datetime
    starts_at: datetime
    ends_at: datetime
    timezone: str
    previous_venue_name: str | None
    previous_venue_address: str | None
    venue_name: str | None
    venue_address: str | None
    sequence: int
    # Who the event is for now (as in EventPublishedV1): it may have changed since its publication.
    # Left out only by events from before they carried it.
    audience: str | None = None
    organiser_ids: list[str] | None = None


class EventCancelledV1(_Payload):
    event_id: str
    title: str
    starts_at: datetime
    timezone: str
    reason: str | None
    sequence: int
    # as in EventChangedV1
    audience: str | None = None
    organiser_ids: list[str] | None = None


class Person(_Payload):
    name: str
    email: str | None
    phone: str | None
    # The language the person reads their emails in: "sv" (the default) or "en".
    language: Literal["sv", "en"] = "sv"


class RegistrationCreatedV1(_Payload):
    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    timezone: str
    # "registered" (has a place) or "waiting" (on the waiting list)
    status: str
    person: Person
    organisation_id: str | None
    cancel_token: str
    # Added and checked in at the door (often with no address): no confirmation to send.
    walk_in: bool = False
    # The event's version when this happened (registrations.version_of): notify writes the
    # confirmation and its .ics from it, not from its own copy of the event, which may be older.
    ends_at: datetime | None = None
    venue_name: str | None = None
    venue_address: str | None = None
    sequence: int | None = None


class RegistrationCancelledV1(_Payload):
    registration_id: str
    event_id: str
    # what it was before: "registered", "waiting" or "offered"
    previous_status: str


class RegistrationPromotedV1(_Payload):
    """Direct promotion: the first on the waiting list simply got the place."""

    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    timezone: str
    person: Person
    cancel_token: str
    # the event's version (as in RegistrationCreatedV1)
    ends_at: datetime | None = None
    venue_name: str | None = None
    venue_address: str | None = None
    sequence: int | None = None


class OfferMadeV1(_Payload):
    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    timezone: str
    person: Person
    expires_at: datetime
    confirm_token: str
    decline_token: str
    # the event's version (as in RegistrationCreatedV1)
    ends_at: datetime | None = None
    venue_name: str | None = None
    venue_address: str | None = None
    sequence: int | None = None


class OfferAnsweredV1(_Payload):
    registration_id: str
    event_id: str


class OfferAcceptedV1(OfferAnsweredV1):
    cancel_token: str
    # the event's version (as in RegistrationCreatedV1), for the confirmation's .ics
    event_title: str | None = None
    starts_at: datetime | None = None
    timezone: str | None = None
    ends_at: datetime | None = None
    venue_name: str | None = None
    venue_address: str | None = None
    sequence: int | None = None


class OfferExpiredV1(_Payload):
    registration_id: str
    event_id: str
    expired_at: datetime


EVENT_PUBLISHED = event_type(
    "events.event.published.v1",
    EventPublishedV1,
    aggregate="event",
    description="An event was published: it shows on the public pages and in the feeds.",
)
EVENT_CHANGED = event_type(
    "events.event.changed.v1",
    EventChangedV1,
    aggregate="event",
    description="A published event's time or place changed; those registered should be told.",
)
EVENT_CANCELLED = event_type(
    "events.event.cancelled.v1",
    EventCancelledV1,
    aggregate="event",
    description="An event was cancelled; those registered should be told.",
)
REGISTRATION_CREATED = event_type(
    "events.registration.created.v1",
    RegistrationCreatedV1,
    aggregate="registration",
    description="A person registered: with a place, or on the waiting list (status).",
)
REGISTRATION_CANCELLED = event_type(
    "events.registration.cancelled.v1",
    RegistrationCancelledV1,
    aggregate="registration",
    description="A registration or waiting-list entry was cancelled by its personal link or by staff.",
)
REGISTRATION_PROMOTED = event_type(
    "events.registration.promoted.v1",
    RegistrationPromotedV1,
    aggregate="registration",
    description="The first on the waiting list got a freed place directly (events with direct promotion).",
)
OFFER_MADE = event_type(
    "events.offer.made.v1",
    OfferMadeV1,
    aggregate="registration",
    description="A freed place is held for the first on the waiting list until expires_at.",
)
OFFER_ACCEPTED = event_type(
    "events.offer.accepted.v1",
    OfferAcceptedV1,
    aggregate="registration",
    description="The person took the offered place and is registered.",
)
OFFER_DECLINED = event_type(
    "events.offer.declined.v1",
    OfferAnsweredV1,
    aggregate="registration",
    description="The person said no thanks to the offered place; it goes to the next in line.",
)
OFFER_EXPIRED = event_type(
    "events.offer.expired.v1",
    OfferExpiredV1,
    aggregate="registration",
    description="Nobody answered the offer in time; the place goes to the next in line.",
)


class RegistrationCheckedInV1(_Payload):
    registration_id: str
    event_id: str
    checked_in_at: datetime


REGISTRATION_CHECKED_IN = event_type(
    "events.registration.checked_in.v1",
    RegistrationCheckedInV1,
    aggregate="registration",
    description="A registered person came and was checked in at the door (once, however often scanned).",
)


class ReminderDueV1(_Payload):
    """One person's reminder before an event (one event per registered person)."""

    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue_name: str | None
    venue_address: str | None
    minutes_before: int
    person: Person
    cancel_token: str


REMINDER_DUE = event_type(
    "events.reminder.due.v1",
    ReminderDueV1,
    aggregate="registration",
    description="Time to remind a registered person of the event (once per reminder and start time).",
)


class RegistrationEventChangedV1(_Payload):
    """One person's notice that their event changed: a new time or place, or (after publishing) a new
    audience. Sent to everyone with a place, an offer or a place in the queue, once per change."""

    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    person: Person
    # where the person stands: "registered", "offered" or "waiting"
    status: str
    # "rescheduled" (time), "moved" (place), "audience" (who the event is for; the place is kept)
    changes: list[str]
    previous_starts_at: datetime
    previous_ends_at: datetime
    previous_venue_name: str | None
    previous_venue_address: str | None
    venue_name: str | None
    venue_address: str | None
    # "public", "staff" or "groups": who the event is for now
    audience: str
    cancel_token: str
    # the event's calendar SEQUENCE after this change (the feeds' and the .ics's)
    sequence: int | None = None


class RegistrationEventCancelledV1(_Payload):
    """One person's notice that their event was cancelled (their registration or place in the queue
    ends with it)."""

    registration_id: str
    event_id: str
    event_title: str
    starts_at: datetime
    timezone: str
    person: Person
    # where the person stood: "registered", "offered" or "waiting"
    previous_status: str
    reason: str | None
    # the event's calendar SEQUENCE of the cancellation (the CANCEL's)
    sequence: int | None = None


REGISTRATION_EVENT_CHANGED = event_type(
    "events.registration.event_changed.v1",
    RegistrationEventChangedV1,
    aggregate="registration",
    description="The event of a registered (or waiting) person changed time, place or audience: tell them.",
)
REGISTRATION_EVENT_CANCELLED = event_type(
    "events.registration.event_cancelled.v1",
    RegistrationEventCancelledV1,
    aggregate="registration",
    description="The event of a registered (or waiting) person was cancelled: tell them.",
)


class HelpersRequestedV1(_Payload):
    """An event asks a volunteers pool for people. `request_id` is the events service's id for this
    ask (one event may ask several pools, or the same pool twice): the answer refers to it."""

    request_id: str
    event_id: str
    event_title: str
    # the pool's key in the volunteers service (e.g. "grillvardar")
    pool_key: str
    seats: int
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    # what the helpers should know or be able to do, in plain words ("" when nothing special)
    needs: str
    # who asked: an identity subject of the gateway
    requested_by: str


HELPERS_REQUESTED = event_type(
    "events.helpers.requested.v1",
    HelpersRequestedV1,
    aggregate="event",
    description="An event asks a volunteers pool for helpers or instructors (how many, when, where, needs).",
)


class RightsCompletedV1(_Payload):
    """The events service's answer to a volunteer's export or erasure request (the shape every
    service answers with, docs/rights.md; copied from the volunteers service's, not imported)."""

    request_id: str
    service: str  # always "events": the volunteers service ignores an answer whose prefix differs
    # "done", "nothing_held" (nothing about the person here) or "failed" (detail says why)
    status: str
    detail: str
    # An export's part: what the events service holds about the person; None for an erasure.
    data: dict[str, Any] | None


# An aggregate of its own, not the request's `rights_request`: the volunteers service keeps one
# order per aggregate across the streams it reads, so two services' answers to one request under
# one aggregate would be taken for events 1 and 1 of one sequence, and the second dead-lettered.
EXPORT_COMPLETED = event_type(
    "events.export.completed.v1",
    RightsCompletedV1,
    aggregate="events_rights_answer",
    description="The events service's part of a volunteer's export: registrations, queues, check-ins.",
)
ERASURE_COMPLETED = event_type(
    "events.erasure.completed.v1",
    RightsCompletedV1,
    aggregate="events_rights_answer",
    description="The events service has erased a volunteer: registrations anonymised, places given on.",
)
