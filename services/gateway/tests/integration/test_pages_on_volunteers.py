"""The volunteers pages through the gateway on the real volunteers service: pools and people with what
expires soon, requests with ranked and excluded candidates and their reasons, offers answered from a
signed link with no account, hours and the fee report, plain-language reviews, rights requests."""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from backbone.identity import Identity, KeyFiles, bearer_headers
from gateway import accounts, i18n
from gateway.app import create_app
from gateway.pages import volunteers_requests
from gateway.settings import Settings
from volunteers.app import create_app as create_volunteers_app
from volunteers.settings import MIGRATIONS_DIR as VOLUNTEERS_MIGRATIONS_DIR
from volunteers.settings import Settings as VolunteersSettings

from .conftest import (
    PASSWORD,
    LiveServer,
    ServiceStaff,
    browser,
    csrf_of,
    run,
    settings_in_front_of,
    sign_in,
    signed_in_as,
)


@pytest.fixture(scope="module")
def volunteers_database(lasting_database: Callable[..., str]) -> str:
    return lasting_database("volunteers", VOLUNTEERS_MIGRATIONS_DIR)


@pytest.fixture(scope="module")
def volunteers_app(volunteers_database: str, nats_server: Any, identity_keys: KeyFiles) -> FastAPI:
    """The real volunteers app on a database of its own, holding the gateway's public key."""
    settings = VolunteersSettings(
        database_url=volunteers_database,
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        environment="test",
        relay_poll_seconds=0.2,
        offer_check_seconds=3600,
    )
    return create_volunteers_app(settings)


@pytest.fixture(scope="module")
def volunteers_service(volunteers_app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(volunteers_app) as server:
        yield server


@pytest.fixture(scope="module")
def volunteers_settings(
    lasting_database: Callable[..., str],
    nats_server: Any,
    volunteers_service: LiveServer,
    identity_keys: KeyFiles,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return settings_in_front_of(
        lasting_database, nats_server, identity_keys, tmp_path_factory, volunteers_url=volunteers_service.url
    )


@pytest.fixture(scope="module")
def gateway_on_volunteers(volunteers_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(volunteers_settings)) as server:
        yield server


class VolunteersAdmin(ServiceStaff):
    """Seeds the volunteers service as an administrator (every pool), reads its outbox for the links."""

    def __init__(self, service: LiveServer, keys: KeyFiles, dsn: str) -> None:
        super().__init__(service, keys, "volunteers")
        self.dsn = dsn

    def headers(self) -> dict[str, str]:
        who = Identity(subject="seed-admin", roles=("administrator",), name="Seed")
        return bearer_headers(who, key=self.key, audience=self.audience)

    def outbox(self, subject: str) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            conn = await asyncpg.connect(self.dsn)
            try:
                rows = await conn.fetch(
                    "SELECT envelope::text AS e FROM outbox WHERE subject = $1 ORDER BY id", subject
                )
            finally:
                await conn.close()
            return [json.loads(r["e"])["data"] for r in rows]

        return run(read())

    def sql(self, query: str, *args: Any) -> None:
        async def execute() -> None:
            conn = await asyncpg.connect(self.dsn)
            try:
                await conn.execute(query, *args)
            finally:
                await conn.close()

        run(execute())


@pytest.fixture(scope="module")
def admin(
    volunteers_service: LiveServer, identity_keys: KeyFiles, volunteers_database: str
) -> Iterator[VolunteersAdmin]:
    staff = VolunteersAdmin(volunteers_service, identity_keys, volunteers_database)
    yield staff
    staff.http.close()


def _pool(admin: VolunteersAdmin, **fields: Any) -> dict[str, Any]:
    body = {
        "key": f"pool-{uuid.uuid4().hex[:8]}",
        "name": f"Rekryteringspanel {uuid.uuid4().hex[:4]}",
        "coordinator_name": "Kim Samordnare",
        "requirements": [
            {
                "key": "belastningsregister",
                "kind": "certificate",
                "label": "Utdrag ur belastningsregistret",
                "expires": True,
            },
            {"key": "intervjuteknik", "kind": "training", "label": "Intervjuteknik"},
        ],
        **fields,
    }
    return admin.send("POST", "/v1/pools", body)


def _volunteer(
    admin: VolunteersAdmin, pool: dict[str, Any], *, name: str, until: date, consent: bool = True
) -> dict[str, Any]:
    person = admin.send(
        "POST",
        "/v1/volunteers",
        {
            "name": name,
            "email": f"v-{uuid.uuid4().hex[:8]}@example.se",
            "pools": [{"pool_id": pool["id"], "status": "active"}],
        },
    )
    for requirement in pool["requirements"]:
        admin.send(
            "POST",
            f"/v1/volunteers/{person['id']}/qualifications",
            {
                "key": requirement["key"],
                "kind": requirement["kind"],
                "completed_on": "2025-01-01",
                "expires_on": until.isoformat() if requirement["expires"] else None,
            },
        )
    if consent:
        admin.send(
            "POST",
            f"/v1/volunteers/{person['id']}/consents",
            {"purpose": "erbjudanden", "text_version": "2026-1", "given_how": "form"},
        )
    return person


def _text(page: httpx.Response) -> str:
    return html.unescape(page.text)


def _administrator(gateway: LiveServer, settings: Settings) -> httpx.Client:
    return signed_in_as(gateway, settings, "administrator")


def test_pools_people_and_what_expires_soon(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    soon = _volunteer(
        admin, pool, name=f"Sara Snart {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=10)
    )
    later = _volunteer(
        admin, pool, name=f"Leo Senare {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=300)
    )
    client = _administrator(gateway_on_volunteers, volunteers_settings)

    pools = _text(client.get("/volunteers"))
    assert pool["name"] in pools and "Utdrag ur belastningsregistret (Intyg, går ut)" in pools
    assert "Frivilliga" in pools  # the menu item
    detail = _text(client.get(f"/volunteers/pools/{pool['id']}"))
    assert "Intervjuteknik" in detail and "Kim Samordnare" in detail

    people = client.get("/volunteers/people", params={"pool_id": pool["id"]})
    assert people.status_code == 200
    rows = {row.split("</td>")[0]: row for row in _text(people).split("<tr>")[1:]}
    [soon_row] = [row for key, row in rows.items() if soon["name"] in key]
    [later_row] = [row for key, row in rows.items() if later["name"] in key]
    assert "Går ut inom 30 dagar" in soon_row
    assert "Går ut inom" not in later_row

    person = _text(client.get(f"/volunteers/people/{soon['id']}"))
    assert "Få erbjudanden om uppdrag" in person and "2026-1" in person and "Går ut snart" in person


def test_a_consent_is_recorded_and_withdrawn(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    person = _volunteer(admin, pool, name="Nora Nej", until=date.today() + timedelta(days=200), consent=False)
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    page = client.get(f"/volunteers/people/{person['id']}")
    assert "hen får inga erbjudanden" in _text(page)

    missing = client.post(
        f"/volunteers/people/{person['id']}/consents",
        data={
            "csrf_token": csrf_of(page.text),
            "purpose": "erbjudanden",
            "text_version": "",
            "given_how": "paper",
        },
    )
    assert missing.status_code == 400 and "Skriv vilken version" in _text(missing)
    saved = client.post(
        f"/volunteers/people/{person['id']}/consents",
        data={
            "csrf_token": csrf_of(page.text),
            "purpose": "erbjudanden",
            "text_version": "2026-2",
            "given_how": "paper",
        },
    )
    assert saved.status_code == 303, saved.text
    shown = client.get(f"/volunteers/people/{person['id']}")
    assert "På papper" in _text(shown) and "hen får inga erbjudanden" not in _text(shown)
    again = client.post(
        f"/volunteers/people/{person['id']}/consents",
        data={
            "csrf_token": csrf_of(page.text),
            "purpose": "erbjudanden",
            "text_version": "2026-3",
            "given_how": "form",
        },
    )
    assert again.status_code == 400  # one standing consent per purpose: the service's reason is shown
    [consent] = admin.send("GET", f"/v1/volunteers/{person['id']}", expect=200)["consents"]
    withdrawn = client.post(
        f"/volunteers/people/{person['id']}/consents/{consent['id']}/withdraw",
        data={"csrf_token": csrf_of(page.text)},
    )
    assert withdrawn.status_code == 303, withdrawn.text
    assert admin.send("GET", f"/v1/volunteers/{person['id']}", expect=200)["consents"][0]["withdrawn_at"]


def _in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def _ask(client: httpx.Client, pool: dict[str, Any], **fields: str) -> httpx.Response:
    form = client.get("/volunteers/requests/new", params={"pool_id": pool["id"]})
    assert form.status_code == 200
    data = {
        "csrf_token": csrf_of(form.text),
        "pool_id": pool["id"],
        "seats": "1",
        "day": _in_days(12),
        "starts": "09:00",
        "ends": "11:00",
        "place": "Stadshuset, rum 4",
        "needs": "Intervju för socialsekreterare",
        **fields,
    }
    return client.post("/volunteers/requests", data=data)


def test_a_request_shows_ranked_and_excluded_candidates_and_sends_offers(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    able = _volunteer(
        admin, pool, name=f"Ada Kan {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=300)
    )
    expired = _volunteer(
        admin, pool, name=f"Ebba Utgått {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=5)
    )
    client = _administrator(gateway_on_volunteers, volunteers_settings)

    wrong = _ask(client, pool, day="i morgon")
    assert wrong.status_code == 400 and "Skriv datumet som år-månad-dag" in _text(wrong)
    created = _ask(client, pool, offer_now="")
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"])
    text = _text(page)
    ranked, excluded = text.split("<caption>Kan tillfrågas, i turordning</caption>")[1].split(
        "<caption>Kan inte tillfrågas</caption>"
    )
    assert able["name"] in ranked and expired["name"] not in ranked
    assert expired["name"] in excluded
    # The service's reason, as it wrote it, beside the excluded person.
    request_id = created.headers["location"].rsplit("/", 1)[1]
    reasons = admin.send("GET", f"/v1/requests/{request_id}/candidates", expect=200)["excluded"]
    assert reasons[0]["reasons"][0] in excluded
    assert "Inga erbjudanden är skickade än." in text

    sent = client.post(f"/volunteers/requests/{request_id}/offers", data={"csrf_token": csrf_of(page.text)})
    assert sent.status_code == 303, sent.text
    offers = _text(client.get(f"/volunteers/requests/{request_id}")).split("<caption>Erbjudanden</caption>")[
        1
    ]
    assert able["name"] in offers.split("</table>")[0] and "Väntar på svar" in offers.split("</table>")[0]

    listed = _text(client.get("/volunteers/requests"))
    assert pool["name"] in listed and "0 av 1" in listed


def test_a_long_candidate_list_is_paged_and_the_excluded_are_counted_by_reason(
    gateway_on_volunteers: LiveServer,
    volunteers_settings: Settings,
    admin: VolunteersAdmin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(volunteers_requests, "CANDIDATES_PER_PAGE", 2)
    pool = _pool(admin)
    tag = uuid.uuid4().hex[:4]
    for n in range(3):
        _volunteer(admin, pool, name=f"Kan {n} {tag}", until=date.today() + timedelta(days=300))
    for n in range(3):
        _volunteer(admin, pool, name=f"Utgått {n} {tag}", until=date.today() + timedelta(days=5))
    _volunteer(
        admin, pool, name=f"Utan samtycke {tag}", until=date.today() + timedelta(days=300), consent=False
    )
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    created = _ask(client, pool, offer_now="")
    assert created.status_code == 303, created.text
    where = created.headers["location"]

    first = _text(client.get(where))
    able = {f"Kan {n} {tag}" for n in range(3)}
    assert "Visar 1–2 av 3" in first
    assert "Visar 1–2 av 4" in first  # the excluded: three expired, one without consent
    on_first = {name for name in able if name in first.split("<caption>Kan inte tillfrågas</caption>")[0]}
    assert len(on_first) == 2
    # The next page of the ranked: the one left, in the same order.
    second = _text(client.get(f"{where}?ranked_from=2&excluded_from=0"))
    ranked_second = second.split("<caption>Kan inte tillfrågas</caption>")[0]
    assert "Visar 3–3 av 3" in second
    assert {name for name in able if name in ranked_second} == able - on_first

    # Each reason with its count links to those excluded for it alone.
    answer = admin.send("GET", f"/v1/requests/{where.rsplit('/', 1)[1]}/candidates", expect=200)
    codes = [r["code"] for r in answer["excluded_by_reason"]]
    assert len(codes) == 2
    consent_only = [c for c in codes if "consent" in c]
    assert consent_only, codes
    only = _text(client.get(f"{where}?reason={consent_only[0]}"))
    excluded = only.split("<caption>Kan inte tillfrågas</caption>")[1]
    assert f"Utan samtycke {tag}" in excluded and f"Utgått 0 {tag}" not in excluded
    assert "Visa alla som inte kan tillfrågas" in only
    for odd in ("reason=%3Cscript%3E", "ranked_from=-1", "excluded_from=many"):
        assert 400 <= client.get(f"{where}?{odd}").status_code < 500, odd


def test_staff_ask_for_volunteers_but_see_no_candidates(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    client = signed_in_as(gateway_on_volunteers, volunteers_settings, "staff")
    created = _ask(client, pool, offer_now="")
    assert created.status_code == 303, created.text
    page = _text(client.get(created.headers["location"]))
    assert pool["name"] in page and "Kandidater" not in page
    assert client.get("/volunteers/people").status_code == 403


def _offer_token(admin: VolunteersAdmin, request_id: str, action: str = "accept") -> str:
    for event in admin.outbox("volunteers.offer.sent.v1"):
        if event["request_id"] == request_id:
            return event[f"{action}_token"]
    raise AssertionError(f"no offer was sent for {request_id}")


def _offered(admin: VolunteersAdmin, name: str) -> tuple[dict[str, Any], str]:
    pool = _pool(admin)
    person = _volunteer(admin, pool, name=name, until=date.today() + timedelta(days=300))
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
    request = admin.send(
        "POST",
        "/v1/requests",
        {
            "pool_id": pool["id"],
            "seats": 1,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": "Kronan, samlingssalen",
            "needs": "Lär ut bank-id",
        },
    )
    return {"pool": pool, "person": person, "request": request}, request["id"]


def test_a_volunteer_accepts_an_offer_from_the_link_once(
    gateway_on_volunteers: LiveServer, admin: VolunteersAdmin
) -> None:
    world, request_id = _offered(admin, f"Vera Ja {uuid.uuid4().hex[:4]}")
    token = _offer_token(admin, request_id)
    visitor = browser(gateway_on_volunteers)

    shown = visitor.get("/volontar/erbjudande/ja", params={"token": token})
    assert shown.status_code == 200, shown.text
    text = _text(shown)
    assert (
        "Ja, jag tar uppdraget" in text
        and "Kronan, samlingssalen" in text
        and world["person"]["name"] in text
    )
    # Following the link (as a mail scanner does) changed nothing.
    visitor.get("/volontar/erbjudande/ja", params={"token": token})
    assert admin.send("GET", f"/v1/requests/{request_id}", expect=200)["taken"] == 0

    accepted = visitor.post(
        "/volontar/erbjudande/ja", data={"csrf_token": csrf_of(shown.text), "token": token}
    )
    assert accepted.status_code == 200, accepted.text
    assert "Du har fått platsen" in _text(accepted)
    assert admin.send("GET", f"/v1/requests/{request_id}", expect=200)["taken"] == 1

    reused = visitor.post("/volontar/erbjudande/ja", data={"csrf_token": csrf_of(shown.text), "token": token})
    assert reused.status_code == 409 and "Du har redan tackat ja" in _text(reused)
    again = visitor.get("/volontar/erbjudande/ja", params={"token": token})
    assert "Ja, jag tar uppdraget" not in _text(again)


def test_a_volunteer_declines_and_a_broken_link_gets_a_clear_page(
    gateway_on_volunteers: LiveServer, admin: VolunteersAdmin
) -> None:
    _world, request_id = _offered(admin, f"Nils Nej {uuid.uuid4().hex[:4]}")
    token = _offer_token(admin, request_id, "decline")
    visitor = browser(gateway_on_volunteers)
    shown = visitor.get("/volontar/erbjudande/nej", params={"token": token})
    assert "Nej tack" in _text(shown)
    declined = visitor.post(
        "/volontar/erbjudande/nej", data={"csrf_token": csrf_of(shown.text), "token": token}
    )
    assert declined.status_code == 200 and "Tack för beskedet" in _text(declined)

    broken = visitor.get("/volontar/erbjudande/ja", params={"token": token[:-5] + "AAAAA"})
    assert broken.status_code == 400 and "Länken är trasig" in _text(broken)
    empty = visitor.get("/volontar/erbjudande/ja")
    assert empty.status_code == 400 and "Länken är trasig" in _text(empty)


def _past_assignment(admin: VolunteersAdmin, pool: dict[str, Any], person: dict[str, Any]) -> str:
    """An assignment that took place yesterday (requests through the API must lie in the future)."""
    starts = datetime.now(UTC) - timedelta(days=1)
    request_id, assignment_id = uuid.uuid4(), uuid.uuid4()
    admin.sql(
        "INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by)"
        " VALUES ($1, $2, 1, $3, $4, 's')",
        request_id,
        uuid.UUID(pool["id"]),
        starts,
        starts + timedelta(hours=2),
    )
    admin.sql(
        "INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        assignment_id,
        uuid.UUID(person["id"]),
        request_id,
        uuid.UUID(pool["id"]),
        starts,
        starts + timedelta(hours=2),
    )
    return str(assignment_id)


def test_hours_proposed_by_link_are_approved_and_paid_in_the_fee_report(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin, paid=True)
    # A fee from long ago, written straight into the table: the API refuses a fee back in time.
    admin.sql(
        "INSERT INTO pool_fees (id, pool_id, hourly_fee, valid_from, created_by)"
        " VALUES ($1, $2, 150.00, $3, 's')",
        uuid.uuid4(),
        uuid.UUID(pool["id"]),
        date(2020, 1, 1),
    )
    person = _volunteer(
        admin, pool, name=f"Tim Timmar {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=300)
    )
    assignment_id = _past_assignment(admin, pool, person)
    token = admin.send("POST", f"/v1/assignments/{assignment_id}/hours-link", expect=200)["token"]
    visitor = browser(gateway_on_volunteers)

    shown = visitor.get("/volontar/timmar", params={"token": token})
    assert shown.status_code == 200 and "Hur länge arbetade du?" in _text(shown)
    unreadable = visitor.post(
        "/volontar/timmar",
        data={"csrf_token": csrf_of(shown.text), "token": token, "hours": "två", "minutes": ""},
    )
    assert unreadable.status_code == 400 and "med siffror" in _text(unreadable)
    nothing = visitor.post(
        "/volontar/timmar",
        data={"csrf_token": csrf_of(shown.text), "token": token, "hours": "0", "minutes": "0"},
    )
    assert nothing.status_code == 400 and "minst 1 minut" in _text(nothing)
    sent = visitor.post(
        "/volontar/timmar",
        data={
            "csrf_token": csrf_of(shown.text),
            "token": token,
            "hours": "2",
            "minutes": "0",
            "note": "Bra pass",
        },
    )
    assert sent.status_code == 200 and "Tack!" in _text(sent)
    twice = visitor.post(
        "/volontar/timmar",
        data={"csrf_token": csrf_of(shown.text), "token": token, "hours": "2", "minutes": "0"},
    )
    assert twice.status_code == 409 and "väntar på godkännande" in _text(twice)

    client = _administrator(gateway_on_volunteers, volunteers_settings)
    waiting = client.get("/volunteers/hours")
    assert person["name"] in _text(waiting) and "2 h 0 min" in _text(waiting)
    [proposed] = [
        h
        for h in admin.send("GET", "/v1/hours?status=proposed", expect=200)["items"]
        if h["volunteer_id"] == person["id"]
    ]
    approved = client.post(
        f"/volunteers/hours/{proposed['id']}/approve",
        data={"csrf_token": csrf_of(waiting.text), "version": str(proposed["version"])},
    )
    assert approved.status_code == 303, approved.text

    month = proposed["work_date"][:7]
    report = client.get("/volunteers/fees", params={"month": month})
    text = _text(report)
    assert report.status_code == 200 and person["name"] in text and "300.00" in text
    assert "<svg" in report.text and 'role="img"' in report.text
    assert "Timmar per pool och månad" in text and pool["name"] in text.split("<svg")[1]
    csv = client.get("/volunteers/fees.csv", params={"month": month})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert person["name"] in csv.content.decode("utf-8-sig") and "no-store" in csv.headers["cache-control"]
    bad = client.get("/volunteers/fees", params={"month": "mars"})
    assert bad.status_code == 400 and "år-månad" in _text(bad)


def test_a_rejection_needs_a_reason_from_the_service(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    person = _volunteer(
        admin, pool, name=f"Rut Avslag {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=300)
    )
    token = admin.send(
        "POST", f"/v1/assignments/{_past_assignment(admin, pool, person)}/hours-link", expect=200
    )["token"]
    admin.send("POST", "/v1/links/hours", {"token": token, "minutes": 60})
    [proposed] = [
        h
        for h in admin.send("GET", "/v1/hours?status=proposed", expect=200)["items"]
        if h["volunteer_id"] == person["id"]
    ]
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    page = client.get("/volunteers/hours")
    refused = client.post(
        f"/volunteers/hours/{proposed['id']}/reject", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 409 and "Skriv varför" in _text(refused)
    rejected = client.post(
        f"/volunteers/hours/{proposed['id']}/reject",
        data={"csrf_token": csrf_of(page.text), "reason": "Passet var en timme kortare."},
    )
    assert rejected.status_code == 303
    assert "Passet var en timme kortare." in _text(
        client.get("/volunteers/hours", params={"status": "rejected"})
    )


ORIGINAL = (
    "Handläggningstiden för ansökningar om ekonomiskt bistånd uppgår normalt till fyra veckor, "
    "förutsatt att samtliga erforderliga handlingar har inkommit till förvaltningen."
)


def test_a_review_is_submitted_returned_by_link_and_accepted(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin, paid=True)
    reviewer = _volunteer(
        admin, pool, name=f"Gun Granskare {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=300)
    )
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    form = client.get("/volunteers/reviews/new", params={"pool_id": pool["id"]})
    assert reviewer["name"] in _text(form)
    data = {
        "csrf_token": csrf_of(form.text),
        "pool_id": pool["id"],
        "kind": "letter_template",
        "title": f"Om ekonomiskt bistånd {uuid.uuid4().hex[:4]}",
        "text": "   ",
        "deadline": _in_days(7),
        "reviewer_ids": [reviewer["id"]],
    }
    empty = client.post("/volunteers/reviews", data=data)
    assert empty.status_code == 400 and "Texten är tom" in _text(empty)
    created = client.post("/volunteers/reviews", data=data | {"text": ORIGINAL})
    assert created.status_code == 303, created.text
    review_id = created.headers["location"].rsplit("/", 1)[1]

    [event] = [e for e in admin.outbox("volunteers.review.submitted.v1") if e["review_id"] == review_id]
    token = event["reviewers"][0]["token"]
    visitor = browser(gateway_on_volunteers)
    shown = visitor.get("/volontar/granskning", params={"token": token})
    assert shown.status_code == 200 and ORIGINAL in _text(shown)
    returned = visitor.post(
        "/volontar/granskning",
        data={
            "csrf_token": csrf_of(shown.text),
            "token": token,
            "comments": "Använd kortare ord.",
            "suggested_text": "Det tar oftast fyra veckor. Skicka alla papper till oss.",
            "hours": "0",
            "minutes": "40",
        },
    )
    assert returned.status_code == 200, returned.text
    assert "Tack för din granskning" in _text(returned) and "lättare att läsa" in _text(returned)
    again = visitor.post(
        "/volontar/granskning",
        data={"csrf_token": csrf_of(shown.text), "token": token, "comments": "Igen", "suggested_text": ""},
    )
    assert again.status_code == 409 and "redan skickat" in _text(again)

    page = client.get(f"/volunteers/reviews/{review_id}")
    text = _text(page)
    after = admin.send("GET", f"/v1/reviews/{review_id}", expect=200)
    assert after["original_lix"] in text and after["reviewers"][0]["suggested_lix"] in text
    assert "Använd kortare ord." in text
    decided = client.post(
        f"/volunteers/reviews/{review_id}/decision",
        data={
            "csrf_token": csrf_of(page.text),
            "accept": "yes",
            "reason": "Mycket bättre.",
            "reviewer_id": after["reviewers"][0]["volunteer_id"],
        },
    )
    assert decided.status_code == 303, decided.text
    assert "Godtagen" in _text(client.get(f"/volunteers/reviews/{review_id}"))


def test_an_administrator_asks_for_an_export_and_sees_where_it_stands(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    person = _volunteer(
        admin, pool, name=f"Elin Export {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=300)
    )
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    page = client.get(f"/volunteers/people/{person['id']}")
    assert "Begär registerutdrag" in _text(page)
    asked = client.post(
        "/volunteers/rights",
        data={"csrf_token": csrf_of(page.text), "kind": "export", "volunteer_id": person["id"]},
    )
    assert asked.status_code == 303, asked.text
    [made] = admin.send("GET", f"/v1/rights/requests?volunteer_id={person['id']}", expect=200)["items"]
    listed = _text(client.get("/volunteers/rights"))
    assert "Registerutdrag" in listed and "Väntar på svar" in listed and "events" in listed
    detail = client.get(f"/volunteers/rights/{made['id']}")
    assert detail.status_code == 200 and "volunteers" in _text(detail)
    exported = client.get(f"/volunteers/rights/{made['id']}/export.json")
    assert exported.status_code == 200 and person["name"] in exported.content.decode()
    coordinator = signed_in_as(gateway_on_volunteers, volunteers_settings, "pool_coordinator")
    assert coordinator.get("/volunteers/rights").status_code == 403


def test_the_pages_are_in_english_for_who_chose_it(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    _world, request_id = _offered(admin, f"Eve English {uuid.uuid4().hex[:4]}")
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    client.cookies.set(i18n.COOKIE, "en")
    assert "<h1>Volunteer pools</h1>" in client.get("/volunteers").text
    assert '<h2 id="candidates">Candidates</h2>' in client.get(f"/volunteers/requests/{request_id}").text
    visitor = browser(gateway_on_volunteers)
    visitor.cookies.set(i18n.COOKIE, "en")
    offer = visitor.get("/volontar/erbjudande/ja", params={"token": _offer_token(admin, request_id)})
    assert "Yes, I will take the assignment" in offer.text


def test_a_volunteer_sees_their_consents_and_withdraws_one_from_the_link(
    gateway_on_volunteers: LiveServer, admin: VolunteersAdmin
) -> None:
    world, request_id = _offered(admin, f"Siv Samtycke {uuid.uuid4().hex[:4]}")
    person = world["person"]
    token = admin.send("POST", f"/v1/volunteers/{person['id']}/consents-link", {}, expect=200)["token"]
    visitor = browser(gateway_on_volunteers)

    shown = visitor.get("/volontar/samtycken", params={"token": token})
    assert shown.status_code == 200, shown.text
    assert "erbjudanden" in _text(shown) and person["name"] not in _text(shown)
    visitor.get("/volontar/samtycken", params={"token": token})  # a mail scanner
    [standing] = admin.send("GET", f"/v1/volunteers/{person['id']}", expect=200)["consents"]
    assert standing["withdrawn_at"] is None

    withdrawn = visitor.post(
        "/volontar/samtycken",
        data={"csrf_token": csrf_of(shown.text), "token": token, "purpose": "erbjudanden"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert "Du har tagit tillbaka ditt samtycke" in _text(withdrawn)
    [consent] = admin.send("GET", f"/v1/volunteers/{person['id']}", expect=200)["consents"]
    assert consent["withdrawn_at"] and consent["withdrawn_how"] == "link"
    offers = [e for e in admin.outbox("volunteers.offer.withdrawn.v1") if e["request_id"] == request_id]
    assert [e["volunteer_id"] for e in offers] == [person["id"]]

    broken = visitor.get("/volontar/samtycken", params={"token": token[:-5] + "AAAAA"})
    assert broken.status_code == 400 and "Länken är trasig" in _text(broken)


# --- The staff forms: pools, volunteers, trainings ---------------------------------------------------


def _coordinator_of(gateway: LiveServer, settings: Settings, *pool_keys: str) -> httpx.Client:
    """A pool coordinator signed in, for the pools named (as an administrator sets them on Users)."""
    email = f"coordinator-{uuid.uuid4().hex[:10]}@example.se"

    async def make() -> None:
        conn = await asyncpg.connect(settings.database_url)
        try:
            new = accounts.NewUser(
                email=email,
                name="Kim Samordnare",
                roles=("pool_coordinator",),
                password=PASSWORD,
                pool_ids=pool_keys,
            )
            await accounts.create_user(conn, new=new, actor=(None, "test"), ip=None)
        finally:
            await conn.close()

    run(make())
    client = browser(gateway)
    assert sign_in(client, email).status_code == 303
    return client


def _post(client: httpx.Client, page: str, to: str, **fields: Any) -> httpx.Response:
    """Posts `fields` to `to` from the form on `page`, as a person who opened it would."""
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(to, data={"csrf_token": csrf_of(shown.text), **fields})


def _first_of_month() -> str:
    return date.today().replace(day=1).isoformat()


def test_an_administrator_creates_a_pool_with_requirements_and_a_fee_and_edits_it(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    assert 'href="/volunteers/pools/new"' in client.get("/volunteers").text
    name = f"Klarspråksgranskare {uuid.uuid4().hex[:6]}"
    fields = {
        "name": name,
        "description": "Granskar texter hemifrån.",
        "coordinator_name": "Kim Samordnare",
        "monthly_cap": "fyra",
        "offer_hours": "48",
        "paid": "on",
        "req-0-label": "Utdrag ur belastningsregistret",
        "req-0-kind": "certificate",
        "req-0-expires": "on",
        "req-1-label": "Klarspråksutbildning",
        "req-1-kind": "training",
        "hourly_fee": "162,50",
        "fee_from": _first_of_month(),
    }
    wrong = _post(client, "/volunteers/pools/new", "/volunteers/pools", **fields)
    assert wrong.status_code == 400 and "Skriv ett heltal, till exempel 4." in _text(wrong)
    assert 'value="Klarspråksutbildning"' in _text(wrong)  # what was typed stays
    created = _post(client, "/volunteers/pools/new", "/volunteers/pools", **(fields | {"monthly_cap": "3"}))
    assert created.status_code == 303, created.text
    pool_id = created.headers["location"].rsplit("/", 1)[1]
    pool = admin.send("GET", f"/v1/pools/{pool_id}", expect=200)
    assert pool["monthly_cap"] == 3 and pool["paid"] and pool["key"].startswith("klarspraksgranskare-")
    assert {(r["label"], r["kind"], r["expires"]) for r in pool["requirements"]} == {
        ("Utdrag ur belastningsregistret", "certificate", True),
        ("Klarspråksutbildning", "training", False),
    }
    [fee] = admin.send("GET", f"/v1/pools/{pool_id}/fees", expect=200)
    assert fee["hourly_fee"] == "162.50" and fee["valid_from"] == _first_of_month()

    again = _post(client, "/volunteers/pools/new", "/volunteers/pools", **(fields | {"monthly_cap": "3"}))
    assert again.status_code == 400 and "Det finns redan en pool med nyckeln" in _text(again)

    edit = f"/volunteers/pools/{pool_id}/edit"
    page = client.get(edit)
    assert page.status_code == 200 and "Klarspråksutbildning" in _text(page)
    form = {
        "version": str(pool["version"]),
        "name": name,
        "description": "Granskar brev och broschyrer.",
        "coordinator_name": "Alex Ny",
        "monthly_cap": "2",
        "offer_hours": "24",
        "paid": "on",
        "status": "active",
    }
    saved = _post(client, edit, f"/volunteers/pools/{pool_id}", **form)
    assert saved.status_code == 303, saved.text
    assert admin.send("GET", f"/v1/pools/{pool_id}", expect=200)["coordinator_name"] == "Alex Ny"
    stale = _post(client, edit, f"/volunteers/pools/{pool_id}", **form)
    assert stale.status_code == 409 and "Någon annan har ändrat uppgifterna" in _text(stale)
    # The typed values come back with the version now saved, so a second try goes through.
    assert _hidden_version(stale.text) == str(pool["version"] + 1)

    added = _post(
        client,
        edit,
        f"/volunteers/pools/{pool_id}/requirements",
        req_label="Avtal om tystnadsplikt",
        req_kind="agreement",
    )
    assert added.status_code == 303, added.text
    overlapping = _post(
        client, edit, f"/volunteers/pools/{pool_id}/fees", hourly_fee="170", fee_from=_in_days(40)
    )
    assert overlapping.status_code == 400 and "Avgiften överlappar en annan avgift" in _text(overlapping)
    assert 'id="error-hourly_fee"' in overlapping.text  # the reason sits at its field
    ended = _post(client, edit, f"/volunteers/pools/{pool_id}/fees/{fee['id']}/end", valid_until=_in_days(30))
    assert ended.status_code == 303, ended.text
    later = _post(client, edit, f"/volunteers/pools/{pool_id}/fees", hourly_fee="170", fee_from=_in_days(31))
    assert later.status_code == 303, later.text
    assert len(admin.send("GET", f"/v1/pools/{pool_id}/fees", expect=200)) == 2


def test_a_coordinator_adds_a_volunteer_edits_them_and_records_their_training(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    mine, other = _pool(admin), _pool(admin)
    client = _coordinator_of(gateway_on_volunteers, volunteers_settings, mine["key"])
    new = f"/volunteers/people/new?pool_id={mine['id']}"
    assert '<option value="active" selected>' in client.get(new).text
    name = f"Mona Ny {uuid.uuid4().hex[:4]}"
    profile = {
        "name": name,
        "preferred_channel": "sms",
        "language": "sv",
        "languages": "sv, ar",
        "areas": "Kronan, Centrum",
        "does_not_want": "Kvällar",
        "client_units": "Försörjningsstöd",
    }
    unreachable = _post(client, new, "/volunteers/people", **profile, **{f"pool-{mine['id']}": "active"})
    assert unreachable.status_code == 400 and "Ange en e-postadress eller ett telefonnummer" in _text(
        unreachable
    )
    contact = {"email": f"mona-{uuid.uuid4().hex[:6]}@example.se", "phone": "070-123 45 67"}
    outside = _post(
        client, new, "/volunteers/people", **profile, **contact, **{f"pool-{other['id']}": "active"}
    )
    assert outside.status_code == 400 and "Lägg till personen i minst en av dina pooler" in _text(outside)
    created = _post(
        client, new, "/volunteers/people", **profile, **contact, **{f"pool-{mine['id']}": "active"}
    )
    assert created.status_code == 303, created.text
    person_id = created.headers["location"].rsplit("/", 1)[1]
    person = admin.send("GET", f"/v1/volunteers/{person_id}", expect=200)
    assert person["languages"] == ["sv", "ar"] and person["areas"] == ["Kronan", "Centrum"]
    assert person["preferred_channel"] == "sms" and person["client_units"] == ["Försörjningsstöd"]
    assert [m["status"] for m in person["memberships"]] == ["active"]

    edit = f"/volunteers/people/{person_id}/edit"
    changed = _post(
        client,
        edit,
        f"/volunteers/people/{person_id}",
        **(profile | contact | {"version": str(person["version"]), "status": "paused", "areas": "Väster"}),
    )
    assert changed.status_code == 303, changed.text
    assert admin.send("GET", f"/v1/volunteers/{person_id}", expect=200)["areas"] == ["Väster"]

    backwards = _post(
        client,
        edit,
        f"/volunteers/people/{person_id}/weekly",
        **{"slot-0-weekday": "2", "slot-0-starts": "15:00", "slot-0-ends": "09:00"},
    )
    assert backwards.status_code == 400 and "slutar innan den börjar" in _text(backwards)
    weekly = _post(
        client,
        edit,
        f"/volunteers/people/{person_id}/weekly",
        **{"slot-0-weekday": "2", "slot-0-starts": "09:00", "slot-0-ends": "12:00", "slot-1-weekday": ""},
    )
    assert weekly.status_code == 303, weekly.text
    away = _post(
        client,
        edit,
        f"/volunteers/people/{person_id}/exceptions",
        x_from=_in_days(20),
        x_to=_in_days(27),
        x_available="0",
        x_note="Semester",
    )
    assert away.status_code == 303, away.text
    person = admin.send("GET", f"/v1/volunteers/{person_id}", expect=200)
    assert [(s["weekday"], s["starts"]) for s in person["weekly"]] == [(2, "09:00:00")]
    assert [x["note"] for x in person["exceptions"]] == ["Semester"]

    certificate = _post(
        client,
        edit,
        f"/volunteers/people/{person_id}/qualifications",
        q_key="belastningsregister",
        q_completed=_in_days(-10),
    )
    assert certificate.status_code == 400 and "Ett intyg behöver ett datum" in _text(certificate)
    assert 'id="error-q_expires"' in certificate.text
    recorded = _post(
        client,
        edit,
        f"/volunteers/people/{person_id}/qualifications",
        q_key="belastningsregister",
        q_completed=_in_days(-10),
        q_expires=_in_days(300),
    )
    assert recorded.status_code == 303, recorded.text
    shown = _text(client.get(f"/volunteers/people/{person_id}"))
    assert "Semester" in shown and "Väster" in shown
    assert "<td>Utdrag ur belastningsregistret</td>" in shown  # the pool's label, not the record's key

    second = _volunteer(
        admin, mine, name=f"Nils Kurs {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=90)
    )
    training = f"/volunteers/pools/{mine['id']}/training"
    nobody = _post(client, training, training, key="intervjuteknik", completed_on=_in_days(-1))
    assert nobody.status_code == 400 and "Kryssa i vilka som var med." in _text(nobody)
    both = client.post(
        training,
        data={
            "csrf_token": csrf_of(client.get(training).text),
            "key": "intervjuteknik",
            "completed_on": _in_days(-1),
            "note": "Kurs i stadshuset",
            "volunteer_ids": [person_id, second["id"]],
        },
    )
    assert both.status_code == 303, both.text
    for someone in (person_id, second["id"]):
        notes = [
            q["note"] for q in admin.send("GET", f"/v1/volunteers/{someone}", expect=200)["qualifications"]
        ]
        assert "Kurs i stadshuset" in notes


def test_a_coordinator_is_told_why_they_cannot_change_another_pool_or_its_people(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    mine, other = _pool(admin), _pool(admin)
    theirs = _volunteer(
        admin, other, name=f"Olle Annan {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=90)
    )
    client = _coordinator_of(gateway_on_volunteers, volunteers_settings, mine["key"])
    assert client.get("/volunteers/pools/new").status_code == 403
    refused = client.get(f"/volunteers/pools/{other['id']}/edit")
    assert refused.status_code == 403 and "Du samordnar inte den här poolen" in _text(refused)
    page = client.get(f"/volunteers/pools/{mine['id']}/edit")
    posted = client.post(
        f"/volunteers/pools/{other['id']}",
        data={
            "csrf_token": csrf_of(page.text),
            "version": str(other["version"]),
            "name": "Kapad",
            "monthly_cap": "4",
            "offer_hours": "48",
        },
    )
    assert "Du samordnar inte den här poolen" in _text(posted)
    assert admin.send("GET", f"/v1/pools/{other['id']}", expect=200)["name"] == other["name"]
    hidden = client.get(f"/volunteers/people/{theirs['id']}/edit")
    assert hidden.status_code == 404 and "hör den inte till dina pooler" in _text(hidden)


def test_a_persons_page_title_is_their_name_only(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    person = _volunteer(
        admin, pool, name=f"Tea Titel {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=90)
    )
    page = _administrator(gateway_on_volunteers, volunteers_settings).get(
        f"/volunteers/people/{person['id']}"
    )
    title = page.text.split("<title>", 1)[1].split("</title>", 1)[0]
    assert person["name"] in title and "Registerutdrag" not in title and "<form" not in title


def test_ids_from_the_volunteer_forms_that_are_not_uuids_are_refused(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    person = _volunteer(
        admin, pool, name=f"Ida Id {uuid.uuid4().hex[:4]}", until=date.today() + timedelta(days=90)
    )
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    token = csrf_of(client.get("/volunteers").text)
    bad = f"{pool['id']}/../../../pools"
    for url, form in (
        (f"/volunteers/people/{person['id']}/pools", {"pool_id": bad, "status": "active"}),
        (
            f"/volunteers/pools/{pool['id']}/training",
            {"key": "intervjuteknik", "completed_on": _in_days(-1), "volunteer_ids": bad},
        ),
    ):
        response = client.post(url, data={**form, "csrf_token": token})
        assert response.status_code == 422 and "Adressen är inte giltig" in _text(response), (
            url,
            response.text,
        )
    empty = client.post(f"/volunteers/people/{person['id']}/pools", data={"pool_id": "", "csrf_token": token})
    assert empty.status_code == 400 and "Välj en pool." in _text(empty)


def test_a_pools_training_form_records_only_that_pools_members_and_requirements(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    """The bulk form took any ticked id and any key (an unknown one as a 'training'): someone in the
    coordinator's other pool could be recorded from this pool's form."""
    mine, other = _pool(admin), _pool(admin)
    member = _volunteer(admin, mine, name=f"Pia Med {uuid.uuid4().hex[:4]}", until=date.today())
    outsider = _volunteer(admin, other, name=f"Ove Utanför {uuid.uuid4().hex[:4]}", until=date.today())
    client = _coordinator_of(gateway_on_volunteers, volunteers_settings, mine["key"], other["key"])
    training = f"/volunteers/pools/{mine['id']}/training"

    def notes_of(person: dict[str, Any]) -> list[str]:
        seen = admin.send("GET", f"/v1/volunteers/{person['id']}", expect=200)
        return [q["note"] for q in seen["qualifications"]]

    def tick(key: str, *ids: str) -> httpx.Response:
        return client.post(
            training,
            data={
                "csrf_token": csrf_of(client.get(training).text),
                "key": key,
                "completed_on": _in_days(-1),
                "note": "Fel pool",
                "volunteer_ids": list(ids),
            },
        )

    stranger = tick("intervjuteknik", member["id"], outsider["id"])
    assert stranger.status_code == 400, stranger.text
    assert "inte med i poolen" in _text(stranger)
    unknown = tick("pahittad", member["id"])
    assert unknown.status_code == 400 and 'id="error-key"' in unknown.text
    assert "Fel pool" not in notes_of(member) and "Fel pool" not in notes_of(outsider)


def test_after_someone_else_saved_the_typed_profile_comes_back_and_saves_on_the_second_try(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    """After a 409 the form kept the old version, so every new try was refused again."""
    pool = _pool(admin)
    person = _volunteer(admin, pool, name=f"Rut Krock {uuid.uuid4().hex[:4]}", until=date.today())
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    edit = f"/volunteers/people/{person['id']}/edit"
    page = client.get(edit)
    seen = admin.send("GET", f"/v1/volunteers/{person['id']}", expect=200)
    fields = {
        "name": seen["name"],
        "email": seen["email"],
        "preferred_channel": "email",
        "language": "sv",
        "languages": "sv",
        "status": "active",
    }
    admin.send(
        "PUT",
        f"/v1/volunteers/{person['id']}",
        {**fields, "languages": ["sv"], "areas": ["Norr"], "version": seen["version"]},
        expect=200,
    )
    typed = fields | {"areas": "Söder", "version": str(seen["version"])}
    stale = client.post(
        f"/volunteers/people/{person['id']}", data={"csrf_token": csrf_of(page.text), **typed}
    )
    assert stale.status_code == 409, stale.text
    assert "Någon annan har ändrat" in _text(stale) and 'value="Söder"' in stale.text
    again = client.post(
        f"/volunteers/people/{person['id']}",
        data={"csrf_token": csrf_of(stale.text), **typed, "version": _hidden_version(stale.text)},
    )
    assert again.status_code == 303, again.text
    assert admin.send("GET", f"/v1/volunteers/{person['id']}", expect=200)["areas"] == ["Söder"]


def _hidden_version(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "the form carries its version"
    return found.group(1)


def _error_at(page: httpx.Response, key: str) -> str:
    """The error message shown beside the field `key`, or "" when there is none."""
    found = re.search(rf'<p class="error-message" id="error-{re.escape(key)}">(.*?)</p>', page.text, re.S)
    return html.unescape(found.group(1)) if found else ""


def test_a_weekday_that_is_not_a_day_is_a_form_error_not_a_crash(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    person = _volunteer(admin, pool, name=f"Dag Fel {uuid.uuid4().hex[:4]}", until=date.today())
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    edit = f"/volunteers/people/{person['id']}/edit"
    wrong = _post(
        client,
        edit,
        f"/volunteers/people/{person['id']}/weekly",
        **{"slot-0-weekday": "x", "slot-0-starts": "09:00", "slot-0-ends": "12:00"},
    )
    assert wrong.status_code == 400, wrong.text
    assert "Välj en dag" in _error_at(wrong, "slot-0-weekday")
    direct = admin.http.put(
        f"/v1/volunteers/{person['id']}/weekly",
        json={"slots": [{"weekday": "x", "starts": "09:00", "ends": "12:00"}]},
        headers=admin.headers(),
    )
    assert direct.status_code == 422 and "slots.0.weekday" in direct.text


def test_errors_of_weekly_rows_and_requirement_rows_are_shown_on_their_own_row(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    person = _volunteer(admin, pool, name=f"Rad Rätt {uuid.uuid4().hex[:4]}", until=date.today())
    client = _administrator(gateway_on_volunteers, volunteers_settings)
    edit = f"/volunteers/people/{person['id']}/edit"
    weekly = f"/volunteers/people/{person['id']}/weekly"
    rows = {
        "slot-0-weekday": "",
        "slot-1-weekday": "2",
        "slot-1-starts": "09:00",
        "slot-1-ends": "12:00",
        "slot-2-weekday": "3",
        "slot-2-starts": "nio",
        "slot-2-ends": "12:00",
    }
    typed = _post(client, edit, weekly, **rows)
    assert typed.status_code == 400, typed.text
    assert _error_at(typed, "slot-2-starts") and not _error_at(typed, "slot-1-starts")
    # The error sits on the row that was typed, and that row is still where it was.
    assert 'name="slot-2-starts" type="time" value="nio"' in typed.text
    backwards = _post(client, edit, weekly, **(rows | {"slot-2-starts": "15:00", "slot-2-ends": "10:00"}))
    assert backwards.status_code == 400, backwards.text
    assert "slutar innan den börjar" in _error_at(backwards, "slot-2-ends")
    assert not _error_at(backwards, "slot-0-weekday") and not _error_at(backwards, "slot-1-ends")

    fields = {
        "name": f"Radpool {uuid.uuid4().hex[:6]}",
        "monthly_cap": "4",
        "offer_hours": "48",
        "req-0-label": "",
        "req-1-label": "Intervjuteknik",
        "req-2-label": "Ö",  # too short for a key
    }
    refused = _post(client, "/volunteers/pools/new", "/volunteers/pools", **fields)
    assert refused.status_code == 400, refused.text
    assert _error_at(refused, "req-2-label") and not _error_at(refused, "req-0-label")


def test_the_join_pool_form_shows_its_error_at_its_own_fields(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    mine, other = _pool(admin), _pool(admin)
    person = _volunteer(admin, mine, name=f"Gå Med {uuid.uuid4().hex[:4]}", until=date.today())
    client = _coordinator_of(gateway_on_volunteers, volunteers_settings, mine["key"])
    edit = f"/volunteers/people/{person['id']}/edit"
    joined = _post(
        client,
        edit,
        f"/volunteers/people/{person['id']}/pools",
        pool_id=other["id"],
        status="active",
        joining="1",
    )
    assert joined.status_code == 400, joined.text
    assert "Du samordnar inte den här poolen" in _error_at(joined, "join_pool")
    bad_status = _post(
        _administrator(gateway_on_volunteers, volunteers_settings),
        edit,
        f"/volunteers/people/{person['id']}/pools",
        pool_id=other["id"],
        status="kanske",
        joining="1",
    )
    assert bad_status.status_code == 400, bad_status.text
    assert _error_at(bad_status, "join_status")


def test_a_pool_page_says_when_its_fees_could_not_be_loaded(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    """The fees call failed (here: the pool is not the coordinator's) and the page said there were none."""
    mine, paid = _pool(admin), _pool(admin, paid=True)
    client = _coordinator_of(gateway_on_volunteers, volunteers_settings, mine["key"])
    page = client.get(f"/volunteers/pools/{paid['id']}")
    assert page.status_code == 200, page.text
    assert "Inget arvode är inlagt" not in _text(page)
    assert "Arvodena kunde inte hämtas" in _text(page)


def test_the_note_of_an_availability_exception_says_what_to_write(
    gateway_on_volunteers: LiveServer, volunteers_settings: Settings, admin: VolunteersAdmin
) -> None:
    pool = _pool(admin)
    person = _volunteer(admin, pool, name=f"Not Ering {uuid.uuid4().hex[:4]}", until=date.today())
    page = _administrator(gateway_on_volunteers, volunteers_settings).get(
        f"/volunteers/people/{person['id']}/edit"
    )
    assert page.status_code == 200
    hint = re.search(r'<p class="hint" id="hint-x_note">(.*?)</p>', page.text)
    assert hint and "en rad" in html.unescape(hint.group(1))
    assert 'aria-describedby="hint-x_note"' in page.text
