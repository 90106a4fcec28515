"""Email template previews in a real browser, checked with axe: an administrator finds the page in
the menu, opens a template in Swedish, switches to English, by keyboard only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from .conftest import AccessiblePage, Account

pytestmark = pytest.mark.browser


def test_an_administrator_previews_an_email_in_both_languages(
    ui: AccessiblePage, make_account: Callable[..., Account]
) -> None:
    ui.sign_in(make_account("administrator"))
    page = ui.page
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Mejlmallar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mejlmallar")
    ui.check()
    expect(page.get_by_role("table", name="Mejl som vi skickar")).to_contain_text("offer_made")
    link = page.locator('a[href="/email-templates/offer_made?language=sv"]')
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mejlmall: offer_made")
    expect(page.locator("main")).to_contain_text("Vill du ha en plats? Träff om bostäder måndag 13 mars")
    expect(
        page.frame_locator("iframe[title='Mejlet som webbsida']").get_by_role("link", name="Nej tack")
    ).to_be_visible()
    ui.check()
    page.get_by_role("link", name="Visa på engelska").click()
    expect(page.locator("main")).to_contain_text("Do you want a place?")
    ui.check()
