"""Meetings in a real browser: plan a meeting, see the invitation in the local mailbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .conftest import AccessiblePage, Account

pytestmark = pytest.mark.browser


def test_plan_a_meeting_and_find_the_invitation_in_the_mailbox(
    ui: AccessiblePage, make_account: Callable[..., Account]
) -> None:
    ui.sign_in(make_account("staff"))
    ui.goto("/meetings/new")
    page = ui.page
    page.get_by_role("button", name="Spara mötet").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv vad mötet heter.")
    ui.check()
    day = (date.today() + timedelta(days=14)).isoformat()
    page.get_by_label("Vad heter mötet?").fill("Gemensam utvecklingsgrupp, webbtest")
    page.get_by_label("Datum").fill(day)
    page.get_by_label("Plats").fill("Bryggan")
    page.get_by_label("Vilka bjuds in?").fill("Leif Redestig, leif.redestig@example.se")
    page.get_by_role("button", name="Spara mötet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gemensam utvecklingsgrupp, webbtest")
    expect(page.get_by_role("status")).to_contain_text("Mötet är skapat")
    ui.check()
    ui.goto("/meetings")
    expect(page.get_by_role("table")).to_contain_text("Gemensam utvecklingsgrupp, webbtest")
    # The invitation travels meetings → outbox → NATS → notify → SMTP sink → Maildir.
    for _attempt in range(30):
        ui.page.goto("/dev/mailbox")
        if (
            page.get_by_role("table").count()
            and "leif.redestig@example.se" in page.get_by_role("table").inner_text()
        ):
            break
        page.wait_for_timeout(1000)
    expect(page.get_by_role("table")).to_contain_text("leif.redestig@example.se")
    ui.check()
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    ui.check()


def test_an_organisation_representative_cannot_plan_meetings(
    ui: AccessiblePage, make_account: Callable[..., Account]
) -> None:
    ui.sign_in(make_account("org_representative", organisation="ria"))
    ui.goto("/meetings")
    expect(ui.page.get_by_role("link", name="Planera ett möte")).to_have_count(0)
    ui.goto("/meetings/new")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Du har inte tillgång till sidan")
