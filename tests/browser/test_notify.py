"""Email pages in a real browser, checked with axe: a person with no account changes their email
choices on a phone, by keyboard only, from the link in an email; staff search the delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, expect

from backbone.identity import Identity
from backbone.testing import eventually, run_async
from devstack.stack import Stack
from notify.links import preferences_url
from notify.settings import Settings as NotifySettings

from .conftest import AccessiblePage, Account

pytestmark = pytest.mark.browser


def _preferences_path(stack: Stack, address: str) -> str:
    # The stack runs in development: notify signs with its development secret, as here.
    settings = NotifySettings(environment="development", public_url=stack.url("gateway"))
    parts = urlsplit(preferences_url(settings, address))
    return f"{parts.path}?{parts.query}"


def test_a_person_changes_their_email_choices_on_a_phone_by_keyboard_only(
    browser: Browser, stack: Stack
) -> None:
    address = f"kerstin-{uuid.uuid4().hex[:6]}@example.se"
    ctx = browser.new_context(
        base_url=stack.url("gateway"), viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(15_000)
    try:
        ui = AccessiblePage(ctx.new_page())
        ui.goto(_preferences_path(stack, address))
        page = ui.page
        expect(page.get_by_role("heading", level=1)).to_have_text("Dina val för e-post")
        expect(page.locator("main")).to_contain_text(address)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, "nothing wider than the phone"

        minutes = page.get_by_role("group", name="Protokoll från möten")
        minutes.get_by_label("Direkt, ett mejl för varje meddelande").focus()
        page.keyboard.press("ArrowDown")  # a radio group moves by arrow keys
        expect(minutes.get_by_label("En gång om dagen, samlat i ett mejl")).to_be_checked()
        page.get_by_label("Klockan").focus()
        page.keyboard.press("End")  # 23.00
        page.get_by_role("button", name="Spara mina val").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("Sparat")
        expect(
            page.get_by_role("group", name="Protokoll från möten").get_by_label(
                "En gång om dagen, samlat i ett mejl"
            )
        ).to_be_checked()
        expect(page.get_by_label("Klockan")).to_have_value("23")
        ui.check()
    finally:
        ctx.close()


def test_the_unsubscribe_link_shows_a_button_and_says_what_it_did(ui: AccessiblePage, stack: Stack) -> None:
    from notify.links import signer_for, unsubscribe_url

    settings = NotifySettings(environment="development", public_url=stack.url("gateway"))
    link = unsubscribe_url(signer_for(settings), settings.public_url, "eva@example.se", "reminders")
    parts = urlsplit(link)
    ui.goto(f"{parts.path}?{parts.query}")
    page = ui.page
    page.get_by_role("button", name="Sluta skicka sådana mejl").click()
    expect(page.get_by_role("status")).to_contain_text("Påminnelser om evenemang")
    ui.check()


def test_an_administrator_searches_the_delivery_log(
    ui: AccessiblePage, stack: Stack, make_account: Callable[..., Account]
) -> None:
    address = f"leif-{uuid.uuid4().hex[:6]}@example.se"
    starts = datetime.now(UTC) + timedelta(days=7)
    meeting = {
        "title": f"Gemensam utvecklingsgrupp {uuid.uuid4().hex[:6]}",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "place": "Bryggan",
        "invitees": [{"name": "Leif", "email": address}],
    }
    created = httpx.post(
        stack.url("meetings") + "/v1/meetings",
        json=meeting,
        headers=stack.system_headers("meetings"),
        timeout=30,
    )
    assert created.status_code == 201, created.text

    def logged() -> bool:
        admin = Identity(subject="browser-test", roles=("administrator",))
        with httpx.Client(base_url=stack.url("notify"), headers=stack.headers_as(admin, "notify")) as notify:
            return notify.get("/v1/deliveries", params={"recipient": address}).json()["total"] == 1

    run_async(eventually(logged, "the invitation in the delivery log", timeout=30))
    # The delivery log holds everyone's addresses: administrators only.
    ui.sign_in(make_account("administrator"))
    ui.goto("/deliveries")
    page = ui.page
    page.get_by_label("E-postadress").fill(address)
    page.get_by_role("button", name="Sök").click()
    expect(page.get_by_role("table")).to_contain_text(address)
    ui.check()
    page.get_by_role("link", name=address).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(address)
    ui.check()
