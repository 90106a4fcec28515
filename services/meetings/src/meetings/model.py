"""Pure rules of the meetings domain: recurrence, minutes lifecycle, action-item states. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from backbone.errors import RuleError

# The words of the domain, each written once: the schemas, the use cases and the migrations' CHECKs
# (which must list the same values) all mean these.
OrganisationKind = Literal["municipal", "user_organisation", "other"]
GroupKind = Literal["joint_development", "management", "working_group"]
MemberRole = Literal["member", "chair", "minute_taker"]
MeetingStatus = Literal["scheduled", "cancelled"]
Frequency = Literal["weekly", "monthly"]
WeekOfMonth = Literal[1, 2, 3, 4, -1]  # -1: the last
AgendaKind = Literal["theme", "working_group_report", "information", "decision", "other"]
AttendanceStatus = Literal["present", "excused", "absent", "guest"]
MinutesStatus = Literal["draft", "ready_for_review", "approved", "published", "superseded"]
SectionKind = Literal["text", "working_group_report"]
ActionStatus = Literal["open", "done", "dropped"]
ClosedActionStatus = Literal["done", "dropped"]
ImportStatus = Literal["needs_review", "reviewed"]

# A series never generates more than this, whatever its end; a safety net against typos like 2099.
MAX_OCCURRENCES = 120


# -- recurrence -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    """When a series meets: e.g. monthly on the first Monday, or every other Monday.

    `week_of_month` is 1..4 or -1 (the last) and only used for monthly series; `weekday` is 0 for
    Monday as in Python's `date.weekday()`.
    """

    frequency: Frequency
    weekday: int
    interval: int = 1
    week_of_month: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise RuleError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not 1 <= self.interval <= 12:
            raise RuleError("interval must be between 1 and 12")
        if self.frequency == "monthly" and self.week_of_month not in (1, 2, 3, 4, -1):
            raise RuleError("a monthly series needs week_of_month: 1 to 4, or -1 for the last")


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1..4, or -1 for the last) `weekday` of a month."""
    if n == -1:
        nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        last = nxt - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def occurrences(
    rule: Recurrence, *, starts_on: date, until: date | None = None, count: int | None = None
) -> list[date]:
    """The days a series meets, from `starts_on` (inclusive) to `until` (inclusive) or `count` days."""
    if until is None and count is None:
        raise RuleError("a series needs an end: until or count")
    limit = min(count if count is not None else MAX_OCCURRENCES, MAX_OCCURRENCES)
    out: list[date] = []
    if rule.frequency == "weekly":
        day = starts_on + timedelta(days=(rule.weekday - starts_on.weekday()) % 7)
        while len(out) < limit and (until is None or day <= until):
            out.append(day)
            day += timedelta(weeks=rule.interval)
        return out
    assert rule.week_of_month is not None
    year, month = starts_on.year, starts_on.month
    while len(out) < limit:
        day = nth_weekday(year, month, rule.weekday, rule.week_of_month)
        if until is not None and day > until:
            break
        if day >= starts_on:
            out.append(day)
        month += rule.interval
        while month > 12:
            year, month = year + 1, month - 12
    return out


def local_slot(day: date, start: time, duration_minutes: int, timezone: str) -> tuple[datetime, datetime]:
    """Start and end of a meeting on `day` at local wall-clock `start` (DST handled by the zone)."""
    zone = ZoneInfo(timezone)
    starts = datetime.combine(day, start, tzinfo=zone)
    # Add the duration in wall-clock terms, then let the zone give the right offset for the end.
    ends = (datetime.combine(day, start) + timedelta(minutes=duration_minutes)).replace(tzinfo=zone)
    return starts, ends


# -- minutes lifecycle ------------------------------------------------------------------------

# What each action does to the status of a minutes version.
TRANSITIONS: dict[str, dict[str, MinutesStatus]] = {
    "submit": {"draft": "ready_for_review"},
    "return": {"ready_for_review": "draft", "approved": "draft"},
    "approve": {"ready_for_review": "approved"},
    "publish": {"approved": "published"},
}

EDITABLE: frozenset[str] = frozenset({"draft", "ready_for_review"})


def next_status(current: str, action: str) -> MinutesStatus:
    """The status after `action`, or a RuleError saying why the action does not fit."""
    if action not in TRANSITIONS:
        raise RuleError(f"unknown action {action!r}; use one of {', '.join(TRANSITIONS)}")
    allowed = TRANSITIONS[action]
    if current not in allowed:
        if current in ("published", "superseded"):
            raise RuleError(
                f"these minutes are {current} and cannot change; create a correction to make a new version"
            )
        need = " or ".join(allowed)
        raise RuleError(f"cannot {action} minutes that are {current}; they must be {need}")
    return allowed[current]


def check_editable(status: str) -> None:
    if status in ("published", "superseded"):
        raise RuleError(f"these minutes are {status} and cannot change; create a correction instead")
    if status not in EDITABLE:
        raise RuleError(f"approved minutes cannot be edited; return them to draft first (status is {status})")


def edit_status(status: str) -> MinutesStatus:
    """Editing minutes under review sends them back to draft: the reviewer must see the new text."""
    check_editable(status)
    return "draft"


# -- action items -----------------------------------------------------------------------------

ACTION_CLOSED: frozenset[str] = frozenset({"done", "dropped"})
DUE_SOON_DAYS = 3


def close_action(current: str, to: str) -> ActionStatus:
    if to not in ACTION_CLOSED:
        raise RuleError("an action item is closed as 'done' or 'dropped'")
    if current != "open":
        raise RuleError(f"the action item is already {current}")
    return "done" if to == "done" else "dropped"


def due_state(due: date | None, status: str, today: date) -> Literal["none", "due_soon", "overdue"]:
    """Whether an open action item is due within DUE_SOON_DAYS days, or past its due date."""
    if due is None or status != "open":
        return "none"
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "none"


# -- rendering helpers ------------------------------------------------------------------------

SWEDISH_MONTHS = (
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


def swedish_date(day: date) -> str:
    """'22 februari 2016', the way the group writes dates in its minutes."""
    return f"{day.day} {SWEDISH_MONTHS[day.month - 1]} {day.year}"


def search_terms(text: str) -> list[str]:
    """The words of a search box, without operators: people type words, not tsquery syntax."""
    words: list[str] = []
    for raw in text.split():
        word = "".join(ch for ch in raw if ch.isalnum() or ch == "-").strip("-")
        if word:
            words.append(word.lower())
    return words[:20]
