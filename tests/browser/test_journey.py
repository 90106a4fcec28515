"""The meetings workflow in a real browser, as staff do it: organisations and a group, a series,
the agenda and attendance, minutes from draft to published, search, import of old minutes, the chart,
and what an organisation representative may not see. Every page passes axe-core's WCAG 2.1 AA rules."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from .conftest import SEED_MINUTES, AccessiblePage, Account

pytestmark = pytest.mark.browser


def _add_organisation(ui: AccessiblePage, name: str) -> str:
    page = ui.page
    ui.goto("/organisations")
    page.get_by_label("Namn").fill(name)
    page.get_by_role("button", name="Lägg till organisationen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    ui.check()
    return page.url.rsplit("/", 1)[1]


def _add_person(ui: AccessiblePage, name: str, email: str) -> None:
    page = ui.page
    page.get_by_label("Namn").fill(name)
    page.get_by_label("E-postadress").fill(email)
    page.get_by_role("button", name="Lägg till personen").click()
    expect(page.get_by_role("table")).to_contain_text(name)
    ui.check()


def _step(page: Page, button: str, flash: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_have_text(flash)


def test_the_meetings_journey(
    ui: AccessiblePage,
    make_account: Callable[..., Account],
    browser_page_for: Callable[[Account], AccessiblePage],
) -> None:
    run = uuid.uuid4().hex[:6]
    page = ui.page
    ui.sign_in(make_account("staff", name="Stina Staff"))

    # Organisations with people, and a group whose members they are.
    bryggan = _add_organisation(ui, f"Bryggan {run}")
    _add_person(ui, f"Herbert Tinz {run}", f"herbert.{run}@example.se")
    ria = _add_organisation(ui, f"Ria {run}")
    _add_person(ui, f"Bo Pettersson {run}", f"bo.{run}@example.se")
    ui.goto("/groups")
    page.get_by_label("Namn").fill(f"Gemensam utvecklingsgrupp {run}")
    page.get_by_label("Sort").select_option(label="Gemensam utvecklingsgrupp")
    page.get_by_role("button", name="Lägg till gruppen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Gemensam utvecklingsgrupp {run}")
    ui.check()
    for person in (f"Herbert Tinz {run}, Bryggan {run}", f"Bo Pettersson {run}, Ria {run}"):
        page.get_by_label("Person", exact=True).select_option(label=person)
        page.get_by_role("button", name="Lägg till medlemmen").click()
        expect(page.get_by_role("table")).to_contain_text(person.split(",")[0])
    ui.check()

    # A series: the group meets on the first Monday of the month.
    ui.goto("/series/new")
    page.get_by_label("Vad heter mötena?").fill(f"Utvecklingsgruppen {run}")
    page.get_by_label("Grupp").select_option(label=f"Gemensam utvecklingsgrupp {run}")
    page.get_by_label("Plats").fill("Bryggan")
    page.get_by_label("Första dagen serien gäller").fill(date.today().isoformat())
    page.get_by_label("Hur många möten?").fill("2")
    page.get_by_role("button", name="Spara mötesserien").click()
    expect(page.get_by_role("status")).to_contain_text("Mötesserien är skapad")
    ui.check()
    page.get_by_role("main").get_by_role("listitem").first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Utvecklingsgruppen {run}")
    ui.check()
    meeting_path = page.url.split("#")[0].removeprefix(page.url.split("/meetings/")[0])

    # The agenda, attendance and an action item.
    page.get_by_text("Lägg till en punkt").click()
    page.get_by_label("Rubrik", exact=True).fill("Fritidsbanken")
    page.get_by_label("Sorts punkt").select_option(label="Rapport från en arbetsgrupp")
    page.get_by_label("Minuter").fill("20")
    page.get_by_role("button", name="Lägg till punkten").click()
    expect(page.locator(".agenda")).to_contain_text("Fritidsbanken")
    ui.check()
    page.get_by_text("Lägg till en punkt").click()
    page.get_by_label("Rubrik", exact=True).fill("Klarspråk")
    page.get_by_role("button", name="Lägg till punkten").click()
    agenda = page.locator(".agenda > li")
    expect(agenda.nth(1)).to_contain_text("Klarspråk")
    # Reordering swaps the agenda in place with htmx (the CSRF token travels in a header).
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("button", name="Flytta upp: Klarspråk").click()
    expect(agenda.first).to_contain_text("Klarspråk")
    assert page.evaluate("window.stillTheSamePage") is True
    ui.check()
    page.get_by_role("button", name="Ta bort: Klarspråk").click()
    expect(agenda).to_have_count(1)
    # Times read the Swedish way, without seconds.
    expect(page.get_by_role("main")).to_contain_text(" kl. 13.30")
    expect(page.get_by_role("main")).not_to_contain_text(re.compile(r"\d:\d\d:\d\d"))
    # The roll call lists every member at once; one save records them all, and a guest too.
    roll_call = page.get_by_role("table", name="Upprop: markera för var och en om hen var där")
    expect(roll_call).to_contain_text(f"Herbert Tinz {run}")
    expect(roll_call).to_contain_text(f"Bo Pettersson {run}")
    page.get_by_label(f"Herbert Tinz {run}: Närvarande").check()
    page.get_by_label(f"Bo Pettersson {run}: Anmält förhinder").check()
    page.get_by_label("Gäster").fill(f"Per Skålén {run}, Karlstads universitet")
    page.get_by_role("button", name="Spara närvaron").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_label(f"Herbert Tinz {run}: Närvarande")).to_be_checked()
    expect(page.get_by_label(f"Bo Pettersson {run}: Anmält förhinder")).to_be_checked()
    expect(roll_call).to_contain_text(f"Per Skålén {run}")
    ui.check()
    page.get_by_text("Lägg till en uppgift").click()
    page.get_by_label("Vad ska göras?").fill("Kolla upp lokalen")
    page.get_by_label("Vem ansvarar?").fill("Martina")
    page.get_by_role("button", name="Lägg till uppgiften").click()
    expect(page.get_by_role("table", name="Uppgifter från mötet")).to_contain_text("Kolla upp lokalen")
    ui.check()
    page.get_by_role("button", name="Markera som klar: Kolla upp lokalen").click()
    expect(page.get_by_role("table", name="Uppgifter från mötet")).to_contain_text("Klar")

    # Minutes: write, send for review, approve, publish; then correct.
    page.get_by_role("button", name="Börja skriva protokollet").click()
    expect(page.get_by_role("status")).to_contain_text("Protokollet är påbörjat")
    ui.check()
    page.get_by_label("Vid pennan").fill("David")
    page.get_by_role("group", name="Avsnitt 1").get_by_label("Rubrik", exact=True).fill("Fritidsbanken")
    page.get_by_role("group", name="Avsnitt 1").get_by_label("Text", exact=True).fill(
        f"Vi pratade om mötena med idrottsföreningarna. Kod {run}."
    )
    page.get_by_label("Beslut", exact=True).fill("Vi beslutar att starta en fritidsbank.")
    page.get_by_role("button", name="Spara protokollet").click()
    expect(page.get_by_role("status")).to_have_text("Sparat.")
    ui.check()
    _step(page, "Skicka för granskning", "Protokollet är skickat för granskning.")
    ui.check()
    _step(page, "Godkänn protokollet", "Protokollet är godkänt.")
    _step(page, "Publicera protokollet", "Protokollet är publicerat.")
    expect(page.get_by_role("article")).to_contain_text("Vi beslutar att starta en fritidsbank.")
    ui.check()
    # The printable version, rendered by the meetings service, comes through the gateway.
    minutes_url = page.url
    page.get_by_role("link", name="Utskriftsvänlig version").click()
    expect(page.locator("body")).to_contain_text("Vid pennan")
    ui.check()
    page.goto(minutes_url)
    page.get_by_label("Vad ändrar rättelsen?").fill("Rättar stavningen av ett namn.")
    page.get_by_role("button", name="Gör en rättelse").click()
    expect(page.get_by_role("status")).to_contain_text("En rättelse är påbörjad")
    versions = page.get_by_role("table", name="Alla versioner av protokollet")
    expect(versions).to_contain_text("Publicerat")
    expect(versions).to_contain_text("Rättar stavningen av ett namn.")
    ui.check()

    # The registers across meetings.
    ui.goto("/decisions")
    expect(page.get_by_role("table")).to_contain_text("Vi beslutar att starta en fritidsbank.")
    ui.goto("/action-items?status=done")
    expect(page.get_by_role("table")).to_contain_text("Kolla upp lokalen")

    # Search finds "mötena" when asked for "möte", with the hit marked.
    ui.goto("/search")
    page.get_by_label("Sökord").fill(f"möte {run}")
    page.get_by_role("button", name="Sök").click()
    hits = page.locator(".hits")
    expect(hits).to_contain_text(f"Kod {run}")
    expect(hits.locator("mark").first).to_be_visible()
    ui.check()

    # The invitations to the series' meetings and the published minutes reached the group's members,
    # as the local mailbox page shows.
    for _attempt in range(40):
        page.goto("/dev/mailbox")
        inbox = page.get_by_role("main").inner_text()
        if f"herbert.{run}@example.se" in inbox and "Protokollet är klart" in inbox:
            break
        page.wait_for_timeout(1000)
    mailbox = page.get_by_role("table")
    expect(mailbox).to_contain_text(f"herbert.{run}@example.se")
    expect(mailbox).to_contain_text("Protokollet är klart")
    ui.check()
    mailbox.get_by_role("link", name=re.compile("Protokollet är klart")).first.click()
    expect(page.get_by_role("main")).to_contain_text("Mötet tog 1 beslut.")
    expect(page.get_by_role("main")).to_contain_text(f"{meeting_path}/minutes")
    ui.check()

    # The second meeting of the series is cancelled, with a reason.
    ui.goto("/series")
    page.get_by_role("link", name=f"Utvecklingsgruppen {run}").click()
    page.get_by_role("main").get_by_role("listitem").nth(1).get_by_role("link").click()
    page.get_by_text("Flytta eller ställ in mötet").click()
    page.get_by_label("Varför ställs mötet in?").fill("Lokalen är upptagen.")
    page.get_by_role("button", name="Ställ in mötet").click()
    expect(page.locator(".notice")).to_contain_text("Mötet är inställt. Lokalen är upptagen.")
    ui.check()

    # The chart of attendance by organisation, with its table.
    ui.goto("/statistics/attendance")
    expect(page.locator("svg[role=img]")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(f"Bryggan {run}")

    # A representative of Ria sees Ria, not Bryggan, and only Ria's attendance.
    rep = browser_page_for(make_account("org_representative", organisation=ria, name="Rut Representant"))
    rep.goto("/organisations")
    expect(rep.page.get_by_role("heading", level=1)).to_have_text(f"Ria {run}")
    rep.goto(f"/organisations/{bryggan}")
    expect(rep.page.get_by_role("heading", level=1)).to_have_text("Du har inte tillgång till sidan")
    rep.goto(meeting_path)
    rep_attendance = rep.page.get_by_role("table", name="Upprop: markera för var och en om hen var där")
    expect(rep_attendance).to_contain_text(f"Bo Pettersson {run}")
    expect(rep_attendance).not_to_contain_text(f"Herbert Tinz {run}")
    rep.goto("/meetings/new")
    expect(rep.page.get_by_role("heading", level=1)).to_have_text("Du har inte tillgång till sidan")


def test_import_a_seed_minutes_file_and_correct_it_before_saving(
    ui: AccessiblePage, make_account: Callable[..., Account]
) -> None:
    page = ui.page
    ui.sign_in(make_account("staff"))
    ui.goto("/imports")
    seed = SEED_MINUTES / "2016-03-07-gemensam-utvecklingsgrupp.txt"
    page.get_by_label("Fil med protokollet").set_input_files(str(seed))
    page.get_by_role("button", name="Läs in protokollet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Granska importen")
    ui.check()
    expect(page.get_by_label("Mötets datum")).to_have_value("2016-03-07")
    expect(page.get_by_label("Närvarande")).to_have_value(re.compile("Herbert Tinz, Bryggan"))
    expect(page.get_by_label("Vid pennan")).to_have_value("David")
    # Correct what the reader could not know: the minute-taker's full name and a missing organisation.
    page.get_by_label("Vid pennan").fill("David Bergström")
    attendees = page.get_by_label("Närvarande").input_value()
    page.get_by_label("Närvarande").fill(
        attendees.replace("Catrin Albrektsson\n", "Catrin Albrektsson, Ria\n")
    )
    page.get_by_role("button", name="Spara granskningen").click()
    expect(page.get_by_role("status")).to_contain_text("Granskningen är sparad")
    expect(page.get_by_label("Vid pennan")).to_have_value("David Bergström")
    ui.check()


def test_two_people_editing_the_same_minutes_never_overwrite_each_other(
    ui: AccessiblePage,
    make_account: Callable[..., Account],
    browser_page_for: Callable[[Account], AccessiblePage],
) -> None:
    page = ui.page
    ui.sign_in(make_account("staff"))
    ui.goto("/meetings/new")
    page.get_by_label("Vad heter mötet?").fill("Ledningsgrupp, samtidig redigering")
    page.get_by_label("Datum").fill(date.today().isoformat())
    page.get_by_role("button", name="Spara mötet").click()
    page.get_by_role("button", name="Börja skriva protokollet").click()
    expect(page.get_by_role("status")).to_contain_text("Protokollet är påbörjat")
    other = browser_page_for(make_account("staff"))
    other.goto(page.url)
    # Both have the same version open; the first to save wins, the second is told and loses nothing silently.
    page.get_by_label("Vid pennan").fill("Anna")
    page.get_by_role("button", name="Spara protokollet").click()
    expect(page.get_by_role("status")).to_have_text("Sparat.")
    other.page.get_by_label("Vid pennan").fill("Bo")
    other.page.get_by_role("button", name="Spara protokollet").click()
    expect(other.page.get_by_role("alert")).to_contain_text("Någon annan har ändrat det här")
    expect(other.page.get_by_label("Vid pennan")).to_have_value("Bo")
    other.check()
