"""Who may take a request, and in which order they are asked: pure rules, no I/O.

Eligibility is a list of rules; a person fails on every rule that applies to them, and each failure
is said in plain Swedish, so staff see why someone is not on the list. The eligible are ranked by
fairness: the monthly cap has already excluded those with enough; then fewest assignments in the
recent window, then longest since the last one (never assigned first), and among equals an order
drawn from the request's own id, so nobody is first among equals every time.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from volunteers.model import (
    AvailabilityException,
    MembershipStatus,
    RequirementKind,
    VolunteerStatus,
    WeeklySlot,
)

MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
# Fair ranking reads a person's assignments of the year before the request, no further back.
HISTORY_DAYS = 365
_KINDS: dict[RequirementKind, str] = {
    "training": "Utbildningen",
    "agreement": "Avtalet",
    "certificate": "Intyget",
}


@dataclass(frozen=True)
class Requirement:
    key: str
    kind: RequirementKind
    label: str
    expires: bool = False


@dataclass(frozen=True)
class Need:
    """The request as matching sees it."""

    request_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    zone: ZoneInfo
    requirements: tuple[Requirement, ...] = ()
    monthly_cap: int = 4
    # The length of the window of "recent" assignments, in days (for the reasons only).
    window_days: int = 90
    language: str | None = None
    area: str | None = None
    unit: str | None = None

    # Computed once per request, not once per candidate (a frozen dataclass still takes these).
    @cached_property
    def local_starts(self) -> datetime:
        return self.starts_at.astimezone(self.zone)

    @cached_property
    def local_ends(self) -> datetime:
        return self.ends_at.astimezone(self.zone)

    @cached_property
    def day(self) -> date:
        """The request's date where it takes place (requirements must hold on it)."""
        return self.local_starts.date()

    @cached_property
    def last_day(self) -> date:
        return self.local_ends.date()


class Qualification(NamedTuple):
    key: str
    completed_on: date
    expires_on: date | None = None


class Candidate(NamedTuple):
    """One person as matching sees them. A named tuple, not a dataclass: matching builds one per
    member of the pool for every request (5,000 in the bench), and a tuple is several times cheaper
    to make."""

    volunteer_id: uuid.UUID
    name: str
    status: VolunteerStatus = "active"
    membership: MembershipStatus | None = "active"
    consents_to_offers: bool = True
    languages: frozenset[str] = frozenset({"sv"})
    areas: frozenset[str] = frozenset()
    client_units: frozenset[str] = frozenset()
    qualifications: tuple[Qualification, ...] = ()
    # No weekly pattern at all means "when asked": only exceptions limit them. The database side
    # passes only the slots of the request's weekday, and says in `keeps_pattern` whether they
    # have a pattern at all (None: they do if `weekly` has slots).
    weekly: tuple[WeeklySlot, ...] = ()
    exceptions: tuple[AvailabilityException, ...] = ()
    # Their other assignments that keep them busy, as (starts_at, ends_at).
    busy: tuple[tuple[datetime, datetime], ...] = ()
    # Assignments in this pool in the recent window, and in the request's calendar month.
    recent: int = 0
    this_month: int = 0
    last_assigned_at: datetime | None = None
    # What happened to an earlier offer of this very request ('sent', 'declined', ...), if any.
    offer_status: str | None = None
    assigned_here: bool = False
    keeps_pattern: bool | None = None


@dataclass(frozen=True)
class Ranked:
    volunteer_id: uuid.UUID
    name: str
    rank: int
    reason: str


@dataclass(frozen=True)
class Excluded:
    volunteer_id: uuid.UUID
    name: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    ranked: list[Ranked] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)


def _day(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {MONTHS[local.month - 1]} kl. {local:%H.%M}"


def requirement_problem(requirement: Requirement, held: Iterable[Qualification], need: Need) -> str | None:
    """Why `held` does not meet `requirement` on the request's dates, or None when it does."""
    day, last_day = need.day, need.last_day
    matching = [h for h in held if h.key == requirement.key and h.completed_on <= day]
    # An expiring requirement is met only by a record that says until when it holds.
    if matching and any(
        (h.expires_on >= last_day) if h.expires_on is not None else not requirement.expires
        for h in matching
    ):
        return None
    what = f"{_KINDS[requirement.kind]} ”{requirement.label}”"
    if not matching:
        if any(h.key == requirement.key for h in held):
            return f"{what} är klar först efter uppdraget."
        return f"{what} saknas."
    if all(h.expires_on is None for h in matching):
        return f"{what} saknar slutdatum. Skriv in datumet då det går ut."
    latest = max(h.expires_on for h in matching if h.expires_on is not None)
    return f"{what} gick ut {_day(latest)}, före uppdraget {_day(need.last_day)}. Ett nytt behövs."


def _within_slot(slot: WeeklySlot, starts: datetime, ends: datetime) -> bool:
    # A request over midnight fits no weekly slot; an exception (extra time) can still cover it.
    return (
        starts.date() == ends.date()
        and starts.isoweekday() == slot.weekday
        and slot.starts <= starts.time()
        and ends.time() <= slot.ends
    )


def availability_problem(candidate: Candidate, need: Need) -> str | None:
    """Why the candidate cannot come at the request's time, or None when they can."""
    for exc in candidate.exceptions:
        if exc.available and exc.starts_at <= need.starts_at and need.ends_at <= exc.ends_at:
            return None
    for exc in candidate.exceptions:
        if not exc.available and exc.starts_at < need.ends_at and need.starts_at < exc.ends_at:
            note = f" ({exc.note})" if exc.note else ""
            return f"Är borta {_clock(exc.starts_at, need.zone)} till {_clock(exc.ends_at, need.zone)}{note}."
    keeps = candidate.keeps_pattern if candidate.keeps_pattern is not None else bool(candidate.weekly)
    if not keeps:
        return None
    if any(_within_slot(slot, need.local_starts, need.local_ends) for slot in candidate.weekly):
        return None
    return "Brukar inte kunna den veckodagen eller den tiden."


_MEMBERSHIP: dict[MembershipStatus | None, str] = {
    None: "Är inte med i poolen.",
    "applied": "Är inte godkänd i poolen ännu.",
    "paused": "Har pausat sitt deltagande i poolen.",
    "left": "Har lämnat poolen.",
}
_ANSWERED = {
    "sent": "Har redan fått erbjudandet och inte svarat ännu.",
    "declined": "Har tackat nej till det här uppdraget.",
    "expired": "Svarade inte i tid på erbjudandet.",
}


def problems(candidate: Candidate, need: Need) -> list[str]:
    """Every reason the candidate may not take the request; empty when they may."""
    found: list[str] = []
    if candidate.status != "active":
        found.append(
            "Har pausat sina uppdrag." if candidate.status == "paused" else "Finns inte längre i registret."
        )
    if candidate.membership != "active":
        found.append(_MEMBERSHIP[candidate.membership])
    if not candidate.consents_to_offers:
        found.append("Har inte samtyckt till att få erbjudanden, eller har tagit tillbaka samtycket.")
    if candidate.assigned_here:
        found.append("Har redan en plats på det här uppdraget.")
    elif candidate.offer_status is not None:
        found.append(
            _ANSWERED.get(candidate.offer_status, "Har redan fått ett erbjudande om det här uppdraget.")
        )
    for requirement in need.requirements:
        problem = requirement_problem(requirement, candidate.qualifications, need)
        if problem:
            found.append(problem)
    if need.unit and need.unit in candidate.client_units:
        found.append(f"Är själv klient på enheten {need.unit} (jäv).")
    if need.language and need.language not in candidate.languages:
        found.append(f"Talar inte språket som behövs ({need.language}).")
    if need.area and candidate.areas and need.area not in candidate.areas:
        found.append(f"Tar inte uppdrag i området {need.area}.")
    absent = availability_problem(candidate, need)
    if absent:
        found.append(absent)
    for starts_at, ends_at in candidate.busy:
        if starts_at < need.ends_at and need.starts_at < ends_at:
            found.append(
                f"Har redan ett uppdrag samma tid ({_clock(starts_at, need.zone)}–"
                f"{ends_at.astimezone(need.zone):%H.%M})."
            )
            break
    if candidate.this_month >= need.monthly_cap:
        month = MONTHS[need.day.month - 1]
        count, cap = candidate.this_month, need.monthly_cap
        found.append(f"Har redan {count} uppdrag i {month} i poolen; taket är {cap} i månaden.")
    return found


def _tiebreak(need: Need, candidate: Candidate) -> bytes:
    # Drawn from the request and the person: fixed for one request (the list does not jump between
    # two looks), different from one request to the next (nobody is always first among equals).
    return hashlib.blake2b(need.request_id.bytes + candidate.volunteer_id.bytes, digest_size=8).digest()


def _order(need: Need, candidate: Candidate) -> tuple[int, float, bytes]:
    last = candidate.last_assigned_at.timestamp() if candidate.last_assigned_at else float("-inf")
    return (candidate.recent, last, _tiebreak(need, candidate))


def _reason(candidate: Candidate, need: Need) -> str:
    month = MONTHS[need.day.month - 1]
    recent = (
        "inga uppdrag"
        if candidate.recent == 0
        else ("1 uppdrag" if candidate.recent == 1 else f"{candidate.recent} uppdrag")
    )
    last = (
        "inget uppdrag i poolen det senaste året"
        if candidate.last_assigned_at is None
        else f"senast {_day(candidate.last_assigned_at.astimezone(need.zone).date())}"
    )
    return (
        f"Uppfyller kraven och kan den tiden. Har {recent} de senaste {need.window_days} dagarna, "
        f"{candidate.this_month} av {need.monthly_cap} i {month}; {last}."
    )


def match(need: Need, candidates: Sequence[Candidate]) -> Result:
    """The eligible in the order they are asked, each with why, and the others with why not."""
    eligible: list[Candidate] = []
    excluded: list[Excluded] = []
    for candidate in candidates:
        found = problems(candidate, need)
        if found:
            excluded.append(Excluded(candidate.volunteer_id, candidate.name, tuple(found)))
        else:
            eligible.append(candidate)
    eligible.sort(key=lambda c: _order(need, c))
    ranked = [
        Ranked(c.volunteer_id, c.name, rank, _reason(c, need)) for rank, c in enumerate(eligible, start=1)
    ]
    excluded.sort(key=lambda e: e.name)
    return Result(ranked=ranked, excluded=excluded)
