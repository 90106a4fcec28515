"""Staff pages through the gateway on the real meetings service: what the service holds is what staff see.

The stand-in upstream of the other tests echoes requests; these pages need the service's real answers
(agenda, roll call, minutes, search, and its refusals).
"""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway import roles
from gateway.settings import Settings

from .conftest import LiveServer, MeetingsStaff, csrf_of, signed_in_as


@dataclass
class Seeded:
    meeting: dict[str, Any]
    people: list[dict[str, Any]]
    agenda_title: str
    minutes: dict[str, Any]
    draft_word: str
    earlier: dict[str, Any]
    word: str


@pytest.fixture(scope="module")
def seeded(meetings_staff: MeetingsStaff) -> Seeded:
    """A group of two and their meeting with an agenda item and draft minutes; an earlier meeting of
    theirs with published minutes, which search finds."""
    tag = uuid.uuid4().hex[:6]
    org = meetings_staff.send("POST", "/v1/organisations", {"name": f"Bryggan {tag}"})
    people = [
        meetings_staff.send(
            "POST",
            "/v1/people",
            {
                "name": f"{name} {tag}",
                "email": f"{name.lower()}-{tag}@example.se",
                "organisation_id": org["id"],
            },
        )
        for name in ("Ingrid", "Kerstin")
    ]
    group = meetings_staff.send("POST", "/v1/groups", {"name": f"Grupp {tag}", "kind": "joint_development"})
    for person in people:
        meetings_staff.send(
            "PUT", f"/v1/groups/{group['id']}/members/{person['id']}", {"role": "member"}, expect=200
        )
    meeting = meetings_staff.send(
        "POST",
        "/v1/meetings",
        {
            "title": f"Gemensam utvecklingsgrupp {tag}",
            "group_id": group["id"],
            "starts_at": "2030-03-04T13:30:00+01:00",
            "ends_at": "2030-03-04T15:30:00+01:00",
            "place": "Bryggan",
        },
    )
    agenda_title = f"Klarspråk i kallelser {tag}"
    meetings_staff.send("POST", f"/v1/meetings/{meeting['id']}/agenda/items", {"title": agenda_title})
    draft_word = f"vattenkraft{tag}"
    minutes = meetings_staff.send(
        "POST",
        f"/v1/meetings/{meeting['id']}/minutes",
        {"sections": [{"heading": "Energi", "text": f"Vi talade om {draft_word} och om bidrag."}]},
    )
    earlier = meetings_staff.send(
        "POST",
        "/v1/meetings",
        {
            "title": f"Gemensam utvecklingsgrupp i februari {tag}",
            "group_id": group["id"],
            "starts_at": "2030-02-04T13:30:00+01:00",
            "ends_at": "2030-02-04T15:30:00+01:00",
        },
    )
    word = f"solenergi{tag}"
    published = meetings_staff.send(
        "POST",
        f"/v1/meetings/{earlier['id']}/minutes",
        {"sections": [{"heading": "Energi", "text": f"Vi talade om {word}."}]},
    )
    for action in ("submit", "approve", "publish"):
        published = meetings_staff.send(
            "POST", f"/v1/minutes/{published['id']}/{action}", {"revision": published["revision"]}, expect=200
        )
    return Seeded(meeting, people, agenda_title, minutes, draft_word, earlier, word)


@pytest.fixture(scope="module")
def staff(gateway_on_meetings: LiveServer, real_settings: Settings) -> httpx.Client:
    return signed_in_as(gateway_on_meetings, real_settings, roles.STAFF)


def text_of(page: httpx.Response) -> str:
    return html.unescape(page.text)


def test_the_meeting_page_shows_the_agenda_and_the_roll_call_of_the_group(
    staff: httpx.Client, seeded: Seeded
) -> None:
    page = staff.get(f"/meetings/{seeded.meeting['id']}")
    assert page.status_code == 200, page.text
    text = text_of(page)
    assert seeded.meeting["title"] in text
    assert seeded.agenda_title in text
    for person in seeded.people:
        assert person["name"] in text, f"{person['name']} of the group is missing from the roll call"


def test_a_roll_call_saved_on_the_meeting_page_is_recorded_by_the_service(
    staff: httpx.Client, seeded: Seeded, meetings_staff: MeetingsStaff
) -> None:
    url = f"/meetings/{seeded.meeting['id']}"
    page = staff.get(url)
    keys = sorted(set(re.findall(r'name="(mark:[^"]+)"', page.text)))
    assert len(keys) == 2, keys
    saved = staff.post(
        f"{url}/attendance",
        data={
            keys[0]: "present",
            keys[1]: "excused",
            "guests": "Per Skålén, Karlstads universitet",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert saved.status_code == 303, saved.text
    roll_call = meetings_staff.send("GET", f"/v1/meetings/{seeded.meeting['id']}/roll-call", expect=200)
    statuses = sorted(str(entry.get("status")) for entry in roll_call["entries"])
    assert statuses.count("present") >= 1 and "excused" in statuses, roll_call
    assert "Per Skålén" in text_of(staff.get(url))


def test_the_minutes_page_shows_the_sections_the_service_holds(staff: httpx.Client, seeded: Seeded) -> None:
    page = staff.get(f"/meetings/{seeded.meeting['id']}/minutes")
    assert page.status_code == 200, page.text
    text = text_of(page)
    assert "Energi" in text
    assert f"Vi talade om {seeded.draft_word} och om bidrag." in text


def test_the_search_page_finds_published_minutes_by_a_word_in_them_and_no_drafts(
    staff: httpx.Client, seeded: Seeded
) -> None:
    page = staff.get("/search", params={"q": seeded.word})
    assert page.status_code == 200, page.text
    assert seeded.earlier["id"] in page.text, "no link to the meeting whose minutes hold the word"
    assert f"<mark>{seeded.word}</mark>" in page.text
    draft = staff.get("/search", params={"q": seeded.draft_word})
    assert draft.status_code == 200
    assert seeded.meeting["id"] not in draft.text, "draft minutes are not searchable"


def test_a_refusal_by_the_service_reaches_the_person_with_the_services_reason(
    staff: httpx.Client, seeded: Seeded, meetings_staff: MeetingsStaff
) -> None:
    minutes = meetings_staff.send("GET", f"/v1/minutes/{seeded.minutes['id']}", expect=200)
    url = f"/meetings/{seeded.meeting['id']}/minutes"
    page = staff.get(url)
    # Publishing a draft skips the approval: the service refuses with 409 and says why.
    refused = staff.post(
        f"{url}/step",
        data={
            "minutes_id": minutes["id"],
            "revision": str(minutes["revision"]),
            "step": "publish",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert refused.status_code == 400, refused.text
    direct = meetings_staff.http.post(
        f"/v1/minutes/{minutes['id']}/publish",
        json={"revision": minutes["revision"]},
        headers=meetings_staff.headers(),
    )
    assert direct.status_code == 409
    reason = direct.json()["detail"]
    assert reason in text_of(refused), f"the page does not say the service's reason {reason!r}"
    assert meetings_staff.send("GET", f"/v1/minutes/{minutes['id']}", expect=200)["status"] == "draft"


def test_an_agenda_item_too_long_for_the_service_is_refused_beside_its_field_with_the_services_reason(
    staff: httpx.Client, seeded: Seeded
) -> None:
    url = f"/meetings/{seeded.meeting['id']}"
    page = staff.get(url)
    refused = staff.post(
        f"{url}/agenda",
        data={"title": "Lång punkt", "kind": "other", "duration": "601", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 400, refused.text
    text = text_of(refused)
    # The length rule is the service's: the page says in Swedish what to correct, and the service's why.
    assert "Skriv hur många minuter punkten tar, till exempel 20. Skälet:" in text
    assert "600" in text, "the service's reason does not reach the page"
    assert 'id="error-agenda_duration"' in refused.text


def test_a_meeting_that_ends_before_it_starts_is_refused_with_the_services_reason(
    staff: httpx.Client, seeded: Seeded
) -> None:
    page = staff.get("/meetings/new")
    refused = staff.post(
        "/meetings",
        data={
            "title": "Baklänges",
            "day": "2030-05-06",
            "starts": "15:00",
            "ends": "13:00",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert refused.status_code == 400, refused.text
    text = text_of(refused)
    assert "Kontrollera när mötet börjar och slutar. Skälet:" in text
    assert "must end after it starts" in text, "the service's reason does not reach the page"
