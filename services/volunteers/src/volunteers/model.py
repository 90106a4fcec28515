"""The words and records of the volunteers service, without I/O: statuses, kinds, the inputs of its
use cases, the errors it refuses with, and who sees which pools.

Every refusal says, in plain Swedish, what is wrong and what to do instead; the API passes it on
unchanged, so the pages show the service's own words.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal, NamedTuple

from backbone.errors import NotAllowed, RuleError

RequirementKind = Literal["training", "agreement", "certificate"]
PoolStatus = Literal["active", "closed"]
VolunteerStatus = Literal["active", "paused", "erased"]
MembershipStatus = Literal["applied", "active", "paused", "left"]
Channel = Literal["email", "sms", "phone"]
ConsentHow = Literal["form", "paper", "email", "phone", "link"]
RequestStatus = Literal["open", "filled", "cancelled"]
OfferStatus = Literal["sent", "accepted", "declined", "expired", "withdrawn"]
AssignmentStatus = Literal["confirmed", "cancelled", "completed"]
RequestSource = Literal["staff", "events"]

# A volunteer gets offers only while they consent to this purpose (they may withdraw it at any time).
OFFERS_PURPOSE = "erbjudanden"
# Statuses of an assignment that keep the person busy at that time.
BUSY = ("confirmed", "completed")


class InvalidLink(RuleError):
    """A link that is malformed, forged, or meant for something else (400)."""


class ExpiredLink(RuleError):
    """A genuine link whose time is over (409, like a used one)."""


class UsedLink(RuleError):
    """A genuine link that was answered already: links work once (409)."""


class NotAsked(RuleError):
    """The pool does not ask for the qualification to be recorded from it (409, `NotAsked`)."""


class Clash(RuleError):
    """The person is booked at an overlapping time (409)."""


@dataclass(frozen=True)
class NewRequirement:
    key: str
    kind: RequirementKind
    label: str
    expires: bool = False


@dataclass(frozen=True)
class NewPool:
    key: str
    name: str
    description: str = ""
    coordinator_subject: str | None = None
    coordinator_name: str | None = None
    monthly_cap: int = 4
    offer_hours: int = 48
    paid: bool = False
    requirements: tuple[NewRequirement, ...] = ()


# Named tuples, not dataclasses, where matching reads thousands of them per request (cheaper to make).
class WeeklySlot(NamedTuple):
    """Available on `weekday` (1 Monday .. 7 Sunday) from `starts` to `ends`, local time."""

    weekday: int
    starts: time
    ends: time


class AvailabilityException(NamedTuple):
    starts_at: datetime
    ends_at: datetime
    available: bool
    note: str = ""


@dataclass(frozen=True)
class NewVolunteer:
    name: str
    email: str | None
    phone: str | None
    preferred_channel: Channel = "email"
    language: str = "sv"
    languages: tuple[str, ...] = ("sv",)
    areas: tuple[str, ...] = ()
    does_not_want: str = ""
    client_units: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewQualification:
    key: str
    kind: RequirementKind
    completed_on: date
    expires_on: date | None = None
    note: str = ""


@dataclass(frozen=True)
class NewConsent:
    purpose: str
    text_version: str
    given_how: ConsentHow
    given_at: datetime | None = None


@dataclass(frozen=True)
class NewRequest:
    pool_id: uuid.UUID
    seats: int
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    area: str | None = None
    language: str | None = None
    needs: str = ""
    unit: str | None = None
    # How many offers go out per free place at a time: 1 asks people one by one; more fills
    # a request sooner (first come), and the others are told the places are taken.
    offers_per_place: int = 1


@dataclass(frozen=True)
class Scope:
    """Which pools someone may work with: every one, or those named (a coordinator's)."""

    everything: bool
    pool_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def covers(self, pool_id: uuid.UUID) -> bool:
        return self.everything or pool_id in self.pool_ids

    def covers_any(self, pool_ids: Iterable[uuid.UUID]) -> bool:
        return self.everything or any(p in self.pool_ids for p in pool_ids)

    @property
    def sql_pool_ids(self) -> list[uuid.UUID] | None:
        """For queries: None means every pool."""
        return None if self.everything else sorted(self.pool_ids)

    def require(self, pool_id: uuid.UUID) -> None:
        if not self.covers(pool_id):
            raise NotAllowed(
                "Du samordnar inte den här poolen, så du kan inte se eller ändra den. "
                "Be en administratör om behörighet."
            )


def check_weekly_slot(starts: time, ends: time) -> None:
    """A weekly time ends after it starts (a RuleError is a ValueError: as an input check it becomes a
    422 naming the slot)."""
    if ends <= starts:
        raise RuleError("En tid i veckoschemat slutar innan den börjar. Kontrollera tiderna.")


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise RuleError("Ange tider med tidszon, till exempel 2027-03-01T09:00:00+01:00.")
    if ends_at <= starts_at:
        raise RuleError("Sluttiden måste vara efter starttiden. Kontrollera tiderna och försök igen.")


class Full(RuleError):
    """Every place of the request is taken (409)."""


class NotEligible(RuleError):
    """The person does not meet what the request needs; the message says what (409)."""


@dataclass(frozen=True)
class RequestViewer:
    """Who reads requests: the pools they coordinate (`scope`, everything for managers) and, for
    those who only ask for volunteers, the requests they made themselves. Only those the scope
    covers see the candidates, the offers and why; the one who asked sees who got the places."""

    scope: Scope
    subject: str

    def sees(self, pool_id: uuid.UUID, requested_by: str) -> bool:
        return self.scope.covers(pool_id) or requested_by == self.subject

    def sees_candidates(self, pool_id: uuid.UUID) -> bool:
        return self.scope.covers(pool_id)
