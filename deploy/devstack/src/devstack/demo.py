"""Demo data, loaded through the services' public APIs so the bus and the mailbox carry real traffic.

Based on the joint development group's minutes kept in the meetings package (demo/minutes): the
organisations and people in them, the groups, a monthly series at Bryggan, the three old minutes
imported, reviewed and published, and a few open action items. Safe to run again: what exists is
looked up by name and left alone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx

from backbone.settings import ServiceSettings


class Stack(Protocol):
    """Where the services answer and how to call them as the system: devstack's Stack, or the demo
    one-shot of docker-compose.yml (devstack.compose_demo), which has no more of the devstack."""

    def url(self, service: str) -> str: ...

    def system_headers(self, service: str) -> dict[str, str]: ...

# The services' default zone (ServiceSettings.timezone), which the devstack leaves as it is: the
# demo's meetings are at 13:30 on that clock.
ZONE = ZoneInfo(ServiceSettings.model_fields["timezone"].default)
JOINT_GROUP = "Gemensam utvecklingsgrupp"

ORGANISATIONS = [
    ("socialförvaltningen", "municipal"),
    ("arbetsmarknadsförvaltningen", "municipal"),
    ("Bryggan", "user_organisation"),
    ("Ria", "user_organisation"),
    ("G7", "user_organisation"),
    ("Vorta Drom", "user_organisation"),
    ("IFS", "user_organisation"),
    ("brukarmentor", "other"),
]

# People from the seed minutes; the addresses are made up (example.se never delivers anywhere).
# (name, email or None, organisation)
PEOPLE = [
    ("Leif Redestig", "leif.redestig@example.se", "socialförvaltningen"),
    ("Johanna Callegari", "johanna.callegari@example.se", "socialförvaltningen"),
    ("David Bergström", "david.bergstrom@example.se", "socialförvaltningen"),
    ("Åke Malmén", None, "socialförvaltningen"),
    ("Gösta Strand", None, "arbetsmarknadsförvaltningen"),
    ("Pierre Sander", "pierre.sander@example.se", "Bryggan"),
    ("Kenneth Tell", "kenneth.tell@example.se", "Bryggan"),
    ("Rebecka Glimsjö", None, "Bryggan"),
    ("Herbert Tinz", None, "Bryggan"),
    ("Ivan Kuzhicov", "ivan.kuzhicov@example.se", "Vorta Drom"),
    ("Bent Nielsen", "bent.nielsen@example.se", "IFS"),
    ("Bo Pettersson", None, "Ria"),
    ("Allan Hedman", None, "brukarmentor"),
    ("Catrin Albrektsson", None, None),
]

# (group, kind, members as (name, represents or None for their own organisation, role))
GROUPS: list[tuple[str, str, list[tuple[str, str | None, str]]]] = [
    (
        JOINT_GROUP,
        "joint_development",
        [
            ("Leif Redestig", None, "chair"),
            ("Johanna Callegari", None, "member"),
            ("David Bergström", None, "minute_taker"),
            ("Pierre Sander", None, "member"),
            ("Kenneth Tell", None, "member"),
            ("Ivan Kuzhicov", None, "member"),
            ("Bent Nielsen", None, "member"),
            ("Gösta Strand", None, "member"),
            ("Bo Pettersson", "G7", "member"),
            ("Catrin Albrektsson", None, "member"),
        ],
    ),
    ("Ledningsgrupp", "management", [("Leif Redestig", None, "chair"), ("Pierre Sander", None, "member")]),
    ("Klarspråk", "working_group", [("David Bergström", None, "chair"), ("Rebecka Glimsjö", None, "member")]),
    ("IT-gruppen", "working_group", [("Kenneth Tell", None, "member")]),
    (
        "Fritidsbank",
        "working_group",
        [("Leif Redestig", None, "member"), ("Catrin Albrektsson", None, "member")],
    ),
    (
        "Mentorsprojektet",
        "working_group",
        [("Johanna Callegari", None, "chair"), ("Allan Hedman", None, "member")],
    ),
]

MINUTES_DIR = (
    Path(__file__).resolve().parents[4] / "services" / "meetings" / "src" / "meetings" / "demo" / "minutes"
)


def _minutes_texts() -> list[tuple[str, str]]:
    try:
        import meetings

        folder = Path(meetings.__file__).parent / "demo" / "minutes"
    except ImportError:  # the devstack without the meetings package next to it
        folder = MINUTES_DIR
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.txt"))]


class _Api:
    def __init__(self, client: httpx.Client, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def call(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.client.request(method, url, headers=self.headers, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(
                f"Demo data: {method} {url} failed with {response.status_code}: {response.text}"
            )
        return response.json() if response.content else None

    def find(self, url: str, wanted: str, **params: Any) -> dict[str, Any] | None:
        page = self.call("GET", url, params={"limit": 200, **params})
        return next((i for i in page["items"] if i["name"].lower() == wanted.lower()), None)


def seed(stack: Stack, today: date | None = None) -> list[str]:
    """Load the demo data; returns lines to show the person."""
    today = today or date.today()
    with httpx.Client(base_url=stack.url("meetings"), timeout=60.0) as client:
        # A fresh token per call would be tidier; one short-lived token is enough for a few seconds of work.
        api = _Api(client, stack.system_headers("meetings"))
        return _seed(api, stack, today)


def seed_events(stack: Stack, today: date | None = None) -> list[str]:
    """The events service's demo events (events.demo), published, organised by meetings' organisations
    (seed first); those that exist by title are left alone. Returns lines to show the person."""
    from events.demo import demo_events

    today = today or date.today()
    with httpx.Client(base_url=stack.url("meetings"), timeout=60.0) as client:
        meetings = _Api(client, stack.system_headers("meetings"))
        found = meetings.call("GET", "/v1/organisations", params={"limit": 200})
        organisations = {o["name"]: o["id"] for o in found["items"]}
    with httpx.Client(base_url=stack.url("events"), timeout=60.0) as client:
        api = _Api(client, stack.system_headers("events"))
        existing = {e["title"] for e in api.call("GET", "/v1/events", params={"limit": 200})["items"]}
        made = 0
        for body in demo_events(today, ZONE, organisations):
            if body["title"] in existing:
                continue
            event = api.call("POST", "/v1/events", json=body)
            api.call("POST", f"/v1/events/{event['id']}/publish")
            made += 1
    return [f"Demo data: {made} events published (CurioCity Mashup, the development day, …)."] if made else []



def seed_volunteers(stack: Stack, today: date | None = None) -> list[str]:
    """The volunteers service's demo pools and volunteers (volunteers.demo), and one open request;
    pools that exist by key are left alone (and then nothing else is added)."""
    from volunteers.demo import demo_pools, demo_profile, demo_request, demo_volunteers

    today = today or date.today()
    with httpx.Client(base_url=stack.url("volunteers"), timeout=60.0) as client:
        api = _Api(client, stack.system_headers("volunteers"))
        existing = {p["key"]: p["id"] for p in api.call("GET", "/v1/pools", params={"limit": 200})["items"]}
        if existing:
            return []
        pool_ids = {body["key"]: api.call("POST", "/v1/pools", json=body)["id"] for body in demo_pools()}
        for body in demo_volunteers(pool_ids):
            person = api.call("POST", "/v1/volunteers", json=body)
            profile = demo_profile(body["name"], today)
            api.call("PUT", f"/v1/volunteers/{person['id']}/weekly", json=profile["weekly"])
            for qualification in profile["qualifications"]:
                api.call("POST", f"/v1/volunteers/{person['id']}/qualifications", json=qualification)
            api.call("POST", f"/v1/volunteers/{person['id']}/consents", json=profile["consent"])
        api.call("POST", "/v1/requests", json=demo_request(today, ZONE, pool_ids))
    return [f"Demo data: {len(pool_ids)} volunteer pools with their volunteers and an open request."]

def _seed(api: _Api, stack: Stack, today: date) -> list[str]:
    orgs: dict[str, str] = {}
    for name, kind in ORGANISATIONS:
        found = api.find("/v1/organisations", name, name=name)
        orgs[name] = (found or api.call("POST", "/v1/organisations", json={"name": name, "kind": kind}))["id"]

    people: dict[str, str] = {}
    for name, email, org in PEOPLE:
        found = api.find("/v1/people", name, name=name)
        body = {"name": name, "email": email, "organisation_id": orgs[org] if org else None}
        people[name] = (found or api.call("POST", "/v1/people", json=body))["id"]

    groups: dict[str, str] = {}
    for name, kind, members in GROUPS:
        found = api.find("/v1/groups", name)
        groups[name] = (found or api.call("POST", "/v1/groups", json={"name": name, "kind": kind}))["id"]
        for person, represents, role in members:
            api.call(
                "PUT",
                f"/v1/groups/{groups[name]}/members/{people[person]}",
                json={"role": role, "organisation_id": orgs[represents] if represents else None},
            )
        # Refresh the identity now and then: it lives for a minute.
        api.headers = stack.system_headers("meetings")

    lines: list[str] = [
        f"Demo data: {len(orgs)} organisations, {len(people)} people, {len(groups)} groups with members."
    ]
    lines += _series(api, groups, today)
    api.headers = stack.system_headers("meetings")
    lines += _imports(api, groups, people, today)
    api.headers = stack.system_headers("meetings")
    lines += _recent(api, stack, groups, people, today)
    return lines


def _series(api: _Api, groups: dict[str, str], today: date) -> list[str]:
    if api.call("GET", "/v1/series", params={"group_id": groups[JOINT_GROUP]})["total"]:
        return []
    joint = api.call(
        "POST",
        "/v1/series",
        json={
            "title": JOINT_GROUP,
            "group_id": groups[JOINT_GROUP],
            "place": "Bryggan",
            "recurrence": {"frequency": "monthly", "weekday": 0, "week_of_month": 1},
            "start_time": "13:30",
            "duration_minutes": 120,
            "starts_on": today.isoformat(),
            "count": 3,
        },
    )
    api.call(
        "POST",
        "/v1/series",
        json={
            "title": "Ledningsgrupp",
            "group_id": groups["Ledningsgrupp"],
            "place": "Socialförvaltningen",
            "recurrence": {"frequency": "weekly", "weekday": 0, "interval": 2},
            "start_time": "09:00",
            "duration_minutes": 60,
            "starts_on": today.isoformat(),
            "count": 2,
        },
    )
    upcoming = joint["meetings"][0]
    agenda = f"/v1/meetings/{upcoming['id']}/agenda/items"
    for item in (
        {
            "title": "Utvecklingsdagen: hur gick det?",
            "kind": "theme",
            "duration_minutes": 30,
            "guests": ["Per Skålén"],
        },
        {
            "title": "Rapport från Klarspråk",
            "kind": "working_group_report",
            "duration_minutes": 10,
            "responsible_group_id": groups["Klarspråk"],
        },
        {
            "title": "Rapport från IT-gruppen",
            "kind": "working_group_report",
            "duration_minutes": 10,
            "responsible_group_id": groups["IT-gruppen"],
        },
        {
            "title": "Fritidsbanken: beslut om nästa steg",
            "kind": "decision",
            "duration_minutes": 20,
            "responsible_group_id": groups["Fritidsbank"],
        },
        {"title": "Övrigt", "kind": "other", "duration_minutes": 10},
    ):
        api.call("POST", agenda, json=item)
    day = datetime.fromisoformat(upcoming["starts_at"]).astimezone(ZONE).date()
    return [
        f"Demo data: series {JOINT_GROUP} at Bryggan, first Monday of the month at 13:30"
        f" (next {day.isoformat()}, with an agenda); Ledningsgrupp every other Monday.",
    ]


def _imports(api: _Api, groups: dict[str, str], people: dict[str, str], today: date) -> list[str]:
    if api.call("GET", "/v1/imports")["total"]:
        return []
    published = 0
    last_meeting: str | None = None
    for name, text in _minutes_texts():
        imported = api.call(
            "POST", "/v1/imports", json={"text": text, "source_name": name, "group_id": groups[JOINT_GROUP]}
        )
        parsed = imported["parsed"]
        if not parsed.get("date"):
            continue  # left for a person to review in the UI
        review = {
            "version": imported["version"],
            "title": parsed.get("title"),
            "date": parsed["date"],
            "group_id": groups[JOINT_GROUP],
            "minute_taker": parsed.get("minute_taker"),
            "attendees": [_attendee(a) for a in parsed.get("attendees", [])],
            "absent": [_attendee(a, "excused") for a in parsed.get("absent", [])],
            "sections": [
                {"heading": s.get("heading"), "text": s.get("text") or ""} for s in parsed["sections"]
            ],
            "decisions": [
                {"text": d["text"], "section": d.get("section")} for d in parsed.get("decisions", [])
            ],
            "action_items": [
                {"text": a["text"], "owner": a.get("owner")} for a in parsed.get("action_items", [])
            ],
        }
        saved = api.call("PUT", f"/v1/imports/{imported['id']}", json=review)
        minutes = api.call("GET", f"/v1/minutes/{saved['minutes_id']}")
        for action in ("submit", "approve", "publish"):
            minutes = api.call(
                "POST", f"/v1/minutes/{minutes['id']}/{action}", json={"revision": minutes["revision"]}
            )
        published += 1
        last_meeting = saved["meeting_id"]

    if last_meeting is not None:
        for text, owner, days in (
            ("Skicka programmet för utvecklingsdagen till alla grupper", "David Bergström", 2),
            ("Boka lokal för Fritidsbankens nästa möte", "Leif Redestig", 10),
            ("Sammanställ en kort text om IT-gruppens arbete", "Kenneth Tell", -3),
        ):
            api.call(
                "POST",
                f"/v1/meetings/{last_meeting}/action-items",
                json={
                    "text": text,
                    "owner_person_id": people[owner],
                    "due_date": (today + timedelta(days=days)).isoformat(),
                },
            )
    open_items = api.call("GET", "/v1/action-items", params={"status": "open"})["total"]
    return [
        f"Demo data: {published} old minutes imported, reviewed and published;"
        f" {open_items} open action items."
    ]


def _attendee(a: dict[str, Any], status: str = "present") -> dict[str, Any]:
    return {"name": a["name"], "organisation": a.get("organisation"), "status": status}


# The last few months of the group's work, so that every page a newcomer opens (the start page, the
# attendance chart of the last year, decisions, action items) shows something real on a first run.
# (months back, who came, who sent apologies, guests, decisions, promises as (text, owner, days from today))
RECENT: list[
    tuple[int, list[str], list[str], list[tuple[str, str]], list[str], list[tuple[str, str, int]]]
] = [
    (
        3,
        [
            "Leif Redestig",
            "Johanna Callegari",
            "David Bergström",
            "Pierre Sander",
            "Kenneth Tell",
            "Ivan Kuzhicov",
            "Bo Pettersson",
        ],
        ["Bent Nielsen"],
        [("Per Skålén", "Karlstads universitet")],
        ["Gruppen ställer sig bakom planen för utvecklingsdagen i maj."],
        [("Ta fram en kort folder om Klarspråk till utvecklingsdagen", "David Bergström", 20)],
    ),
    (
        2,
        [
            "Leif Redestig",
            "David Bergström",
            "Pierre Sander",
            "Bent Nielsen",
            "Gösta Strand",
            "Catrin Albrektsson",
        ],
        ["Johanna Callegari", "Kenneth Tell"],
        [],
        ["Fritidsbanken får prova utlåning på Bryggan under en månad."],
        [("Kolla upp om IT-gruppen kan låna datorer till Kronan", "Kenneth Tell", 5)],
    ),
    (
        1,
        [
            "Leif Redestig",
            "Johanna Callegari",
            "David Bergström",
            "Pierre Sander",
            "Kenneth Tell",
            "Ivan Kuzhicov",
            "Bent Nielsen",
            "Bo Pettersson",
            "Catrin Albrektsson",
        ],
        ["Gösta Strand"],
        [("Allan Hedman", "brukarmentor")],
        [
            "Hälsodagen på Gröningen hålls i juni tillsammans med stadsbyggnadskontoret.",
            "Mentorsprojektet presenteras på nästa möte.",
        ],
        [
            ("Boka grillplats och utegym för hälsodagen", "Pierre Sander", 14),
            ("Skriv inbjudan till hälsodagen på lätt svenska", "Johanna Callegari", -2),
        ],
    ),
]


def _first_monday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(0 - day.weekday()) % 7)


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - months
    return _first_monday(index // 12, index % 12 + 1)


def _recent(
    api: _Api, stack: Stack, groups: dict[str, str], people: dict[str, str], today: date
) -> list[str]:
    """Meetings of the last months with a roll call, published minutes, decisions and action items."""
    group = groups[JOINT_GROUP]
    since = datetime.combine(_months_back(today, 4), time(0, 0), ZONE)
    existing = api.call(
        "GET", "/v1/meetings", params={"group_id": group, "from": since.isoformat(), "limit": 50}
    )
    if any(
        datetime.fromisoformat(m["starts_at"]) < datetime.combine(today, time(0, 0), ZONE)
        for m in existing["items"]
    ):
        return []
    held = 0
    for months, present, excused, guests, decisions, promises in RECENT:
        day = _months_back(today, months)
        meeting = api.call(
            "POST",
            "/v1/meetings",
            json={
                "title": JOINT_GROUP,
                "group_id": group,
                "place": "Bryggan",
                "starts_at": datetime.combine(day, time(13, 30), ZONE).isoformat(),
                "ends_at": datetime.combine(day, time(15, 30), ZONE).isoformat(),
            },
        )
        url = f"/v1/meetings/{meeting['id']}"
        roll = {r["name"]: r["key"] for r in api.call("GET", f"{url}/roll-call")["entries"]}
        marks = [{"key": roll[n], "status": "present"} for n in present if n in roll]
        marks += [{"key": roll[n], "status": "excused"} for n in excused if n in roll]
        api.call(
            "PUT",
            f"{url}/attendance",
            json={"entries": marks, "guests": [{"name": n, "organisation_name": o} for n, o in guests]},
        )
        minutes = api.call(
            "POST",
            f"{url}/minutes",
            json={
                "title": f"{JOINT_GROUP} {day.isoformat()}",
                "minute_taker": "David Bergström",
                "sections": [
                    {
                        "heading": "Rapporter från arbetsgrupperna",
                        "text": "Klarspråk och IT-gruppen berättade.",
                    },
                    {"heading": "Beslut", "text": " ".join(decisions)},
                ],
                "decisions": [{"text": d, "section": "Beslut"} for d in decisions],
            },
        )
        for action in ("submit", "approve", "publish"):
            minutes = api.call(
                "POST", f"/v1/minutes/{minutes['id']}/{action}", json={"revision": minutes["revision"]}
            )
        for text, owner, days in promises:
            api.call(
                "POST",
                f"{url}/action-items",
                json={
                    "text": text,
                    "owner_person_id": people[owner],
                    "due_date": (today + timedelta(days=days)).isoformat(),
                },
            )
        api.headers = stack.system_headers("meetings")  # the identity lives a minute
        held += 1
    return [f"Demo data: {held} recent meetings with a roll call, published minutes and action items."]
