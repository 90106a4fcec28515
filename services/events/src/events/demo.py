"""The demo events: the joint development group's real events from its minutes (issue 9), on their
next dates from a given day, as bodies for `POST /v1/events`. The devstack's demo step loads them
through the API and publishes them (deploy/devstack/src/devstack/demo.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

DEVELOPMENT_DAY_PROGRAMME = """Program (cirkatider):
09.00 Inledning av de arrangerande parterna: varför vi ses och vad vi hoppas på.
09.20 Vad gör vi? Varje utvecklingsgrupp berättar kort om sitt arbete, cirka sju minuter var
(ungefär åtta grupper på en timme).
10.30 Fördjupning: Mentorsprojektet (30 minuter).
11.00 Fördjupning: Bättre hälsa för unga romer (30 minuter).
11.30 Alla grupper finns på plats i lokalerna. Kom och prata med dem och få ett kort informationsblad."""


def next_date(today: date, month: int, day: int) -> date:
    """The day's next occurrence on or after `today`: demo events are always ahead."""
    this_year = date(today.year, month, day)
    return this_year if this_year >= today else date(today.year + 1, month, day)


def _at(day: date, hour: int, minute: int, zone: ZoneInfo) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).isoformat()


def demo_events(today: date, zone: ZoneInfo, organisations: Mapping[str, str]) -> list[dict[str, Any]]:
    """The six demo events. `organisations` maps names to meetings' organisation ids (missing: left out)."""

    def orgs(*names: str) -> list[str]:
        return [organisations[n] for n in names if n in organisations]

    mashup = next_date(today, 6, 1)
    development = next_date(today, 5, 16)
    lecture = next_date(today, 5, 3)
    dialogue = next_date(today, 4, 13)
    health = next_date(today, 5, 28)
    return [
        {
            "title": "CurioCity Mashup",
            "kind": "conference",
            "description_sv": "Stadens evenemang om innovation i offentlig verksamhet. Den gemensamma "
            "utvecklingsgruppen visar sina projekt under en halv dag.",
            "description_en": "The city's event on innovation in public services. The joint development "
            "group presents its projects for half a day.",
            "venue_name": "Arenan",
            "venue_address": "Arenagatan 1, Lund",
            "accessibility_notes": "Hiss och handikapptoalett finns. Hörslinga i stora salen.",
            "starts_at": _at(mashup, 9, 0, zone),
            "ends_at": _at(mashup + timedelta(days=1), 16, 0, zone),
            "organiser_ids": orgs("socialförvaltningen"),
        },
        {
            "title": "Hälsodag och vårfest på Gröningen",
            "kind": "party",
            "description_sv": "Prova utegymmet tillsammans med stadsbyggnadskontoret, aktiviteter för alla "
            "och grillning. Vi ordnar dagen tillsammans med flera organisationer.",
            "venue_name": "Gröningen",
            "venue_address": "Gröningen, Lund",
            "accessibility_notes": "Utomhus på gräs och grusgångar. Ta med kläder efter väder.",
            "starts_at": _at(health, 12, 0, zone),
            "ends_at": _at(health, 16, 0, zone),
            "organiser_ids": orgs("Bryggan", "Ria", "socialförvaltningen"),
            "capacity": 80,
            "asks_food": True,
        },
        {
            "title": "Utvecklingsdag",
            "kind": "workshop",
            "description_sv": "Alla utvecklingsgrupper visar vad de gör. Varje grupp förbereder sitt eget "
            "inslag och ett kort informationsblad.\n\n" + DEVELOPMENT_DAY_PROGRAMME,
            "venue_name": "Stadshallen",
            "venue_address": "Stortorget 7, Lund",
            "starts_at": _at(development, 9, 0, zone),
            "ends_at": _at(development, 15, 0, zone),
            "organiser_ids": orgs("socialförvaltningen", "Bryggan"),
            "capacity": 60,
            "registration_closes_at": _at(development - timedelta(days=2), 12, 0, zone),
            "asks_accessibility": True,
            "asks_food": True,
        },
        {
            "title": "Föreläsning med professor Per Skålén",
            "kind": "lecture",
            "description_sv": "En timmes föreläsning om tjänsteforskning och vårt gemensamma arbete, av "
            "professor Per Skålén från Centrum för tjänsteforskning (CTF). Alla är välkomna.",
            "venue_name": "Bryggan",
            "venue_address": "Lund",
            "starts_at": _at(lecture, 14, 0, zone),
            "ends_at": _at(lecture, 15, 0, zone),
            "organiser_ids": orgs("socialförvaltningen"),
            "capacity": 40,
            "waitlist_mode": "offer",
        },
        {
            "title": "Var med och påverka! Inbjudan till dialog",
            "kind": "dialogue",
            "description_sv": "Arbetsmarknadsförvaltningen bjuder in brukare till ett samtal om "
            "brukarinflytande.",
            "venue_name": "Yrkeshögskolan",
            "venue_address": "Rönnowsgatan 8",
            "starts_at": _at(dialogue, 12, 30, zone),
            "ends_at": _at(dialogue, 16, 0, zone),
            "organiser_ids": orgs("arbetsmarknadsförvaltningen"),
            "capacity": 30,
            "asks_accessibility": True,
        },
        {
            "title": "Öppet möte om stöd till anhöriga",
            "kind": "open_meeting",
            "description_sv": "En annan förenings öppna möte för anhöriga, som vi tipsar om. Anmälan och "
            "frågor går till föreningen.",
            "venue_address": "Lund",
            "starts_at": _at(lecture, 18, 0, zone),
            "ends_at": _at(lecture, 20, 0, zone),
            "registration": "none",
            "external_url": "https://anhorigstod.example.se/oppet-mote",
        },
    ]
