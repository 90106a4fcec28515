"""Webhooks in a real browser, checked with axe: an organisation's representative adds an endpoint,
keeps the secret shown once, sends a test event that a receiver on this machine verifies with
`standardwebhooks`, reads the delivery log, sends a delivery again and changes the secret."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from backbone.testing import eventually, run_async

from .conftest import AccessiblePage, Account

pytestmark = pytest.mark.browser


class Receiver(ThreadingHTTPServer):
    """An organisation's server on this machine (the devstack allows local receivers)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.got: list[tuple[dict[str, str], str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        self.server.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_representative_adds_an_endpoint_tests_it_and_reads_the_log(
    ui: AccessiblePage, make_account: Callable[..., Account], receiver: Receiver
) -> None:
    ui.sign_in(make_account("org_representative", organisation=str(uuid.uuid4())))
    page = ui.page
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    ui.check()
    page.get_by_role("button", name="Lägg till webhooken").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv mottagarens webbadress")
    ui.check()
    page.get_by_label("Mottagarens webbadress").fill(receiver.url)
    page.get_by_label("E-post till en kontaktperson").fill("it@bryggan.example.se")
    page.get_by_label("Ett evenemang har publicerats").check()
    page.get_by_role("button", name="Lägg till webhooken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooken är tillagd")
    ui.check()
    secret = page.get_by_label("Hemlig nyckel").input_value()
    assert secret.startswith("whsec_")

    page.get_by_role("link", name="Gå till webhooken").click()
    ui.check()
    page.get_by_role("button", name="Skicka ett testmeddelande").click()
    expect(page.get_by_role("status")).to_contain_text("Ett testmeddelande är på väg")
    run_async(eventually(lambda: receiver.got, "the receiver got the test event", timeout=20))
    headers, body = receiver.got[0]
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"

    # The worker records the answer just after the receiver got it: reload until the log says so.
    deadline = time.monotonic() + 20
    while "Levererat" not in page.locator("main").inner_text():
        assert time.monotonic() < deadline, "the log never said delivered"
        page.wait_for_timeout(300)
        page.reload()
    ui.check()
    page.get_by_role("button", name=re.compile("^Skicka leveransen från")).first.click()
    expect(page.get_by_role("status")).to_contain_text("Leveranserna skickas igen")
    run_async(eventually(lambda: len(receiver.got) == 2, "the delivery came again", timeout=20))
    assert receiver.got[1][0]["webhook-id"] == headers["webhook-id"]
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Leverans")
    ui.check()
    page.get_by_role("link", name="Tillbaka till webhooken").click()
    page.get_by_role("button", name="Byt hemlig nyckel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ny hemlig nyckel")
    ui.check()
    assert page.get_by_label("Hemlig nyckel").input_value() != secret
