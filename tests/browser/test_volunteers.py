"""Volunteers in a real browser, checked with axe: staff create a pool, add a trained volunteer and
edit them by keyboard, and another pool's coordinator is told why not; a coordinator asks for
volunteers and sees the ranked and excluded candidates with their reasons; a volunteer with no account
answers an offer on a phone by keyboard; hours, the fee report with its chart, and a plain-language
review."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.sync_api import Browser, expect

from backbone.testing import run_async
from devstack.stack import Stack

from .conftest import PASSWORD, AccessiblePage, Account

pytestmark = pytest.mark.browser


def _service(stack: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.url("volunteers"), headers=stack.system_headers("volunteers"), timeout=30
    )


def _sent(response: httpx.Response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()


def _pool_with_people(stack: Stack, *, paid: bool = False) -> dict[str, Any]:
    """A pool with one volunteer who can be asked and one whose certificate runs out first."""
    with _service(stack) as service:
        pool = _sent(
            service.post(
                "/v1/pools",
                json={
                    "key": f"panel-{uuid.uuid4().hex[:8]}",
                    "name": f"Rekryteringspanel {uuid.uuid4().hex[:4]}",
                    "paid": paid,
                    "requirements": [
                        {
                            "key": "utdrag",
                            "kind": "certificate",
                            "label": "Utdrag ur belastningsregistret",
                            "expires": True,
                        }
                    ],
                },
            )
        )
        people = {}
        for name, days in (
            (f"Ada Kan {uuid.uuid4().hex[:4]}", 300),
            (f"Ebba Utgått {uuid.uuid4().hex[:4]}", 3),
        ):
            person = _sent(
                service.post(
                    "/v1/volunteers",
                    json={
                        "name": name,
                        "email": f"v-{uuid.uuid4().hex[:8]}@example.se",
                        "pools": [{"pool_id": pool["id"], "status": "active"}],
                    },
                )
            )
            _sent(
                service.post(
                    f"/v1/volunteers/{person['id']}/qualifications",
                    json={
                        "key": "utdrag",
                        "kind": "certificate",
                        "completed_on": "2025-01-01",
                        "expires_on": (date.today() + timedelta(days=days)).isoformat(),
                    },
                )
            )
            _sent(
                service.post(
                    f"/v1/volunteers/{person['id']}/consents",
                    json={"purpose": "erbjudanden", "text_version": "2026-1", "given_how": "form"},
                )
            )
            people[name] = person
    return {"pool": pool, "people": people}


def _outbox(stack: Stack, subject: str) -> list[dict[str, Any]]:
    async def read() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(stack.postgres.dsn("volunteers"))
        try:
            rows = await conn.fetch(
                "SELECT envelope::text AS e FROM outbox WHERE subject = $1 ORDER BY id", subject
            )
        finally:
            await conn.close()
        return [json.loads(r["e"])["data"] for r in rows]

    return run_async(read())


def test_a_coordinator_asks_for_volunteers_and_sees_why_each_is_where_they_are(
    ui: AccessiblePage, stack: Stack, make_account: Callable[..., Account]
) -> None:
    world = _pool_with_people(stack)
    pool = world["pool"]
    able, expired = list(world["people"].values())
    ui.sign_in(make_account("administrator"))
    page = ui.page
    ui.goto("/volunteers")
    page.get_by_role("link", name=pool["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(pool["name"])
    ui.check()
    page.get_by_role("link", name="Se personerna i poolen").click()
    expect(page.get_by_role("table", name="Personer")).to_contain_text("Går ut inom 30 dagar")
    ui.check()
    page.get_by_role("link", name=able["name"]).click()
    expect(page.get_by_role("table", name="Samtycken")).to_contain_text("Få erbjudanden om uppdrag")
    ui.check()

    ui.goto("/volunteers/requests/new")
    page.get_by_role("button", name="Skicka förfrågan").click()
    expect(page.get_by_role("alert")).to_contain_text("Välj en pool.")
    ui.check()
    page.get_by_label("Från vilken pool?").select_option(label=pool["name"])
    page.get_by_label("Datum").fill((date.today() + timedelta(days=10)).isoformat())
    page.get_by_label("Börjar klockan").fill("09:00")
    page.get_by_label("Slutar klockan").fill("11:00")
    page.get_by_label("Plats").fill("Stadshuset, rum 4")
    page.get_by_label("Skicka erbjudanden direkt").uncheck()
    page.get_by_role("button", name="Skicka förfrågan").click()
    ranked = page.get_by_role("table", name="Kan tillfrågas, i turordning")
    expect(ranked).to_contain_text(able["name"])
    excluded = page.get_by_role("table", name="Kan inte tillfrågas")
    expect(excluded).to_contain_text(expired["name"])
    expect(excluded).to_contain_text("Utdrag ur belastningsregistret")
    ui.check()
    page.get_by_role("button", name="Skicka erbjudanden till nästa i tur").click()
    expect(page.get_by_role("table", name="Erbjudanden")).to_contain_text("Väntar på svar")
    ui.check()


def test_a_volunteer_answers_an_offer_on_a_phone_by_keyboard(browser: Browser, stack: Stack) -> None:
    world = _pool_with_people(stack)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
    with _service(stack) as service:
        request = _sent(
            service.post(
                "/v1/requests",
                json={
                    "pool_id": world["pool"]["id"],
                    "seats": 1,
                    "starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(hours=2)).isoformat(),
                    "place": "Kronan",
                },
            )
        )
    [offer] = [o for o in _outbox(stack, "volunteers.offer.sent.v1") if o["request_id"] == request["id"]]
    ctx = browser.new_context(
        base_url=stack.url("gateway"), viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(15_000)
    try:
        ui = AccessiblePage(ctx.new_page())
        page = ui.page
        ui.goto(f"/volontar/erbjudande/ja?token={offer['accept_token']}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Tacka ja till uppdraget")
        expect(page.locator("main")).to_contain_text("Kronan")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        button = page.get_by_role("button", name="Ja, jag tar uppdraget")
        button.focus()
        expect(button).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("Du har fått platsen")
        ui.check()
        # The same link again: a plain page, no button.
        ui.goto(f"/volontar/erbjudande/ja?token={offer['accept_token']}")
        expect(page.locator("main")).to_contain_text("redan tackat ja")
        expect(page.get_by_role("button", name="Ja, jag tar uppdraget")).to_have_count(0)
        ui.goto("/volontar/erbjudande/nej?token=trasig")
        expect(page.get_by_role("alert")).to_contain_text("Länken är trasig")
        ui.check()
    finally:
        ctx.close()


def _old_fee(stack: Stack, pool_id: str) -> None:
    """A fee from long ago, written straight into the table: the API refuses a fee back in time."""

    async def write() -> None:
        conn = await asyncpg.connect(stack.postgres.dsn("volunteers"))
        try:
            await conn.execute(
                "INSERT INTO pool_fees (id, pool_id, hourly_fee, valid_from, created_by)"
                " VALUES ($1, $2, 150.00, $3, 'browser-test')",
                uuid.uuid4(),
                uuid.UUID(pool_id),
                date(2020, 1, 1),
            )
        finally:
            await conn.close()

    run_async(write())


def _past_assignment(stack: Stack, pool_id: str, volunteer_id: str) -> str:
    async def write() -> str:
        starts = datetime.now(UTC) - timedelta(days=1)
        request_id, assignment_id = uuid.uuid4(), uuid.uuid4()
        conn = await asyncpg.connect(stack.postgres.dsn("volunteers"))
        try:
            await conn.execute(
                "INSERT INTO requests (id, pool_id, seats, starts_at, ends_at, requested_by)"
                " VALUES ($1, $2, 1, $3, $4, 'browser-test')",
                request_id,
                uuid.UUID(pool_id),
                starts,
                starts + timedelta(hours=2),
            )
            await conn.execute(
                "INSERT INTO assignments (id, volunteer_id, request_id, pool_id, starts_at, ends_at)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                assignment_id,
                uuid.UUID(volunteer_id),
                request_id,
                uuid.UUID(pool_id),
                starts,
                starts + timedelta(hours=2),
            )
        finally:
            await conn.close()
        return str(assignment_id)

    return run_async(write())


def test_hours_fees_and_a_review_pass_axe(
    ui: AccessiblePage, browser: Browser, stack: Stack, make_account: Callable[..., Account]
) -> None:
    world = _pool_with_people(stack, paid=True)
    pool = world["pool"]
    able = next(iter(world["people"].values()))
    with _service(stack) as service:
        _old_fee(stack, pool["id"])
        assignment_id = _past_assignment(stack, pool["id"], able["id"])
        token = _sent(service.post(f"/v1/assignments/{assignment_id}/hours-link"))["token"]

    volunteer = browser.new_context(base_url=stack.url("gateway"), viewport={"width": 375, "height": 740})
    try:
        phone = AccessiblePage(volunteer.new_page())
        phone.goto(f"/volontar/timmar?token={token}")
        phone.page.get_by_label("Timmar").fill("2")
        phone.page.get_by_label("Minuter").fill("15")
        phone.page.get_by_role("button", name="Skicka mina timmar").click()
        expect(phone.page.get_by_role("status")).to_contain_text("Tack!")
        phone.check()
    finally:
        volunteer.close()

    ui.sign_in(make_account("administrator"))
    page = ui.page
    ui.goto("/volunteers/hours")
    page.get_by_role("button", name=f"Godkänn timmarna för {able['name']}").click()
    expect(page.get_by_role("status")).to_be_visible()
    ui.check()
    ui.goto("/volunteers/fees")
    expect(page.get_by_role("table", name="Per pool", exact=True)).to_contain_text(pool["name"])
    expect(page.locator("svg[role=img]")).to_have_count(1)
    ui.check()

    ui.goto(f"/volunteers/reviews/new?pool_id={pool['id']}")
    page.get_by_label("Rubrik").fill(f"Om ekonomiskt bistånd {uuid.uuid4().hex[:4]}")
    page.get_by_label("Texten").fill("Handläggningstiden för ansökningar uppgår normalt till fyra veckor.")
    page.get_by_label("Sista dag för granskningen").fill((date.today() + timedelta(days=7)).isoformat())
    page.get_by_label(able["name"]).check()
    page.get_by_role("button", name="Skicka på granskning").click()
    expect(page.get_by_role("table", name="LIX före och efter")).to_contain_text(able["name"])
    ui.check()
    review_id = page.url.rsplit("/", 1)[1]
    [sent] = [e for e in _outbox(stack, "volunteers.review.submitted.v1") if e["review_id"] == review_id]

    reviewer = browser.new_context(base_url=stack.url("gateway"), viewport={"width": 375, "height": 740})
    try:
        phone = AccessiblePage(reviewer.new_page())
        phone.goto(f"/volontar/granskning?token={sent['reviewers'][0]['token']}")
        phone.page.get_by_label("Dina kommentarer").fill("Kortare ord.")
        phone.page.get_by_label("Ditt förslag på ny text").fill("Det tar oftast fyra veckor.")
        phone.page.get_by_role("button", name="Skicka min granskning").click()
        expect(phone.page.get_by_role("status")).to_contain_text("Tack för din granskning")
        phone.check()
    finally:
        reviewer.close()

    ui.goto(f"/volunteers/reviews/{review_id}")
    page.get_by_label("Skäl").fill("Mycket lättare.")
    page.get_by_role("button", name="Spara beslutet").click()
    expect(page.locator("main")).to_contain_text("Godtagen")
    ui.check()
    ui.goto("/volunteers/rights")


def _coordinator_of(stack: Stack, pool_key: str) -> Account:
    """A pool coordinator for `pool_key`, made with the gateway's command as an operator would."""
    gateway = next(spec for spec in stack.services if spec.name == "gateway")
    email = f"coordinator-{uuid.uuid4().hex[:8]}@example.se"
    argv = [sys.executable, "-m", "gateway", "create-user", "--email", email, "--name", "Kim Samordnare"]
    argv += ["--password-stdin", "--role", "pool_coordinator", "--pool", pool_key]
    subprocess.run(
        argv, env=stack.env_for(gateway), input=f"{PASSWORD}\n", text=True, check=True, capture_output=True
    )
    return Account(email, PASSWORD, "Kim Samordnare")


# A dozen pages, each checked by axe: on a loaded machine more than the default 300 s.
@pytest.mark.timeout(900)
def test_staff_create_a_pool_and_add_a_trained_volunteer_and_edit_them_by_keyboard(
    ui: AccessiblePage, stack: Stack, make_account: Callable[..., Account]
) -> None:
    name = f"Digitala handledare {uuid.uuid4().hex[:4]}"
    ui.sign_in(make_account("administrator"))
    page = ui.page
    ui.goto("/volunteers")
    page.get_by_role("link", name="Ny pool").click()
    ui.check()
    page.get_by_label("Namn", exact=True).fill(name)
    page.get_by_label("Högst antal uppdrag per person och månad").fill("fyra")
    page.locator("#field-req-0-label").fill("Utdrag ur belastningsregistret")
    page.locator("#field-req-0-kind").select_option("certificate")
    page.locator("#field-req-0-expires-on").check()
    page.get_by_role("button", name="Skapa poolen").click()
    # The error is summarised on top and tied to its field.
    expect(page.get_by_role("alert")).to_contain_text("Skriv ett heltal")
    cap = page.get_by_label("Högst antal uppdrag per person och månad")
    expect(cap).to_have_attribute("aria-invalid", "true")
    ui.check()
    cap.fill("4")
    page.get_by_role("button", name="Skapa poolen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("table", name="Krav")).to_contain_text("Utdrag ur belastningsregistret")
    ui.check()

    page.get_by_role("link", name="Lägg till en person i poolen").click()
    person = f"Ines Ny {uuid.uuid4().hex[:4]}"
    page.get_by_label("Namn", exact=True).fill(person)
    page.get_by_label("E-post").fill(f"ines-{uuid.uuid4().hex[:6]}@example.se")
    page.get_by_label("Språk personen talar").fill("sv, ar")
    expect(page.get_by_label(name)).to_have_value("active")
    ui.check()
    page.get_by_role("button", name="Spara personen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(person)
    ui.check()

    page.get_by_role("link", name="Ändra uppgifter, pooler, tider och utbildningar").click()
    ui.check()
    page.get_by_label("Vad gäller det?").select_option(label=f"Utdrag ur belastningsregistret ({name})")
    page.get_by_label("Klart den").fill(date.today().isoformat())
    page.get_by_role("button", name="Spara", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Ett intyg behöver ett datum")
    ui.check()
    page.get_by_label("Går ut den").fill((date.today() + timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Spara", exact=True).click()
    qualifications = page.get_by_role("table", name="Utbildningar, avtal och intyg")
    expect(qualifications).to_contain_text("Utdrag ur belastningsregistret")
    expect(qualifications).to_contain_text("Går ut snart")

    # Editing by keyboard alone: into the field, type, Enter sends the form.
    page.get_by_role("link", name="Ändra uppgifter, pooler, tider och utbildningar").focus()
    page.keyboard.press("Enter")
    areas = page.get_by_label("Stadsdelar")
    areas.focus()
    page.keyboard.type("Kronan")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(person)
    expect(page.locator("main")).to_contain_text("Kronan")
    ui.check()


# A dozen pages, each checked by axe: on a loaded machine more than the default 300 s.
@pytest.mark.timeout(900)
def test_another_pools_coordinator_is_told_why_not_on_a_phone(browser: Browser, stack: Stack) -> None:
    """A coordinator changes only their own pools and people: the page gives the service's reason."""
    world = _pool_with_people(stack)
    pool = world["pool"]
    elsewhere = f"annan-{uuid.uuid4().hex[:8]}"
    with _service(stack) as service:
        _sent(service.post("/v1/pools", json={"key": elsewhere, "name": f"Mentorer {elsewhere}"}))
    coordinator = _coordinator_of(stack, elsewhere)
    phone = browser.new_context(
        base_url=stack.url("gateway"), viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    phone.set_default_timeout(15_000)
    try:
        other = AccessiblePage(phone.new_page())
        other.sign_in(coordinator)
        other.goto(f"/volunteers/pools/{pool['id']}/edit")
        expect(other.page.locator("main")).to_contain_text("Du samordnar inte den här poolen")
        other.goto("/volunteers/people/new")
        assert other.page.evaluate("document.documentElement.scrollWidth") <= 375
        other.page.get_by_label("Namn", exact=True).fill(f"Pia Fel {uuid.uuid4().hex[:4]}")
        other.page.get_by_label("E-post").fill(f"pia-{uuid.uuid4().hex[:6]}@example.se")
        other.page.get_by_label(pool["name"]).select_option("active")
        other.page.get_by_role("button", name="Spara personen").click()
        expect(other.page.get_by_role("alert")).to_contain_text(
            "Lägg till personen i minst en av dina pooler"
        )
        other.check()
    finally:
        phone.close()


def test_a_volunteer_takes_back_a_consent_by_link_and_an_administrator_gets_their_register_extract(
    browser: Browser, ui: AccessiblePage, stack: Stack, make_account: Callable[..., Account]
) -> None:
    """The consent is withdrawn as easily as given: from a link, on a phone, by keyboard; staff see
    when and how. Then everything held about the person, asked for from the person's page and read
    as a file once every service has answered. Each page passes axe."""
    world = _pool_with_people(stack)
    person = next(iter(world["people"].values()))
    with _service(stack) as service:
        token = _sent(service.post(f"/v1/volunteers/{person['id']}/consents-link"))["token"]

    volunteer = browser.new_context(base_url=stack.url("gateway"), viewport={"width": 375, "height": 740})
    try:
        phone = AccessiblePage(volunteer.new_page())
        phone.goto(f"/volontar/samtycken?token={token}")
        expect(phone.page.get_by_role("heading", level=1)).to_have_text("Dina samtycken")
        expect(phone.page.locator("main")).to_contain_text("version 2026-1")
        phone.page.get_by_role("button", name="Ta tillbaka mitt samtycke").focus()
        phone.page.keyboard.press("Enter")
        phone.page.wait_for_load_state()
        expect(phone.page.get_by_role("button", name="Ta tillbaka mitt samtycke")).to_have_count(0)
        phone.check()
        phone.goto(f"/volontar/samtycken?token={token}")
        expect(phone.page.locator("main")).to_contain_text("Du har inga samtycken hos oss just nu.")
    finally:
        volunteer.close()

    ui.sign_in(make_account("administrator"))
    page = ui.page
    ui.goto(f"/volunteers/people/{person['id']}")
    consents = page.get_by_role("table", name="Samtycken")
    expect(consents).to_contain_text("(Via en länk)")
    expect(consents.get_by_role("button", name="Återkalla samtycket")).to_have_count(0)
    page.get_by_role("button", name="Begär registerutdrag").click()
    ui.check()
    ui.goto("/volunteers/rights")
    page.get_by_role("table", name="Begäranden").get_by_role("link", name="Registerutdrag").first.click()
    ui.check()
    request_url = page.url

    def complete() -> bool:
        page.goto(request_url)
        return "(alla tjänster har inte svarat än)" not in page.locator("main").inner_text()

    for _ in range(60):
        if complete():
            break
        page.wait_for_timeout(500)
    else:
        pytest.fail("the register extract was still waiting for a service after 30 s")
    expect(page.get_by_role("table", name="Tjänsternas svar")).to_be_visible()
    ui.check()
    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner registerutdraget (JSON)").click()
    held = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert person["name"] in json.dumps(held, ensure_ascii=False)
