"""Dead letters in a real browser, checked with axe: a message notify cannot read is kept with its
reason; an administrator finds it among every service's, filters by service, tries it again (it
fails the same way, and the page says so) and discards it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx
import nats
import pytest
from playwright.sync_api import expect

from backbone.envelope import new_envelope
from backbone.identity import Identity
from backbone.testing import run_async
from devstack.stack import Stack

from .conftest import AccessiblePage, Account

pytestmark = pytest.mark.browser
SUBJECT = "events.event.cancelled.v1"


async def _publish_unreadable(stack: Stack, marker: str) -> None:
    """An event as the events service would publish it, but without the fields notify reads."""
    env = new_envelope(
        subject=SUBJECT, source="/events", data={"marker": marker}, aggregate=None, correlation_id=None
    )
    nc = await nats.connect(stack.nats.url)
    try:
        await nc.jetstream().publish(SUBJECT, env.to_json(), headers={"Nats-Msg-Id": env.id})
    finally:
        await nc.close()


def test_an_administrator_sees_a_dead_letter_tries_it_again_and_discards_it(
    ui: AccessiblePage, make_account: Callable[..., Account], stack: Stack
) -> None:
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    run_async(_publish_unreadable(stack, marker))
    ui.sign_in(make_account("administrator"))
    page = ui.page
    letter = page.locator("li", has_text=marker)

    # notify dead-letters it soon after it arrives: reload until the page shows it.
    deadline = time.monotonic() + 30
    page.goto("/admin/dead-letters?service=notify")
    while letter.count() != 1:
        assert time.monotonic() < deadline, "the dead letter never showed on the page"
        page.wait_for_timeout(300)
        page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meddelanden som fastnat")
    ui.check()
    expect(letter).to_contain_text("notify")
    expect(letter).to_contain_text(SUBJECT)
    expect(letter).to_contain_text("cannot read")
    letter.get_by_text("Innehåll").click()
    expect(letter.locator("pre")).to_contain_text(marker)
    ui.check()

    # Another service's filter does not show it.
    page.get_by_label("Tjänst").select_option("meetings")
    page.get_by_role("button", name="Visa").click()
    expect(page.locator("li", has_text=marker)).to_have_count(0)
    ui.check()

    page.goto("/admin/dead-letters")
    letter.get_by_role("button", name="Försök igen").click()
    expect(page.get_by_role("status")).to_contain_text("Det gick inte den här gången heller")
    expect(letter).to_contain_text("Dead-lettered again")
    ui.check()

    letter.get_by_role("button", name="Klart, kasta").click()
    expect(page.get_by_role("status")).to_contain_text("Meddelandet är kastat")
    expect(page.locator("li", has_text=marker)).to_have_count(0)
    page.get_by_label("Visa även de som är klara").check()
    page.get_by_role("button", name="Visa").click()
    expect(letter).to_contain_text("Kastat")
    expect(letter.get_by_role("button")).to_have_count(0)
    ui.check()


def test_a_person_who_is_not_an_administrator_cannot_see_dead_letters(
    ui: AccessiblePage, make_account: Callable[..., Account], stack: Stack
) -> None:
    ui.sign_in(make_account("staff"))
    response = ui.page.goto("/admin/dead-letters")
    assert response is not None and response.status == 403
    identity_refused = run_async(_as_staff(stack))
    assert identity_refused == 403


async def _as_staff(stack: Stack) -> int:
    headers = stack.headers_as(Identity(subject="staff-1", roles=("staff",)), "notify")
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{stack.url('notify')}/v1/admin/dead-letters/1/replay", headers=headers)
    return answer.status_code
