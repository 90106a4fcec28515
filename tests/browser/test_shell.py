"""The shell in a real browser: signing in, the language switch, refusals, on pages without axe violations."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from .conftest import AccessiblePage, Account

pytestmark = pytest.mark.browser


def test_sign_in_shows_the_start_page(ui: AccessiblePage, make_account: Callable[..., Account]) -> None:
    account = make_account("staff", name="Sara Staff")
    ui.sign_in(account)
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Hej Sara Staff")
    expect(ui.page.get_by_role("status")).to_have_text("Du är inloggad.")


def test_the_start_page_shows_an_administrator_every_card_with_its_link(
    ui: AccessiblePage, make_account: Callable[..., Account]
) -> None:
    ui.sign_in(make_account("administrator", name="Ada Admin"))  # axe runs on the start page
    for heading, link in (
        ("Kommande evenemang", "Alla evenemang"),
        ("Öppna förfrågningar om frivilliga", "Alla förfrågningar"),
        ("Intyg som går ut inom 30 dagar", "Alla frivilliga"),
        ("Utskick som inte går fram", "Alla utskick"),
    ):
        card = ui.page.get_by_role("region", name=heading)
        expect(card).to_be_visible()
        expect(card.get_by_role("link", name=link)).to_be_visible()


def test_a_wrong_password_shows_an_error_summary_linked_to_the_field(ui: AccessiblePage) -> None:
    ui.goto("/sign-in")
    ui.page.get_by_label("E-postadress").fill("nobody@example.se")
    ui.page.get_by_label("Lösenord").fill("not the password")
    ui.page.get_by_role("button", name="Logga in").click()
    summary = ui.page.get_by_role("alert")
    expect(summary).to_contain_text("stämmer inte")
    summary.get_by_role("link").click()
    expect(ui.page.get_by_label("E-postadress")).to_be_focused()
    ui.check()


def test_switching_to_english_and_back(ui: AccessiblePage, make_account: Callable[..., Account]) -> None:
    ui.sign_in(make_account("staff"))
    ui.page.get_by_role("button", name="English").click()
    expect(ui.page.locator("html")).to_have_attribute("lang", "en")
    expect(ui.page.get_by_role("navigation", name="Main menu")).to_contain_text("Meetings")
    ui.check()
    ui.page.get_by_role("button", name="Svenska").click()
    expect(ui.page.locator("html")).to_have_attribute("lang", "sv")
    ui.check()


def test_keyboard_users_can_skip_to_the_content(ui: AccessiblePage) -> None:
    ui.goto("/accessibility")
    ui.page.keyboard.press("Tab")
    skip = ui.page.get_by_role("link", name="Hoppa till innehållet")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    ui.page.keyboard.press("Enter")
    expect(ui.page.locator("main")).to_be_focused()


def test_the_accessibility_statement_is_public(ui: AccessiblePage) -> None:
    ui.goto("/accessibility")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Tillgänglighet för Delaktig")


def test_an_organisation_representative_is_refused_administration(
    ui: AccessiblePage, make_account: Callable[..., Account]
) -> None:
    ui.sign_in(make_account("org_representative", organisation="bryggan"))
    expect(ui.page.get_by_role("navigation", name="Huvudmeny")).not_to_contain_text("Administration")
    ui.goto("/admin/users")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Du har inte tillgång till sidan")


def test_an_administrator_adds_a_user_and_sees_it_in_the_audit_log(
    ui: AccessiblePage, make_account: Callable[..., Account]
) -> None:
    ui.sign_in(make_account("administrator"))
    ui.goto("/admin/users/new")
    ui.page.get_by_role("button", name="Spara").click()
    expect(ui.page.get_by_role("alert")).to_be_visible()
    ui.check()
    ui.page.get_by_label("E-postadress").fill("ny.person@example.se")
    ui.page.get_by_label("Namn", exact=True).fill("Ny Person")
    ui.page.get_by_label("Lösenord").fill("ett långt lösenord 2026")
    ui.page.get_by_label("Personal").check()
    ui.page.get_by_role("button", name="Spara").click()
    expect(ui.page.get_by_role("status")).to_have_text("Användaren är skapad.")
    ui.check()
    ui.goto("/admin/audit")
    expect(ui.page.get_by_role("table")).to_contain_text("ny.person@example.se")
    # The filter updates the table with htmx, without loading the page again.
    page = ui.page
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Händelse", exact=True).select_option(label="Skapade en användare")
    page.get_by_role("button", name="Visa", exact=True).click()
    expect(page).to_have_url(re.compile("action=user_created"))
    expect(page.get_by_role("table")).not_to_contain_text("Loggade in")
    assert page.evaluate("window.stillTheSamePage") is True
    ui.check()


def test_pages_work_at_phone_width(ui: AccessiblePage, make_account: Callable[..., Account]) -> None:
    ui.page.set_viewport_size({"width": 375, "height": 740})
    ui.sign_in(make_account("administrator", "staff"))
    for path in (
        "/",
        "/meetings",
        "/meetings/new",
        "/search",
        "/admin/users",
        "/admin/audit",
        "/accessibility",
    ):
        ui.goto(path)
        # Wide tables scroll inside their own box; the page itself never scrolls sideways.
        assert ui.page.evaluate("document.documentElement.scrollWidth") <= 375, path
