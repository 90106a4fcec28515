"""Who may take a request, and in which order they are asked: pure rules, no I/O.

Eligibility is a list of rules; a person fails on every rule that applies to them, each failure is
a `Reason` (a code, and what the sentence needs), and each reason is said in plain Swedish, so staff
see why someone is not on the list. The eligible are ranked by fairness: the monthly cap has
already excluded those with enough; then fewest assignments in the recent window, then longest
since the last one (never assigned first), and among equals an order drawn from the request's own
id, so nobody is first among equals every time.

This module is the readable specification. The service lists candidates with the same rules
written in SQL (sql/matching.sql `match_page`, through candidates.py), which reads only the page it
shows; tests/integration/test_candidates.py checks on generated data that both give the same
page: the same people in the same order, with the same codes and sentences.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Literal, NamedTuple, TypeVar, cast, get_args
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
T = TypeVar("T")
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


ReasonCode = Literal[
    "volunteer_paused",
    "volunteer_erased",
    "not_in_pool",
    "pool_applied",
    "pool_paused",
    "pool_left",
    "no_consent",
    "assigned_here",
    "offer_waiting",
    "offer_declined",
    "offer_expired",
    "offer_answered",
    "requirement_missing",
    "requirement_later",
    "requirement_undated",
    "requirement_expired",
    "client_of_unit",
    "language",
    "area",
    "away",
    "not_available",
    "busy",
    "monthly_cap",
]
CODES: frozenset[str] = frozenset(get_args(ReasonCode))
REQUIREMENT_CODES = frozenset(
    {"requirement_missing", "requirement_later", "requirement_undated", "requirement_expired"}
)


def parse_name(name: str) -> tuple[ReasonCode, str | None]:
    """`requirement_expired:belastningsregister` → the code and the requirement's key."""
    code, _, key = name.partition(":")
    if code not in CODES:
        raise ValueError(f"Unknown reason code {code!r} (matching.ReasonCode lists them).")
    return cast(ReasonCode, code), key or None


class Reason(NamedTuple):
    """Why someone may not take a request: a code, and what its sentence for that person needs."""

    code: ReasonCode
    # The requirement, for the requirement_* codes.
    key: str | None = None
    # requirement_expired: the latest expiry of a record that had started by the request's day.
    on: date | None = None
    # away: the absence; busy: the other assignment (the earliest that overlaps).
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    note: str = ""
    # monthly_cap: their assignments in the request's month.
    assignments: int = 0

    @property
    def name(self) -> str:
        """The code as lists count and filter by: `requirement_expired:belastningsregister`."""
        return self.code if self.key is None else f"{self.code}:{self.key}"


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
    # The names of the reasons (Reason.name), in the order of `reasons`.
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReasonCount:
    """How many are excluded for one reason (a person with two reasons counts under both)."""

    code: str
    reason: str
    count: int


@dataclass(frozen=True)
class Page:
    """Which part of the lists to show. None: all of it."""

    ranked_limit: int | None = None
    ranked_offset: int = 0
    excluded_limit: int | None = None
    excluded_offset: int = 0
    # Only the excluded for this reason (a Reason.name), or all of them.
    reason: str | None = None


@dataclass(frozen=True)
class Result:
    """One page of the ranked and of the excluded, with how many there are and why."""

    ranked: list[Ranked] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    ranked_total: int = 0
    # Of the excluded the page is taken from (those with `Page.reason`, if one is asked for).
    excluded_total: int = 0
    # Most common first; the same code in name order.
    by_reason: list[ReasonCount] = field(default_factory=list)


def _day(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {MONTHS[local.month - 1]} kl. {local:%H.%M}"


def requirement_reason(requirement: Requirement, held: Iterable[Qualification], need: Need) -> Reason | None:
    """Why `held` does not meet `requirement` on the request's dates, or None when it does."""
    day, last_day = need.day, need.last_day
    matching = [h for h in held if h.key == requirement.key and h.completed_on <= day]
    # An expiring requirement is met only by a record that says until when it holds.
    if matching and any(
        (h.expires_on >= last_day) if h.expires_on is not None else not requirement.expires
        for h in matching
    ):
        return None
    key = requirement.key
    if not matching:
        if any(h.key == key for h in held):
            return Reason("requirement_later", key)
        return Reason("requirement_missing", key)
    if all(h.expires_on is None for h in matching):
        return Reason("requirement_undated", key)
    latest = max(h.expires_on for h in matching if h.expires_on is not None)
    return Reason("requirement_expired", key, on=latest)


def requirement_problem(requirement: Requirement, held: Iterable[Qualification], need: Need) -> str | None:
    """The same, said in words."""
    reason = requirement_reason(requirement, held, need)
    return None if reason is None else phrase(reason, need)


def _within_slot(slot: WeeklySlot, starts: datetime, ends: datetime) -> bool:
    # A request over midnight fits no weekly slot; an exception (extra time) can still cover it.
    return (
        starts.date() == ends.date()
        and starts.isoweekday() == slot.weekday
        and slot.starts <= starts.time()
        and ends.time() <= slot.ends
    )


def availability_reason(candidate: Candidate, need: Need) -> Reason | None:
    """Why the candidate cannot come at the request's time, or None when they can."""
    for exc in candidate.exceptions:
        if exc.available and exc.starts_at <= need.starts_at and need.ends_at <= exc.ends_at:
            return None
    away = [
        exc
        for exc in candidate.exceptions
        if not exc.available and exc.starts_at < need.ends_at and need.starts_at < exc.ends_at
    ]
    if away:
        # The earliest absence is named, whatever order they were recorded in.
        first = min(away, key=lambda e: (e.starts_at, e.ends_at, e.note))
        return Reason("away", starts_at=first.starts_at, ends_at=first.ends_at, note=first.note)
    keeps = candidate.keeps_pattern if candidate.keeps_pattern is not None else bool(candidate.weekly)
    if not keeps:
        return None
    if any(_within_slot(slot, need.local_starts, need.local_ends) for slot in candidate.weekly):
        return None
    return Reason("not_available")


_STATUS: dict[VolunteerStatus, ReasonCode] = {"paused": "volunteer_paused", "erased": "volunteer_erased"}
_MEMBERSHIP: dict[MembershipStatus | None, ReasonCode] = {
    None: "not_in_pool",
    "applied": "pool_applied",
    "paused": "pool_paused",
    "left": "pool_left",
}
_ANSWERED: dict[str, ReasonCode] = {
    "sent": "offer_waiting",
    "declined": "offer_declined",
    "expired": "offer_expired",
}


def reasons(candidate: Candidate, need: Need) -> list[Reason]:
    """Every reason the candidate may not take the request, in a fixed order; empty when they may."""
    found: list[Reason] = []
    if candidate.status != "active":
        found.append(Reason(_STATUS[candidate.status]))
    if candidate.membership != "active":
        found.append(Reason(_MEMBERSHIP[candidate.membership]))
    if not candidate.consents_to_offers:
        found.append(Reason("no_consent"))
    if candidate.assigned_here:
        found.append(Reason("assigned_here"))
    elif candidate.offer_status is not None:
        found.append(Reason(_ANSWERED.get(candidate.offer_status, "offer_answered")))
    for requirement in need.requirements:
        problem = requirement_reason(requirement, candidate.qualifications, need)
        if problem:
            found.append(problem)
    if need.unit and need.unit in candidate.client_units:
        found.append(Reason("client_of_unit"))
    if need.language and need.language not in candidate.languages:
        found.append(Reason("language"))
    if need.area and candidate.areas and need.area not in candidate.areas:
        found.append(Reason("area"))
    absent = availability_reason(candidate, need)
    if absent:
        found.append(absent)
    clashes = [
        (starts_at, ends_at)
        for starts_at, ends_at in candidate.busy
        if starts_at < need.ends_at and need.starts_at < ends_at
    ]
    if clashes:
        starts_at, ends_at = min(clashes)
        found.append(Reason("busy", starts_at=starts_at, ends_at=ends_at))
    if candidate.this_month >= need.monthly_cap:
        found.append(Reason("monthly_cap", assignments=candidate.this_month))
    return found


_SAID: dict[ReasonCode, str] = {
    "volunteer_paused": "Har pausat sina uppdrag.",
    "volunteer_erased": "Finns inte längre i registret.",
    "not_in_pool": "Är inte med i poolen.",
    "pool_applied": "Är inte godkänd i poolen ännu.",
    "pool_paused": "Har pausat sitt deltagande i poolen.",
    "pool_left": "Har lämnat poolen.",
    "no_consent": "Har inte samtyckt till att få erbjudanden, eller har tagit tillbaka samtycket.",
    "assigned_here": "Har redan en plats på det här uppdraget.",
    "offer_waiting": "Har redan fått erbjudandet och inte svarat ännu.",
    "offer_declined": "Har tackat nej till det här uppdraget.",
    "offer_expired": "Svarade inte i tid på erbjudandet.",
    "offer_answered": "Har redan fått ett erbjudande om det här uppdraget.",
    "not_available": "Brukar inte kunna den veckodagen eller den tiden.",
}


def _requirement(need: Need, key: str | None) -> str:
    for requirement in need.requirements:
        if requirement.key == key:
            return f"{_KINDS[requirement.kind]} ”{requirement.label}”"
    return f"Kravet ”{key}”"


def phrase(reason: Reason, need: Need) -> str:
    """The reason for one person, in plain Swedish."""
    code = reason.code
    if code == "requirement_expired" and reason.on is not None:
        return (
            f"{_requirement(need, reason.key)} gick ut {_day(reason.on)}, före uppdraget "
            f"{_day(need.last_day)}. Ett nytt behövs."
        )
    if code == "away" and reason.starts_at is not None and reason.ends_at is not None:
        note = f" ({reason.note})" if reason.note else ""
        starts, ends = _clock(reason.starts_at, need.zone), _clock(reason.ends_at, need.zone)
        return f"Är borta {starts} till {ends}{note}."
    if code == "busy" and reason.starts_at is not None and reason.ends_at is not None:
        return (
            f"Har redan ett uppdrag samma tid ({_clock(reason.starts_at, need.zone)}–"
            f"{reason.ends_at.astimezone(need.zone):%H.%M})."
        )
    if code == "monthly_cap":
        month, cap = MONTHS[need.day.month - 1], need.monthly_cap
        return f"Har redan {reason.assignments} uppdrag i {month} i poolen; taket är {cap} i månaden."
    return summary(reason, need)


def summary(reason: Reason, need: Need) -> str:
    """The reason as a heading for everyone excluded by it (no one person's dates or counts)."""
    code = reason.code
    if code in _SAID:
        return _SAID[code]
    what = _requirement(need, reason.key)
    if code == "requirement_missing":
        return f"{what} saknas."
    if code == "requirement_later":
        return f"{what} är klar först efter uppdraget."
    if code == "requirement_undated":
        return f"{what} saknar slutdatum. Skriv in datumet då det går ut."
    if code == "requirement_expired":
        return f"{what} har gått ut före uppdraget {_day(need.last_day)}. Ett nytt behövs."
    if code == "client_of_unit":
        return f"Är själv klient på enheten {need.unit} (jäv)."
    if code == "language":
        return f"Talar inte språket som behövs ({need.language})."
    if code == "area":
        return f"Tar inte uppdrag i området {need.area}."
    if code == "away":
        return "Är borta den tiden."
    if code == "busy":
        return "Har redan ett uppdrag samma tid."
    month = MONTHS[need.day.month - 1]
    return f"Har redan {need.monthly_cap} uppdrag i {month} i poolen, som är taket i månaden."


def problems(candidate: Candidate, need: Need) -> list[str]:
    """Every reason the candidate may not take the request, in words; empty when they may."""
    return [phrase(reason, need) for reason in reasons(candidate, need)]


def tiebreak(request_id: uuid.UUID, volunteer_id: uuid.UUID) -> bytes:
    """Drawn from the request and the person: fixed for one request (the list does not jump between
    two looks), different from one request to the next (nobody is always first among equals).
    SHA-256 of the two ids' bytes, which PostgreSQL computes alike (`sha256(uuid_send(...))`)."""
    return hashlib.sha256(request_id.bytes + volunteer_id.bytes).digest()


def _order(need: Need, candidate: Candidate) -> tuple[int, bool, datetime, bytes]:
    # Never assigned first; datetimes compared as such (a float timestamp can tie two of them).
    last = candidate.last_assigned_at
    draw = tiebreak(need.request_id, candidate.volunteer_id)
    return (candidate.recent, last is not None, last or _NEVER, draw)


_NEVER = datetime(1, 1, 1, tzinfo=ZoneInfo("UTC"))


def fairness_reason(recent: int, this_month: int, last_assigned_at: datetime | None, need: Need) -> str:
    """Why an eligible person is where they are in the order."""
    month = MONTHS[need.day.month - 1]
    said = "inga uppdrag" if recent == 0 else ("1 uppdrag" if recent == 1 else f"{recent} uppdrag")
    last = (
        "inget uppdrag i poolen det senaste året"
        if last_assigned_at is None
        else f"senast {_day(last_assigned_at.astimezone(need.zone).date())}"
    )
    return (
        f"Uppfyller kraven och kan den tiden. Har {said} de senaste {need.window_days} dagarna, "
        f"{this_month} av {need.monthly_cap} i {month}; {last}."
    )


def _window(items: list[T], offset: int, limit: int | None) -> list[T]:
    return items[offset:] if limit is None else items[offset : offset + limit]


def match(need: Need, candidates: Sequence[Candidate], page: Page = Page()) -> Result:
    """The eligible in the order they are asked, each with why, and the others with why not: the
    page asked for of each, with how many there are and how many are excluded for each reason."""
    eligible: list[Candidate] = []
    excluded: list[tuple[Candidate, list[Reason]]] = []
    counts: dict[str, int] = {}
    headings: dict[str, str] = {}
    for candidate in candidates:
        found = reasons(candidate, need)
        if not found:
            eligible.append(candidate)
            continue
        excluded.append((candidate, found))
        for reason in found:
            counts[reason.name] = counts.get(reason.name, 0) + 1
            headings.setdefault(reason.name, summary(reason, need))
    eligible.sort(key=lambda c: _order(need, c))
    ranked = [
        Ranked(c.volunteer_id, c.name, n, fairness_reason(c.recent, c.this_month, c.last_assigned_at, need))
        for n, c in enumerate(eligible, start=1)
    ]
    shown = [(c, found) for c, found in excluded if page.reason in {None, *(r.name for r in found)}]
    shown.sort(key=lambda e: (e[0].name, e[0].volunteer_id))
    return Result(
        ranked=_window(ranked, page.ranked_offset, page.ranked_limit),
        excluded=[
            Excluded(
                c.volunteer_id, c.name, tuple(phrase(r, need) for r in found), tuple(r.name for r in found)
            )
            for c, found in _window(shown, page.excluded_offset, page.excluded_limit)
        ],
        ranked_total=len(ranked),
        excluded_total=len(shown),
        by_reason=[
            ReasonCount(name, headings[name], count)
            for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ],
    )
