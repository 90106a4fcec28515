"""Request and answer bodies of the events API: XCreate, XUpdate, XPublic (HTTP only; bus payloads
are in contracts.py, rules in model.py)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, tzinfo
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from backbone.paging import Page
from events import model
from events.helpers import HelpRequest
from events.registrations import NewRegistration

__all__ = ["Page"]

# Control characters: PostgreSQL cannot store NUL, XML (the Atom feed) cannot carry the others, and a
# bare CR or LF in a one-line field breaks the lines of an iCalendar feed and of mail headers.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(
            "Texten innehåller tecken som inte går att spara (osynliga styrtecken). "
            "Skriv in texten igen i stället för att klistra in den"
        )
    return value


def _one_line(value: str) -> str:
    _printable(value)
    if _LINE_BREAK.search(value):
        raise ValueError("Texten ska stå på en enda rad. Ta bort radbrytningarna")
    return value


OneLine = AfterValidator(_one_line)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), OneLine]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20_000), AfterValidator(_printable)
]
# The whole value is one address: no spaces or control characters anywhere in it.
Url = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s\x00-\x1f\x7f]+$")]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=5, max_length=40, pattern=r"^[0-9+() -]+$")
]
CLEARABLE = frozenset(
    {
        "description_en",
        "venue_name",
        "venue_address",
        "accessibility_notes",
        "external_url",
        "capacity",
        "registration_opens_at",
        "registration_closes_at",
    }
)
# A reminder between five minutes and thirty days before the start.
ReminderMinutes = Annotated[int, Field(ge=5, le=30 * 24 * 60)]
TIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _local(value: datetime | None, zone: tzinfo) -> datetime | None:
    """A time given without an offset is read on the service's clock (`Settings.timezone`)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zone)


class EventFields(Input):
    description_sv: LongText = ""
    description_en: LongText | None = None
    kind: model.Kind = "other"
    venue_name: Text | None = None
    venue_address: Text | None = None
    accessibility_notes: LongText | None = None
    organiser_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    audience: model.Audience = "public"
    audience_group_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    registration: model.RegistrationMode = "open"
    external_url: Url | None = None
    capacity: int | None = Field(default=None, ge=0, le=100_000)
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    waitlist_mode: model.WaitlistMode = "offer"
    offer_hours: int = Field(default=48, ge=1, le=24 * 14)
    asks_accessibility: bool = False
    asks_food: bool = False
    reminder_minutes: list[ReminderMinutes] = Field(default_factory=list, max_length=5)


class EventCreate(EventFields):
    title: Text
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> EventCreate:
        if (
            self.starts_at.tzinfo is not None
            and self.ends_at.tzinfo is not None
            and self.ends_at <= self.starts_at
        ):
            raise ValueError(
                "Evenemanget slutar innan det börjar. Ändra sluttiden så att den är efter starttiden"
            )
        return self

    def fields(self, zone: tzinfo) -> dict[str, Any]:
        values = self.model_dump()
        for name in TIME_FIELDS:
            values[name] = _local(values[name], zone)
        return values


class EventUpdate(Input):
    """Only the fields given change. `version` (from EventPublic) refuses a change made on a stale copy."""

    version: int | None = None
    title: Text | None = None
    description_sv: LongText | None = None
    description_en: LongText | None = None
    kind: model.Kind | None = None
    venue_name: Text | None = None
    venue_address: Text | None = None
    accessibility_notes: LongText | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    organiser_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    audience: model.Audience | None = None
    audience_group_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    registration: model.RegistrationMode | None = None
    external_url: Url | None = None
    capacity: int | None = Field(default=None, ge=0, le=100_000)
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    waitlist_mode: model.WaitlistMode | None = None
    offer_hours: int | None = Field(default=None, ge=1, le=24 * 14)
    asks_accessibility: bool | None = None
    asks_food: bool | None = None
    reminder_minutes: list[ReminderMinutes] | None = Field(default=None, max_length=5)

    def changes(self, zone: tzinfo) -> dict[str, Any]:
        """The fields the body sets (null included, to clear one), times on the service's clock."""
        values = self.model_dump(exclude_unset=True, exclude={"version"})
        # Only the optional fields can be cleared; a null for a required one changes nothing.
        values = {k: v for k, v in values.items() if v is not None or k in CLEARABLE}
        for name in TIME_FIELDS:
            if name in values:
                values[name] = _local(values[name], zone)
        return values


class EventForVisitors(BaseModel):
    """An event on the public pages (/v1/public): what a visitor needs, none of staff's settings."""

    id: uuid.UUID
    title: str
    description_sv: str
    description_en: str | None
    kind: str
    venue_name: str | None
    venue_address: str | None
    accessibility_notes: str | None
    starts_at: datetime
    ends_at: datetime
    organiser_ids: list[uuid.UUID]
    audience: str
    registration: str
    external_url: str | None
    capacity: int | None
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    waitlist_mode: str
    asks_accessibility: bool
    asks_food: bool
    status: str
    cancel_reason: str | None
    sequence: int
    created_at: datetime
    updated_at: datetime
    places_left: int | None = Field(default=None, description="Free places; null when there is no limit")

    @classmethod
    def of(cls, row: dict[str, Any]) -> Self:
        held = int(row.get("holding") or 0)
        return cls.model_validate({**row, "places_left": model.places_left(row["capacity"], held)})


class EventPublic(EventForVisitors):
    """An event as staff (and representatives) see it, with the settings behind it."""

    audience_group_ids: list[uuid.UUID]
    offer_hours: int
    reminder_minutes: list[int]
    version: int
    copied_from: uuid.UUID | None


class EventCancel(Input):
    reason: LongText | None = None


class EventCopy(Input):
    starts_at: datetime

    def start(self, zone: tzinfo) -> datetime:
        start = _local(self.starts_at, zone)
        assert start is not None
        return start


class EventChangePublic(BaseModel):
    id: int
    change: str
    changed_at: datetime
    before: dict[str, Any]
    after: dict[str, Any]
    changed_by: str | None


class RegistrationCreate(Input):
    """A registration from the public form: a name and one way to reach the person, nothing more
    unless the event asks (accessibility, food). `website` is a trap for robots: people leave it empty."""

    name: Text
    email: EmailStr | None = None
    phone: Phone | None = None
    accessibility: list[model.Need] = Field(default_factory=list, max_length=4)
    food: Note | None = None
    website: str = Field(default="", max_length=500, description="Leave empty (spam protection)")

    @model_validator(mode="after")
    def _one_way_to_reach(self) -> RegistrationCreate:
        if not self.email and not self.phone:
            raise ValueError("Skriv en e-postadress eller ett telefonnummer, så att vi kan nå dig")
        return self

    def person(self, organisation_id: uuid.UUID | None = None) -> NewRegistration:
        return NewRegistration(
            name=self.name,
            email=str(self.email) if self.email else None,
            phone=self.phone,
            organisation_id=organisation_id,
            accessibility=list(self.accessibility),
            food=self.food or None,
        )


class RegistrationOnBehalf(RegistrationCreate):
    organisation_id: uuid.UUID | None = None


class RegistrationBatch(Input):
    """Several people of one organisation at once."""

    organisation_id: uuid.UUID | None = None
    people: list[RegistrationCreate] = Field(min_length=1, max_length=200)


class RegistrationPublic(BaseModel):
    """A registration as staff see it."""

    id: uuid.UUID
    event_id: uuid.UUID
    queue_no: int
    name: str
    email: str | None
    phone: str | None
    organisation_id: uuid.UUID | None
    accessibility: list[str]
    food: str | None
    status: str
    offer_expires_at: datetime | None
    registered_by: str | None
    checked_in_at: datetime | None
    walk_in: bool = False
    beyond_capacity: bool = False
    created_at: datetime
    updated_at: datetime


class RegistrationReceipt(BaseModel):
    """What the person who registered gets back: where they stand, and their cancellation link's token."""

    id: uuid.UUID
    event_id: uuid.UUID
    status: str
    cancel_token: str


class RegistrationReceived(BaseModel):
    """The public form's answer, the same whatever happened: where the person stands, and their
    cancellation link, come by mail (or text message), to the address given."""

    event_id: uuid.UUID
    detail: str


class RegistrationState(BaseModel):
    """The answer to a personal link: where the registration stands now."""

    id: uuid.UUID
    event_id: uuid.UUID
    status: str


class LinkToken(Input):
    token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), OneLine]


class OrganisationCount(BaseModel):
    organisation_id: uuid.UUID | None
    registered: int


class RegistrationSummary(BaseModel):
    counts: dict[str, int]
    per_organisation: list[OrganisationCount]
    registered_before_audience_change: int | None = Field(
        default=None,
        description="After a change of audience: those still registered or waiting who registered "
        "before it (kept; staff check whether they still belong). Null: the audience never changed.",
    )


class ProgrammeItemCreate(Input):
    starts_at: datetime
    ends_at: datetime
    title: Text
    room: Text | None = None
    responsible: Note | None = None
    notes: LongText | None = None

    def fields(self, zone: tzinfo) -> dict[str, Any]:
        values = self.model_dump()
        values["starts_at"] = _local(self.starts_at, zone)
        values["ends_at"] = _local(self.ends_at, zone)
        return values


class ProgrammeItemUpdate(Input):
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    title: Text | None = None
    room: Text | None = None
    responsible: Note | None = None
    notes: LongText | None = None

    def changes(self, zone: tzinfo) -> dict[str, Any]:
        values = self.model_dump(exclude_unset=True)
        values = {k: v for k, v in values.items() if v is not None or k in ("room", "responsible", "notes")}
        for name in ("starts_at", "ends_at"):
            if name in values:
                values[name] = _local(values[name], zone)
        return values


class ProgrammeItemForVisitors(BaseModel):
    """A programme item on the public pages: no staff notes, no names of who is responsible."""

    id: uuid.UUID
    event_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    room: str | None
    title: str


class ProgrammeItemPublic(ProgrammeItemForVisitors):
    """A programme item as staff see it."""

    responsible: str | None
    notes: str | None


class CheckInCreate(Input):
    """One scan or tap at the door. `nonce`: made by the phone for this scan, the same on every retry."""

    registration_id: uuid.UUID
    nonce: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=100), OneLine]


class WalkInCreate(Input):
    """Someone at the door who did not register. A name is enough (the person is there); `nonce` as
    for a scan; `beyond_capacity`: staff let the person in although every place is taken."""

    name: Text
    email: EmailStr | None = None
    phone: Phone | None = None
    nonce: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=100), OneLine]
    beyond_capacity: bool = False

    def person(self) -> NewRegistration:
        return NewRegistration(
            name=self.name, email=str(self.email) if self.email else None, phone=self.phone
        )


class CheckInPublic(BaseModel):
    registration_id: uuid.UUID
    name: str
    checked_in_at: datetime | None
    first: bool = Field(description="False when the person had already been checked in")
    walk_in: bool = False
    beyond_capacity: bool = Field(default=False, description="A walk-in let in when every place was taken")


class FeedTokenPublic(BaseModel):
    """A new private feed link's token, shown once; the paths are the service's (the gateway maps them)."""

    organisation_id: uuid.UUID
    token: str
    ics_path: str
    atom_path: str


class HelpRequestCreate(Input):
    """Ask a volunteers pool for people: how many, and (if not the event's own) when and where."""

    pool_key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), OneLine]
    seats: int = Field(ge=1, le=500)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: Text | None = None
    needs: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_printable)
    ] = ""

    def ask(self, zone: tzinfo) -> HelpRequest:
        return HelpRequest(
            pool_key=self.pool_key,
            seats=self.seats,
            starts_at=_local(self.starts_at, zone),
            ends_at=_local(self.ends_at, zone),
            place=self.place,
            needs=self.needs,
        )


class HelpRequestPublic(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    pool_key: str
    seats: int
    starts_at: datetime
    ends_at: datetime
    place: str | None
    needs: str
    requested_by: str | None
    created_at: datetime
    # Helpers the volunteers service has confirmed (and not cancelled) so far.
    confirmed: int = 0


class GroupFeedTokenPublic(BaseModel):
    """A new group feed link's token, shown once; the paths are the service's (the gateway maps them)."""

    group_id: uuid.UUID
    token: str
    ics_path: str
    atom_path: str


class LinkLookup(LinkToken):
    action: Literal["cancel", "confirm", "decline"]


class LinkedEvent(BaseModel):
    """The event as the page a personal link opens shows it: what the person needs to decide and to
    come, whoever the event is for; no capacity, counts, organisers or audience (a link to an event
    for a group or for staff must not show more of it than its own person needs)."""

    id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str | None
    venue_address: str | None
    accessibility_notes: str | None
    status: str
    cancel_reason: str | None


class LinkedRegistration(BaseModel):
    """What a personal link is about, for the page it opens: the registration's state and the event."""

    id: uuid.UUID
    status: str
    offer_expires_at: datetime | None
    event: LinkedEvent
