"""The webhook pages through the gateway on the real notify service: a representative adds an
endpoint and sees its secret once, sends a test event that a real local receiver verifies with
`standardwebhooks`, reads the delivery log and replays; another organisation sees none of it."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from standardwebhooks.webhooks import Webhook

from backbone.db import create_pool
from backbone.identity import KeyFiles
from gateway.app import create_app
from gateway.settings import MIGRATIONS_DIR, Settings
from notify.app import create_app as create_notify_app
from notify.settings import MIGRATIONS_DIR as NOTIFY_MIGRATIONS_DIR
from notify.settings import Settings as NotifySettings
from notify.webhooks.delivery import WebhookDeliverer

from .conftest import LiveServer, csrf_of, run, signed_in_as

BRYGGAN = str(uuid.uuid4())
RIA = str(uuid.uuid4())


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], str]] = []
        self.answers: list[int] = []
        self.app = FastAPI()

        @self.app.post("/hook")
        async def hook(request: Request) -> PlainTextResponse:
            self.got.append((dict(request.headers), (await request.body()).decode()))
            return PlainTextResponse("ok", status_code=self.answers.pop(0) if self.answers else 200)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, LiveServer]]:
    receiver = Receiver()
    with LiveServer(receiver.app) as server:
        yield receiver, server


@pytest.fixture(scope="module")
def notify_settings(
    lasting_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles
) -> NotifySettings:
    return NotifySettings(
        database_url=lasting_database("notify", NOTIFY_MIGRATIONS_DIR),
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        environment="test",
        # The receiver is on this machine: the guard's explicit allowance for local development.
        webhooks_allow_private=True,
        # The test runs the delivery worker itself.
        run_consumers=False,
        run_relay=False,
    )


@pytest.fixture(scope="module")
def gateway_settings(
    lasting_database: Callable[..., str],
    nats_server: Any,
    notify_settings: NotifySettings,
    identity_keys: KeyFiles,
) -> Iterator[Settings]:
    with LiveServer(create_notify_app(notify_settings)) as notify:
        yield Settings(
            database_url=lasting_database("gateway", MIGRATIONS_DIR),
            nats_url=nats_server.url,
            environment="test",
            notify_url=notify.url,
            identity_signing_key=str(identity_keys.signing),
            relay_poll_seconds=0.2,
        )


@pytest.fixture(scope="module")
def gateway(gateway_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(gateway_settings)) as server:
        yield server


def deliver(settings: NotifySettings) -> int:
    async def go() -> int:
        pool = await create_pool(settings.database_url)
        try:
            worker = WebhookDeliverer(pool=pool, settings=settings)
            async with worker.session() as session:
                return await worker.deliver_due(session)
        finally:
            await pool.close()

    return run(go())


def text(page: Any) -> str:
    return html.unescape(page.text)


def add_endpoint(client: Any, url: str) -> tuple[str, str]:
    """Add an endpoint through the form; its id and the secret the page showed once."""
    page = client.get("/webhooks")
    assert page.status_code == 200, page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "url": url,
        "description": "Vårt ärendesystem",
        "contact_email": "it@bryggan.example.se",
        "topics": ["event.published", "registration.created"],
    }
    shown = client.post("/webhooks", data=form)
    assert shown.status_code == 200, shown.text
    assert "Vi visar den bara den här gången" in text(shown)
    secret = re.search(r'value="(whsec_[^"]+)"', shown.text)
    endpoint = re.search(r'href="/webhooks/([0-9a-f-]{36})"', shown.text)
    assert secret and endpoint
    return endpoint.group(1), secret.group(1)


def test_a_representative_adds_an_endpoint_sends_a_test_and_reads_the_log(
    gateway: LiveServer, gateway_settings: Settings, notify_settings: NotifySettings, receiver: Any
) -> None:
    got, server = receiver
    rep = signed_in_as(gateway, gateway_settings, "org_representative", organisation=BRYGGAN)
    endpoint_id, secret = add_endpoint(rep, f"{server.url}/hook")

    detail = rep.get(f"/webhooks/{endpoint_id}")
    assert detail.status_code == 200 and secret not in detail.text, "the secret is shown only once"
    assert 'href="/webhooks"' in detail.text, "in the menu"
    sent = rep.post(f"/webhooks/{endpoint_id}/test", data={"csrf_token": csrf_of(detail.text)})
    assert sent.status_code == 303

    got.answers = [503]
    assert deliver(notify_settings) == 1
    log = rep.get(f"/webhooks/{endpoint_id}")
    assert "Väntar på nästa försök" in text(log) and "503" in log.text
    message_id = re.search(rf"/webhooks/{endpoint_id}/messages/([0-9a-f-]{{36}})/replay", log.text)
    assert message_id
    replayed = rep.post(
        f"/webhooks/{endpoint_id}/messages/{message_id.group(1)}/replay",
        data={"csrf_token": csrf_of(log.text)},
    )
    assert replayed.status_code == 303
    assert deliver(notify_settings) == 1
    headers, body = got.got[-1]
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    assert "Levererat" in text(rep.get(f"/webhooks/{endpoint_id}"))
    entry = rep.get(f"/webhooks/{endpoint_id}/messages/{message_id.group(1)}")
    assert entry.status_code == 200 and "503" in entry.text and "200" in entry.text


def test_rotating_shows_the_new_secret_once_and_says_the_old_one_still_works(
    gateway: LiveServer, gateway_settings: Settings, receiver: Any
) -> None:
    _got, server = receiver
    rep = signed_in_as(gateway, gateway_settings, "org_representative", organisation=BRYGGAN)
    endpoint_id, secret = add_endpoint(rep, f"{server.url}/hook")
    detail = rep.get(f"/webhooks/{endpoint_id}")
    rotated = rep.post(f"/webhooks/{endpoint_id}/rotate-secret", data={"csrf_token": csrf_of(detail.text)})
    assert rotated.status_code == 200
    assert "24 timmar" in text(rotated)
    new = re.search(r'value="(whsec_[^"]+)"', rotated.text)
    assert new and new.group(1) != secret
    assert "Den gamla nyckeln fungerar till" in text(rep.get(f"/webhooks/{endpoint_id}"))


def test_notify_refuses_an_internal_address_and_the_page_says_why(
    gateway: LiveServer, gateway_settings: Settings, notify_settings: NotifySettings
) -> None:
    rep = signed_in_as(gateway, gateway_settings, "org_representative", organisation=BRYGGAN)
    page = rep.get("/webhooks")
    form = {
        "csrf_token": csrf_of(page.text),
        "url": "ftp://files.example/",
        "contact_email": "it@bryggan.example.se",
        "topics": ["event.published"],
    }
    refused = rep.post("/webhooks", data=form)
    assert refused.status_code == 400
    assert "https://" in text(refused) and "Något behöver rättas" in text(refused)
    # notify names the field it refused, and the page shows its reason there.
    form = {
        **form,
        "url": "http://127.0.0.1:9/hook",
        "contact_email": "nobody",
        "csrf_token": csrf_of(refused.text),
    }
    refused = rep.post("/webhooks", data=form)
    assert refused.status_code == 400
    assert 'id="error-contact_email"' in refused.text and "kontaktperson" in text(refused)


def test_another_organisation_sees_nothing_and_staff_have_no_webhook_pages(
    gateway: LiveServer, gateway_settings: Settings, receiver: Any
) -> None:
    _got, server = receiver
    bryggan = signed_in_as(gateway, gateway_settings, "org_representative", organisation=BRYGGAN)
    endpoint_id, _secret = add_endpoint(bryggan, f"{server.url}/hook")
    ria = signed_in_as(gateway, gateway_settings, "org_representative", organisation=RIA)
    assert endpoint_id not in ria.get("/webhooks").text
    assert ria.get(f"/webhooks/{endpoint_id}").status_code == 404
    page = ria.get("/webhooks")
    attempt = ria.post(f"/webhooks/{endpoint_id}/delete", data={"csrf_token": csrf_of(page.text)})
    assert attempt.status_code == 404 and "Webhooken finns inte" in text(attempt)
    staff = signed_in_as(gateway, gateway_settings, "staff")
    assert staff.get("/webhooks").status_code == 403
    assert 'href="/webhooks"' not in staff.get("/").text
