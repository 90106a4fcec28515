"""Events in a real browser, checked with axe: staff plan and publish an event with its programme; a
visitor with no account registers on a phone, by keyboard only."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.sync_api import Browser, expect

from backbone.identity import Identity
from backbone.testing import run_async
from devstack.stack import Stack

from .conftest import AccessiblePage, Account

pytestmark = pytest.mark.browser


def test_staff_plan_publish_and_fill_an_event(
    ui: AccessiblePage, make_account: Callable[..., Account]
) -> None:
    ui.sign_in(make_account("staff"))
    ui.goto("/events/new")
    page = ui.page
    page.get_by_role("button", name="Spara evenemanget").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv vad evenemanget heter.")
    ui.check()
    title = f"Utvecklingsdag {uuid.uuid4().hex[:6]}"
    page.get_by_label("Vad heter evenemanget?").fill(title)
    page.get_by_label("Datum", exact=True).fill((date.today() + timedelta(days=20)).isoformat())
    page.get_by_label("Börjar klockan").fill("09:00")
    page.get_by_label("Slutar klockan").fill("15:00")
    page.get_by_label("Plats", exact=True).fill("Stadshuset")
    page.get_by_label("Antal platser").fill("40")
    page.get_by_label("Fråga om mat och allergier").check()
    page.get_by_role("button", name="Spara evenemanget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    ui.check()
    page.get_by_role("button", name="Publicera evenemanget").click()
    expect(page.get_by_role("status")).to_contain_text("Sparat")
    expect(page.locator("main")).to_contain_text("Publicerat")
    ui.check()
    page.get_by_text("Lägg till en programpunkt").click()
    programme = page.locator("#programme-section")
    programme.get_by_label("Börjar klockan").fill("09:00")
    programme.get_by_label("Slutar klockan").fill("09:30")
    programme.get_by_label("Vad händer?").fill("Välkommen och inledning")
    programme.get_by_role("button", name="Lägg till programpunkten").click()
    expect(page.get_by_role("table", name="Programmet")).to_contain_text("Välkommen och inledning")
    page.get_by_text("Anmäl någon").click()
    registrations = page.locator("#registrations-section")
    registrations.get_by_label("Namn").fill("Leif Redestig")
    registrations.get_by_label("E-postadress").fill(f"leif-{uuid.uuid4().hex[:6]}@example.se")
    registrations.get_by_role("button", name="Anmäl personen").click()
    expect(page.get_by_role("table", name="De som har plats")).to_contain_text("Leif Redestig")
    ui.check()


def _published_event(stack: Stack) -> dict[str, object]:
    day = (date.today() + timedelta(days=10)).isoformat()
    headers = stack.system_headers("events")
    with httpx.Client(base_url=stack.url("events"), headers=headers, timeout=30) as events:
        created = events.post(
            "/v1/events",
            json={
                "title": f"Var med och påverka {uuid.uuid4().hex[:6]}",
                "starts_at": f"{day}T12:30:00",
                "ends_at": f"{day}T16:00:00",
                "venue_name": "Yrkeshögskolan",
                "venue_address": "Rönnowsgatan 8",
                "capacity": 30,
                "asks_accessibility": True,
                "asks_food": True,
            },
        )
        assert created.status_code == 201, created.text
        published = events.post(f"/v1/events/{created.json()['id']}/publish")
        assert published.status_code == 200, published.text
        return published.json()


def test_a_visitor_registers_on_a_phone_by_keyboard_only(browser: Browser, stack: Stack) -> None:
    event = _published_event(stack)
    ctx = browser.new_context(
        base_url=stack.url("gateway"), viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(15_000)
    try:
        ui = AccessiblePage(ctx.new_page())
        ui.goto("/evenemang")
        page = ui.page
        page.get_by_role("link", name=str(event["title"])).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(str(event["title"]))
        ui.check()
        # Nothing is wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # The trap for robots is neither visible nor reachable.
        expect(page.locator("input[name=website]")).to_be_hidden()

        page.get_by_label("Ditt namn").focus()
        page.keyboard.type("Kerstin Ek")
        page.keyboard.press("Tab")
        expect(page.get_by_label("E-postadress")).to_be_focused()
        page.keyboard.type("kerstin@example.se")
        page.keyboard.press("Tab")
        expect(page.get_by_label("Telefonnummer")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_label("Tolk")).to_be_focused()
        page.keyboard.press("Space")
        for _ in range(3):
            page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.get_by_label("Mat och allergier (frivilligt)")).to_be_focused()
        page.keyboard.type("Vegetariskt")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Skicka anmälan")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Tack för din anmälan")
        ui.check()
    finally:
        ctx.close()
    with httpx.Client(base_url=stack.url("events"), headers=stack.system_headers("events")) as events:
        people = events.get(f"/v1/events/{event['id']}/registrations").json()["items"]
    assert [(p["name"], p["accessibility"], p["food"]) for p in people] == [
        ("Kerstin Ek", ["interpreter"], "Vegetariskt")
    ]


def _offer_tokens(stack: Stack, registration_id: str) -> dict[str, str]:
    """The links of the newest offer to a registration, as the offer's mail would carry them."""

    async def read() -> dict[str, str]:
        conn = await asyncpg.connect(stack.postgres.dsn("events"))
        try:
            rows = await conn.fetch(
                "SELECT envelope::text AS e FROM outbox WHERE subject = 'events.offer.made.v1' ORDER BY id"
            )
        finally:
            await conn.close()
        offers = [json.loads(r["e"])["data"] for r in rows]
        return [o for o in offers if o["registration_id"] == registration_id][-1]

    return run_async(read())


def test_the_personal_link_pages_show_on_get_and_act_only_on_the_button(
    ui: AccessiblePage, stack: Stack
) -> None:
    """A mail scanner that follows a link changes nothing; the person sees what the link is for, in
    plain words, and presses the button. Each page passes axe, and works by keyboard."""
    event = _published_event(stack)
    headers = stack.system_headers("events")
    with httpx.Client(base_url=stack.url("events"), headers=headers, timeout=30) as events:
        events.patch(f"/v1/events/{event['id']}", json={"capacity": 1}).raise_for_status()
        url = f"/v1/events/{event['id']}/registrations"
        first = events.post(url, json={"name": "Först", "email": f"a-{uuid.uuid4().hex[:6]}@example.se"})
        second = events.post(url, json={"name": "Sedan", "email": f"b-{uuid.uuid4().hex[:6]}@example.se"})
        first.raise_for_status()
        second.raise_for_status()

        def status_of(reg_id: str) -> str:
            people = events.get(url).json()["items"]
            return str(next(p["status"] for p in people if p["id"] == reg_id))

        page = ui.page
        ui.goto(f"/evenemang/avboka?token={first.json()['cancel_token']}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Avboka din plats")
        expect(page.locator("main")).to_contain_text(str(event["title"]))
        assert status_of(first.json()["id"]) == "registered", "opening the link must not cancel"
        page.get_by_role("button", name="Ja, avboka min plats").focus()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_contain_text("Din plats är avbokad")
        ui.check()
        assert status_of(first.json()["id"]) == "cancelled"

        offer = _offer_tokens(stack, second.json()["id"])
        ui.goto(f"/evenemang/erbjudande/nej?token={offer['decline_token']}")
        expect(page.get_by_role("button", name="Nej tack, ge platsen till någon annan")).to_be_visible()
        ui.goto(f"/evenemang/erbjudande/ja?token={offer['confirm_token']}")
        expect(page.locator("main")).to_contain_text("Erbjudandet gäller till")
        assert status_of(second.json()["id"]) == "offered", "opening the links must not answer"
        page.get_by_role("button", name="Ja, jag tar platsen").click()
        expect(page.locator("main")).to_contain_text("Platsen är din")
        ui.check()
        assert status_of(second.json()["id"]) == "registered"
        # The used link again: a plain answer, no button.
        ui.goto(f"/evenemang/erbjudande/nej?token={offer['decline_token']}")
        expect(page.locator("main")).to_contain_text("redan tackat ja")
        expect(page.get_by_role("button", name="Nej tack, ge platsen till någon annan")).to_have_count(0)


def test_a_representative_makes_the_secret_calendar_link_and_a_new_one_ends_the_old(
    browser_page_for: Callable[[Account], AccessiblePage], make_account: Callable[..., Account], stack: Stack
) -> None:
    staff = Identity(subject="seed-staff", roles=("staff",), name="Seed")
    made = httpx.post(
        stack.url("meetings") + "/v1/organisations",
        json={"name": f"Kalenderföreningen {uuid.uuid4().hex[:6]}", "kind": "user_organisation"},
        headers=stack.headers_as(staff, "meetings"),
    )
    assert made.status_code == 201, made.text
    organisation = made.json()["id"]
    representative = make_account("org_representative", organisation=organisation, name="Kalle Kalender")
    rep = browser_page_for(representative)
    page = rep.page
    rep.goto(f"/organisations/{organisation}")
    page.get_by_role("button", name="Skapa en ny hemlig länk").click()
    shown = page.get_by_role("status")
    expect(shown).to_contain_text("visas bara den här gången")
    rep.check()
    first = page.get_by_role("status").locator("code").first.inner_text()
    assert "/feeds/private/" in first and first.endswith("/events.ics")
    webcal = page.get_by_role("status").locator('a[href^="webcal:"]').get_attribute("href")
    assert webcal is not None and webcal.removeprefix("webcal://") == first.split("://", 1)[1]
    feed = httpx.get(first)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")

    page.get_by_role("button", name="Skapa en ny hemlig länk").click()
    expect(page.get_by_role("status")).to_contain_text("En tidigare länk fungerar inte längre")
    second = page.get_by_role("status").locator("code").first.inner_text()
    assert second != first
    assert httpx.get(first).status_code == 404
    assert httpx.get(second).status_code == 200


def test_staff_check_people_in_at_the_door_on_a_phone_and_export_the_list(
    browser: Browser, stack: Stack, make_account: Callable[..., Account]
) -> None:
    """The door: staff on a phone find a registered person by part of the name, check them in once,
    add a walk-in; then the export page and its file. Each page passes axe."""
    event = _published_event(stack)
    with httpx.Client(base_url=stack.url("events"), headers=stack.system_headers("events")) as events:
        for name in ("Birgitta Holm", "Ahmed Karimi"):
            made = events.post(f"/v1/events/{event['id']}/registrations",
                               json={"name": name, "email": f"{uuid.uuid4().hex[:8]}@example.se"})
            assert made.status_code == 201, made.text
    ctx = browser.new_context(
        base_url=stack.url("gateway"), viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(15_000)
    try:
        ui = AccessiblePage(ctx.new_page())
        ui.sign_in(make_account("staff"))
        page = ui.page
        ui.goto(f"/events/{event['id']}/check-in")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.get_by_label("Sök på namn").fill("holm")
        page.get_by_role("button", name="Sök", exact=True).click()
        people = page.get_by_role("region", name="De som har plats")
        expect(people).to_contain_text("Birgitta Holm")
        expect(people).not_to_contain_text("Ahmed Karimi")
        ui.check()
        page.get_by_role("button", name="Checka in Birgitta Holm").click()
        expect(page.locator("main")).to_contain_text("Incheckad")
        ui.check()
        page.get_by_label("Namn", exact=True).fill("Gunnel Ström")
        page.get_by_role("button", name="Lägg till och checka in").click()
        expect(page.locator("main")).to_contain_text("Gunnel Ström")
        ui.check()
        ui.goto(f"/events/{event['id']}/export")
        with page.expect_download() as download:
            page.get_by_role("link", name="Ladda ner anmälningarna (CSV)").click()
        csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
        assert "Birgitta Holm" in csv and "Ahmed Karimi" in csv and "Gunnel Ström" in csv
    finally:
        ctx.close()
    with httpx.Client(base_url=stack.url("events"), headers=stack.system_headers("events")) as events:
        rows = events.get(f"/v1/events/{event['id']}/registrations").json()["items"]
    checked = {r["name"]: r["checked_in_at"] is not None for r in rows}
    assert checked == {"Birgitta Holm": True, "Ahmed Karimi": False, "Gunnel Ström": True}


def test_a_two_day_timetable_prints_without_the_menus_and_a_new_time_is_kept_in_the_history(
    ui: AccessiblePage, make_account: Callable[..., Account], stack: Stack
) -> None:
    """CurioCity over two days: the timetable has one table a day and prints without menus and buttons;
    staff edit a programme item from it, move the event (the history shows it), copy it to a new date
    and cancel it with a reason. Each page passes axe."""
    first_day = date.today() + timedelta(days=30)
    second_day = first_day + timedelta(days=1)
    title = f"CurioCity Mashup {uuid.uuid4().hex[:6]}"
    headers = stack.system_headers("events")
    with httpx.Client(base_url=stack.url("events"), headers=headers, timeout=30) as api:
        made = api.post(
            "/v1/events",
            json={
                "title": title,
                "starts_at": f"{first_day}T10:00:00",
                "ends_at": f"{second_day}T16:00:00",
                "venue_name": "Arenan",
            },
        )
        assert made.status_code == 201, made.text
        event_id = made.json()["id"]
        for day, start, end, what in (
            (first_day, "10:00", "12:00", "Vi visar våra projekt"),
            (second_day, "13:00", "14:00", "Panelsamtal om innovation"),
        ):
            item = api.post(
                f"/v1/events/{event_id}/programme",
                json={"starts_at": f"{day}T{start}:00", "ends_at": f"{day}T{end}:00", "title": what},
            )
            assert item.status_code == 201, item.text
        api.post(f"/v1/events/{event_id}/publish").raise_for_status()

    ui.sign_in(make_account("staff"))
    page = ui.page
    ui.goto(f"/events/{event_id}/programme")
    days = page.locator("table.timetable")
    expect(days).to_have_count(2)
    expect(days.nth(0)).to_contain_text("Vi visar våra projekt")
    expect(days.nth(1)).to_contain_text("Panelsamtal om innovation")
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Ändra Vi visar våra projekt")).to_be_hidden()
    expect(page.get_by_role("link", name="Tillbaka till evenemanget")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.emulate_media(media="screen")

    edit = page.get_by_role("link", name="Ändra Panelsamtal om innovation")
    edit.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/edit")
    ui.check()
    page.get_by_label("Rum").fill("Sal B")
    page.get_by_label("Rum").press("Enter")
    page.wait_for_url(lambda url: not url.endswith("/edit"))
    expect(page.locator("main")).to_contain_text("Sal B")
    ui.check()

    ui.goto(f"/events/{event_id}/edit")
    page.get_by_label("Börjar klockan").fill("11:00")
    page.get_by_role("button", name="Spara evenemanget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    history = page.get_by_role("region", name="Ändringar som de anmälda har fått veta")
    expect(history).to_contain_text("Ny tid")
    ui.check()

    page.get_by_label("Nytt datum för en kopia").fill((first_day + timedelta(days=365)).isoformat())
    page.get_by_role("button", name="Kopiera evenemanget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("button", name="Publicera evenemanget")).to_be_visible()
    expect(page.get_by_role("table", name="Programmet")).to_contain_text("Panelsamtal om innovation")
    ui.check()

    ui.goto(f"/events/{event_id}")
    page.get_by_label("Varför ställs evenemanget in?").fill("Arenan är stängd")
    page.get_by_role("button", name="Ställ in evenemanget").click()
    expect(history).to_contain_text("Inställt")
    ui.check()
