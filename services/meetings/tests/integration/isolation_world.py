"""The world the organisation-isolation walks read: two organisations sharing a group, seeded
through the meetings API, and what of organisation B must never show to a representative of A.

Both walks seed it: the meetings API's own (test_isolation.py here) and the gateway's, over its
pages and its proxy on the real meetings service (services/gateway/tests/integration/test_isolation.py).
It lives beside the meetings tests because it is meetings data, written through the meetings API;
each walk hands it its own way of sending a request.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

PHONE_B = "070-555 12 34"
PHONE_B2 = "+46 8 123 456 78"

# A request to the meetings API as staff: (method, path, JSON body, expected status) -> JSON answer.
Send = Callable[[str, str, Any, int], Awaitable[Any]]


@dataclass
class World:
    """Two organisations sharing a group; ids to fill every path parameter of the API with."""

    org_a: str
    org_b: str
    emails_b: list[str]
    phones_b: list[str]
    # Someone of organisation B whom no published minutes name.
    unrecorded_name_b: str
    # Someone of organisation B whom the published minutes record (present, owns an action item).
    recorded_name_b: str
    person_a: str
    email_a: str
    ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def secrets_b(self) -> list[str]:
        """What of organisation B no page or answer may show to a representative of A."""
        return [*self.emails_b, *self.phones_b, self.unrecorded_name_b]


async def seed_world(send: Send) -> World:
    async def post(path: str, body: Any, expect: int = 201) -> Any:
        return await send("POST", path, body, expect)

    async def put(path: str, body: Any) -> Any:
        return await send("PUT", path, body, 200)

    tag = uuid.uuid4().hex[:6]
    org_a = await post("/v1/organisations", {"name": f"Alfa {tag}"})
    org_b = await post("/v1/organisations", {"name": f"Beta {tag}"})
    alva = await post(
        "/v1/people",
        {"name": f"Alva Alfa {tag}", "email": f"alva-{tag}@alfa.example", "organisation_id": org_a["id"]},
    )
    bertil = await post(
        "/v1/people",
        {"name": f"Bertil Beta {tag}", "email": f"bertil-{tag}@beta.example", "organisation_id": org_b["id"]},
    )
    berit = await post(
        "/v1/people",
        {
            "name": f"Berit Betasson {tag}",
            "email": f"berit-{tag}@beta.example",
            "organisation_id": org_b["id"],
        },
    )
    group = await post("/v1/groups", {"name": f"Gemensam {tag}", "kind": "joint_development"})
    for person in (alva, bertil, berit):
        await put(f"/v1/groups/{group['id']}/members/{person['id']}", {"role": "member"})

    # Invitees come from the members (all three emails), and one guest of B invited by hand. The
    # second meeting and the series lie ahead, so pages of coming meetings show them too.
    first = await post(
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "starts_at": "2016-02-22T13:30:00+01:00",
            "ends_at": "2016-02-22T15:30:00+01:00",
        },
    )
    guest_email = f"gast-{tag}@beta.example"
    second = await post(
        "/v1/meetings",
        {
            "title": "Gemensam utvecklingsgrupp",
            "group_id": group["id"],
            "starts_at": "2030-03-07T13:30:00+01:00",
            "ends_at": "2030-03-07T15:30:00+01:00",
            "invitees": [
                {"name": alva["name"], "email": alva["email"]},
                {"name": berit["name"], "email": berit["email"]},
                {"name": f"Gäst {tag}", "email": guest_email},
            ],
        },
    )
    series = await post(
        "/v1/series",
        {
            "title": "Arbetsgrupp",
            "group_id": group["id"],
            "recurrence": {"frequency": "weekly", "weekday": 0},
            "start_time": "10:00",
            "duration_minutes": 60,
            "starts_on": "2030-04-01",
            "count": 2,
            "invitees": [{"name": "Extern", "email": f"extern-{tag}@beta.example"}],
        },
    )
    await post(
        f"/v1/meetings/{second['id']}/agenda/items",
        {"title": "Tema", "kind": "theme", "responsible_person_id": berit["id"]},
    )
    for person in (alva, bertil):
        await put(f"/v1/meetings/{first['id']}/attendance/{person['id']}", {"status": "present"})
    await put(f"/v1/meetings/{second['id']}/attendance/{berit['id']}", {"status": "excused"})
    item_b = await post(
        f"/v1/meetings/{first['id']}/action-items", {"text": "Ringa runt", "owner_person_id": bertil["id"]}
    )
    # At the meeting whose minutes stay a draft, so no published minutes name Berit.
    item_b2 = await post(
        f"/v1/meetings/{second['id']}/action-items", {"text": "Boka lokal", "owner_person_id": berit["id"]}
    )
    item_a = await post(
        f"/v1/meetings/{first['id']}/action-items", {"text": "Skriva inbjudan", "owner_person_id": alva["id"]}
    )
    published = await post(
        f"/v1/meetings/{first['id']}/minutes",
        {
            "minute_taker": alva["name"],
            "sections": [{"heading": "Klarspråk", "text": "Vi pratade om klarspråk."}],
        },
    )
    for action in ("submit", "approve", "publish"):
        published = await post(
            f"/v1/minutes/{published['id']}/{action}", {"revision": published["revision"]}, expect=200
        )
    draft = await post(
        f"/v1/meetings/{second['id']}/minutes",
        {
            "sections": [
                {"heading": "Kontakt", "text": f"{berit['name']} nås på {PHONE_B} och {berit['email']}."}
            ]
        },
    )
    imported = await post(
        "/v1/imports",
        {"text": f"Minnesanteckningar 2016-05-02\n\nÖvrigt\nFrågor till Beta på {PHONE_B2}.\n", "year": 2016},
    )
    return World(
        org_a=org_a["id"],
        org_b=org_b["id"],
        emails_b=[bertil["email"], berit["email"], guest_email, f"extern-{tag}@beta.example"],
        phones_b=[PHONE_B, PHONE_B2],
        unrecorded_name_b=berit["name"],
        recorded_name_b=bertil["name"],
        person_a=alva["id"],
        email_a=alva["email"],
        ids={
            "organisation_id": [org_a["id"], org_b["id"]],
            "person_id": [alva["id"], bertil["id"], berit["id"]],
            "group_id": [group["id"]],
            "meeting_id": [first["id"], second["id"], series["meetings"][0]["id"]],
            "series_id": [series["id"]],
            "minutes_id": [published["id"], draft["id"]],
            "action_item_id": [item_a["id"], item_b["id"], item_b2["id"]],
            "import_id": [imported["id"]],
            # The dead-letter admin routes: administrators only, refused by role, so no letter is needed.
            "letter_id": [str(uuid.uuid4())],
        },
    )
