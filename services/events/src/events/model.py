"""The rules of events and registrations, without I/O: times, windows, capacity, offers, changes.

Every refusal says, in plain Swedish, what is wrong and what to do instead; the API passes it on
unchanged, so the pages show the service's own words.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from backbone.errors import RuleError

Kind = Literal["meeting", "lecture", "conference", "workshop", "party", "dialogue", "open_meeting", "other"]
Audience = Literal["public", "staff", "groups"]
Status = Literal["draft", "published", "changed", "cancelled"]
WaitlistMode = Literal["offer", "promote"]
RegistrationMode = Literal["open", "none"]
Need = Literal["interpreter", "easy_swedish", "assistance", "wheelchair"]

# A registration holds a place while it is registered or offered (an offer keeps the place free for
# the one it was offered to).
HOLDS_PLACE = ("registered", "offered")
# An offer close to the event is short, so that a place nobody takes can still reach the next person;
# but never shorter than this, unless the event starts sooner.
SHORTEST_OFFER = timedelta(hours=1)
# Changing these fields changes what an attendee must know: they are recorded in the history, raise
# the calendar SEQUENCE, and are announced as `events.event.changed.v1`.
TIME_FIELDS = ("starts_at", "ends_at")
PLACE_FIELDS = ("venue_name", "venue_address")
# Who the event is for. A change after publishing keeps every registration (nobody loses a place they
# were given), is kept in the history, and each person concerned is told.
AUDIENCE_FIELDS = ("audience", "audience_group_ids")


class InvalidLink(RuleError):
    """A personal link that is malformed, forged, or meant for something else."""


class ExpiredLink(RuleError):
    """A genuine personal link whose time is over (a state, like a used link: 409, not 400)."""


@dataclass(frozen=True)
class Viewer:
    """Who reads the staff side's events. Those who manage events see every one; a representative
    what the rule in the database says (migration 0012, events_representative_sees): no drafts,
    public events, and their own organisation's that are not for staff only. The same rule makes the
    organisation's private feed."""

    everything: bool
    organisation_id: uuid.UUID | None = None


def filled_honeypot(website: str) -> bool:
    """The public form's hidden field: people never see it, robots fill it in."""
    return bool(website.strip())


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise RuleError("Ange tiderna med tidszon, till exempel 2026-05-16T09:00:00+02:00.")
    if ends_at <= starts_at:
        raise RuleError(
            "Evenemanget slutar innan det börjar. Ändra sluttiden så att den är efter starttiden."
        )


def check_window(opens_at: datetime | None, closes_at: datetime | None, ends_at: datetime) -> None:
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise RuleError(
            "Anmälan stänger innan den öppnar. Ändra så att anmälan stänger efter att den öppnar."
        )
    if opens_at is not None and opens_at >= ends_at:
        raise RuleError("Anmälan öppnar först efter att evenemanget är slut. Välj en tidigare öppning.")
    if closes_at is not None and closes_at > ends_at:
        raise RuleError(
            "Anmälan stänger efter att evenemanget är slut. Välj en stängning före eller när det slutar."
        )


def phone_key(phone: str | None) -> str | None:
    """A phone number as one comparable string, however it was typed: digits and a leading +, and a
    Swedish number written from home (07x, 08...) in its international form (+467x, +468...)."""
    if not phone:
        return None
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+46" + digits[1:]
    return digits


def check_capacity(capacity: int | None, holding_places: int) -> None:
    if capacity is not None and capacity < holding_places:
        raise RuleError(
            f"Det finns redan {holding_places} anmälda (med erbjudna platser), fler än {capacity} platser. "
            f"Ange minst {holding_places} platser, eller avboka några anmälningar först."
        )


@dataclass(frozen=True)
class Window:
    """What registration depends on, taken from an event's row."""

    status: str
    registration: str
    starts_at: datetime
    opens_at: datetime | None
    closes_at: datetime | None

    @classmethod
    def of(cls, event: Mapping[str, Any]) -> Window:
        return cls(
            status=event["status"],
            registration=event["registration"],
            starts_at=event["starts_at"],
            opens_at=event["registration_opens_at"],
            closes_at=event["registration_closes_at"],
        )


def check_registration_open(window: Window, now: datetime, zone: tzinfo) -> None:
    """Refuse a registration the event does not take now, saying why."""
    if window.status == "cancelled":
        raise RuleError("Evenemanget är inställt, så det går inte att anmäla sig.")
    if window.status == "draft":
        raise RuleError("Evenemanget är inte publicerat än, så det går inte att anmäla sig.")
    if window.registration == "none":
        raise RuleError(
            "Till det här evenemanget anmäler man sig inte här. Se arrangörens egen sida för mer information."
        )
    if window.opens_at is not None and now < window.opens_at:
        raise RuleError(f"Anmälan har inte öppnat än. Den öppnar {_when(window.opens_at, zone)}.")
    closes = window.closes_at or window.starts_at
    if now >= closes:
        raise RuleError("Anmälan är stängd. Kontakta arrangören om du ändå vill komma.")


def check_walk_in(*, status: str, capacity: int | None, holding_places: int, beyond_capacity: bool) -> None:
    """Refuse a walk-in the event cannot take; a full event takes one only when staff decide so."""
    if status == "cancelled":
        raise RuleError("Evenemanget är inställt, så ingen kan checkas in.")
    if status == "draft":
        raise RuleError("Evenemanget är inte publicerat än. Publicera det först.")
    if capacity is not None and holding_places >= capacity and not beyond_capacity:
        raise RuleError(
            f"Evenemanget är fullt ({holding_places} av {capacity} platser). "
            'Om det finns plats i lokalen: kryssa i "Släpp in ändå" och lägg till personen igen.'
        )


def places_left(capacity: int | None, holding_places: int) -> int | None:
    """None when there is no limit."""
    return None if capacity is None else max(capacity - holding_places, 0)


def offer_hold(*, now: datetime, starts_at: datetime, hours: int) -> timedelta:
    """How long an offer keeps a place: `hours`, but at most a quarter of the time left before the
    event (so that a place nobody takes can still go round), at least an hour, and never past the start."""
    until_start = starts_at - now
    hold = min(timedelta(hours=hours), until_start / 4)
    return min(max(hold, SHORTEST_OFFER), until_start)


def may_offer(*, now: datetime, starts_at: datetime) -> bool:
    """No offer or promotion once the event has started: nobody could act on it."""
    return now < starts_at


def attendee_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The kinds of change that matter to attendees: 'rescheduled' (time), 'moved' (place)."""
    kinds = []
    if any(before[f] != after[f] for f in TIME_FIELDS):
        kinds.append("rescheduled")
    if any(before[f] != after[f] for f in PLACE_FIELDS):
        kinds.append("moved")
    return kinds


def audience_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether who the event is for changed (the order of the groups does not matter)."""
    if before["audience"] != after["audience"]:
        return True
    groups = {str(g) for g in before["audience_group_ids"]}
    return after["audience"] == "groups" and groups != {str(g) for g in after["audience_group_ids"]}


def check_editable(status: str) -> None:
    if status == "cancelled":
        raise RuleError(
            "Evenemanget är inställt och kan inte ändras. Kopiera det till ett nytt datum i stället."
        )


def check_publishable(status: str) -> None:
    if status == "cancelled":
        raise RuleError(
            "Evenemanget är inställt och kan inte publiceras igen. Kopiera det till ett nytt datum."
        )
    if status != "draft":
        raise RuleError("Evenemanget är redan publicerat.")


def check_cancellable(status: str) -> None:
    if status == "cancelled":
        raise RuleError("Evenemanget är redan inställt.")


def status_after_change(status: str, kinds: list[str]) -> str:
    """A published event whose time or place changed is shown as 'changed' from then on."""
    return "changed" if status in ("published", "changed") and kinds else status


def copy_times(
    *,
    starts_at: datetime,
    ends_at: datetime,
    opens_at: datetime | None,
    closes_at: datetime | None,
    new_start: datetime,
) -> dict[str, datetime | None]:
    """The times of a copy on a new date: the same length, and the registration window moved with it."""
    shift = new_start - starts_at
    return {
        "starts_at": new_start,
        "ends_at": ends_at + shift,
        "registration_opens_at": opens_at + shift if opens_at else None,
        "registration_closes_at": closes_at + shift if closes_at else None,
    }


def _when(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def due_reminders(
    *, minutes_before: list[int], starts_at: datetime, now: datetime, handled: set[int]
) -> tuple[int | None, list[int]]:
    """Which reminder to send now for the current start time, and every reminder to mark handled.

    Only one goes out at a time: when several are due at once (an event published late, a worker
    that was down), the one closest to the start is sent and the earlier ones are skipped, so nobody
    gets "in two days" and "in two hours" in the same minute. None once the event has started."""
    if now >= starts_at:
        return None, []
    due = sorted(m for m in set(minutes_before) - handled if starts_at - timedelta(minutes=m) <= now)
    return (due[0] if due else None), due
