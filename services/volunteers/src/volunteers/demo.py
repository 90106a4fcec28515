"""The demo pools and volunteers (issue 10's five pools from the seed minutes), as bodies for the API.
The devstack's demo step loads them (deploy/devstack/src/devstack/demo.py, `seed_volunteers`):
pools first, then each volunteer with their trainings, certificates and consent, then one open
request so the ranking with its reasons shows. The people are made up; example.se delivers nowhere."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from volunteers.model import OFFERS_PURPOSE

RECORD_CHECK = {
    "key": "belastningsregister",
    "kind": "certificate",
    "label": "Utdrag ur belastningsregistret",
    "expires": True,
}
CONFIDENTIALITY = {"key": "tystnadsplikt", "kind": "agreement", "label": "Avtal om tystnadsplikt"}

POOLS: list[dict[str, Any]] = [
    {
        "key": "rekryteringspanel",
        "name": "Rekryteringspanel",
        "description": "Personer med egen erfarenhet som sitter med vid anställningsintervjuer "
        "när socialförvaltningen anställer personal.",
        "coordinator_name": "Johanna Callegari",
        "monthly_cap": 3,
        "paid": True,
        "requirements": [
            {"key": "intervjuteknik", "kind": "training", "label": "Utbildning i intervjuteknik"},
            CONFIDENTIALITY,
        ],
    },
    {
        "key": "personliga-ombud",
        "name": "Personliga ombud",
        "description": "Stöttar en person i kontakten med myndigheter.",
        "coordinator_name": "Leif Redestig",
        "monthly_cap": 4,
        "requirements": [
            {"key": "ombudsutbildning", "kind": "training", "label": "Grundutbildning för ombud"},
            CONFIDENTIALITY,
            RECORD_CHECK,
        ],
    },
    {
        "key": "digitala-instruktorer",
        "name": "Digitala instruktörer",
        "description": "Användare som lär andra användare, till exempel att betala räkningar på nätet "
        "eller använda skolans plattform, på boenden som Kronan och på mötesplatser.",
        "coordinator_name": "Kenneth Tell",
        "monthly_cap": 6,
        "requirements": [
            {"key": "instruktorsutbildning", "kind": "training", "label": "Instruktörsutbildning"}
        ],
    },
    {
        "key": "klarsprak",
        "name": "Klarspråksgranskare",
        "description": "Granskar förvaltningens texter (webb, broschyrer, brevmallar) hemifrån, några timmar "
        "i månaden, mot timarvode. Behöver dator och internet, läser svenska och gör sig förstådd. "
        "Gruppen är ungefär sju personer och ses en gång i månaden.",
        "coordinator_name": "David Bergström",
        "monthly_cap": 4,
        "paid": True,
        "requirements": [{"key": "klarsprak-intro", "kind": "training", "label": "Introduktion i klarspråk"}],
    },
    {
        "key": "brukarmentorer",
        "name": "Brukarmentorer",
        "description": "Mentorer med egen erfarenhet som följer en person under en tid.",
        "coordinator_name": "Allan Hedman",
        "monthly_cap": 4,
        "requirements": [
            {"key": "mentorsutbildning", "kind": "training", "label": "Mentorsutbildning"},
            CONFIDENTIALITY,
            RECORD_CHECK,
        ],
    },
]

# (name, email, phone, languages, areas, client units, pools, weekly [(weekday, from, to)], months)
# months: how long their record check still holds from the demo day (negative: it has expired).
Person = tuple[
    str, str | None, str | None, list[str], list[str], list[str], list[str], list[tuple[int, int, int]], int
]
PEOPLE: list[Person] = [
    ("Amina Yusuf", "amina.yusuf@example.se", None, ["sv", "so"], ["kronan", "centrum"], [],
     ["rekryteringspanel", "digitala-instruktorer"], [(1, 9, 16), (3, 9, 16)], 12),
    ("Bengt Åberg", "bengt.aberg@example.se", "070-111 22 33", ["sv"], ["centrum"], ["Kronans boende"],
     ["rekryteringspanel", "personliga-ombud"], [], 8),
    ("Carmen López", "carmen.lopez@example.se", None, ["sv", "es", "en"], [], [],
     ["personliga-ombud", "brukarmentorer"], [(2, 10, 18), (4, 10, 18)], 1),
    ("Dragan Petrović", None, "073-444 55 66", ["sv", "sr"], ["kronan"], [],
     ["digitala-instruktorer"], [(5, 13, 17)], 12),
    ("Elin Nordström", "elin.nordstrom@example.se", None, ["sv", "en"], [], [],
     ["klarsprak"], [], 12),
    ("Farid Karimi", "farid.karimi@example.se", None, ["sv", "fa"], ["centrum", "norr"], [],
     ["klarsprak", "brukarmentorer"], [(1, 17, 21)], -1),
    ("Greta Lind", "greta.lind@example.se", None, ["sv"], [], [],
     ["klarsprak", "rekryteringspanel"], [], 12),
    ("Hassan Ali", "hassan.ali@example.se", None, ["sv", "ar"], ["kronan"], ["Kronans boende"],
     ["digitala-instruktorer", "brukarmentorer"], [(2, 9, 12), (6, 10, 14)], 6),
]  # fmt: skip


def _at(day: date, hour: int, zone: ZoneInfo) -> str:
    return datetime.combine(day, time(hour), tzinfo=zone).isoformat()


def demo_pools() -> list[dict[str, Any]]:
    """Bodies for `POST /v1/pools`."""
    return [dict(p) for p in POOLS]


def demo_volunteers(pool_ids: dict[str, str]) -> list[dict[str, Any]]:
    """Bodies for `POST /v1/volunteers`; `pool_ids` maps pool keys to ids."""
    bodies = []
    for name, email, phone, languages, areas, units, pools, _weekly, _months in PEOPLE:
        bodies.append(
            {
                "name": name,
                "email": email,
                "phone": phone,
                "preferred_channel": "email" if email else "sms",
                "languages": languages,
                "areas": areas,
                "client_units": units,
                "pools": [{"pool_id": pool_ids[k], "status": "active"} for k in pools if k in pool_ids],
            }
        )
    return bodies


def demo_profile(name: str, today: date) -> dict[str, Any]:
    """What follows a volunteer's creation: their weekly pattern, their trainings and certificates
    (every requirement of their pools, the record check until the months in PEOPLE say), consent."""
    _n, _e, _p, _l, _a, _u, pools, weekly, months = next(p for p in PEOPLE if p[0] == name)
    requirements = {r["key"]: r for pool in POOLS if pool["key"] in pools for r in pool["requirements"]}
    expires = today + timedelta(days=30 * months)
    return {
        "weekly": {
            "slots": [{"weekday": d, "starts": f"{a:02d}:00", "ends": f"{b:02d}:00"} for d, a, b in weekly]
        },
        "qualifications": [
            {
                "key": key,
                "kind": r["kind"],
                "completed_on": (today - timedelta(days=400)).isoformat(),
                "expires_on": expires.isoformat() if r.get("expires") else None,
            }
            for key, r in requirements.items()
        ],
        "consent": {"purpose": OFFERS_PURPOSE, "text_version": "2026-1", "given_how": "paper"},
    }


def demo_request(today: date, zone: ZoneInfo, pool_ids: dict[str, str]) -> dict[str, Any]:
    """An interview next week that needs two from the recruitment panel, not offered yet (so the
    ranking and its reasons show before anyone is asked)."""
    day = today + timedelta(days=7 - today.weekday())  # next Monday
    return {
        "pool_id": pool_ids["rekryteringspanel"],
        "seats": 2,
        "starts_at": _at(day, 10, zone),
        "ends_at": _at(day, 12, zone),
        "place": "Stadshuset, rum 4",
        "needs": "Anställningsintervju, enhetschef för Kronans boende",
        "unit": "Kronans boende",
        "offer_now": False,
    }
