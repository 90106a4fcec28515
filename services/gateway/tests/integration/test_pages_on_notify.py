"""The notify pages through the gateway on the real notify service and a real SMTP sink: a person
with no account changes their email choices by the link from an email and unsubscribes with one
POST; staff search the delivery log."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from backbone.db import create_pool
from backbone.embedded import free_port
from backbone.identity import KeyFiles
from devstack.mailsink import attempts_log_for, deliveries, read_maildir, start_sink
from gateway.app import create_app
from gateway.settings import MIGRATIONS_DIR, Settings
from notify.app import create_app as create_notify_app
from notify.links import preferences_url
from notify.mailing import message_id_for, queue_email
from notify.rendering import RenderedEmail
from notify.sending import EmailSender
from notify.settings import MIGRATIONS_DIR as NOTIFY_MIGRATIONS_DIR
from notify.settings import Settings as NotifySettings

from .conftest import LiveServer, browser, csrf_of, run, signed_in_as

DOMAIN = "test.local"


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Any]]:
    port = free_port()
    maildir = tmp_path_factory.mktemp("notify-mail") / "mail"
    controller, handler = start_sink(maildir, "127.0.0.1", port)
    yield port, maildir
    controller.stop()
    handler.close()


@pytest.fixture(scope="module")
def gateway_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def notify_settings(
    lasting_database: Callable[..., str],
    nats_server: Any,
    identity_keys: KeyFiles,
    sink: Any,
    gateway_port: int,
) -> NotifySettings:
    return NotifySettings(
        database_url=lasting_database("notify", NOTIFY_MIGRATIONS_DIR),
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        environment="test",
        # The tests send themselves, at the moments they choose.
        run_consumers=False,
        run_relay=False,
        smtp_port=sink[0],
        mail_domain=DOMAIN,
        public_url=f"http://127.0.0.1:{gateway_port}",
    )


@pytest.fixture(scope="module")
def notify_service(notify_settings: NotifySettings) -> Iterator[LiveServer]:
    app: FastAPI = create_notify_app(notify_settings)
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def gateway_settings(
    lasting_database: Callable[..., str],
    nats_server: Any,
    notify_service: LiveServer,
    identity_keys: KeyFiles,
) -> Settings:
    return Settings(
        database_url=lasting_database("gateway", MIGRATIONS_DIR),
        nats_url=nats_server.url,
        environment="test",
        notify_url=notify_service.url,
        identity_signing_key=str(identity_keys.signing),
        relay_poll_seconds=0.2,
    )


@pytest.fixture(scope="module")
def gateway_on_notify(gateway_settings: Settings, gateway_port: int) -> Iterator[LiveServer]:
    with LiveServer(create_app(gateway_settings), port=gateway_port) as server:
        yield server


def queue(settings: NotifySettings, recipient: str, template: str) -> str:
    cause = str(uuid.uuid4())

    async def go() -> None:
        pool = await create_pool(settings.database_url)
        try:
            async with pool.acquire() as conn, conn.transaction():
                await queue_email(
                    conn=conn,
                    cause_event_id=cause,
                    template=template,
                    recipient=recipient,
                    rendered=RenderedEmail(subject=f"Om {template}", text="Hej!", html="<p>Hej!</p>"),
                    mail_domain=DOMAIN,
                    message_key=settings.link_key,
                )
        finally:
            await pool.close()

    run(go())
    email_id = uuid.uuid5(uuid.UUID(cause), f"{template}:{recipient.lower()}")
    return message_id_for(email_id, DOMAIN, settings.link_key)


def send(settings: NotifySettings) -> int:
    async def go() -> int:
        pool = await create_pool(settings.database_url)
        try:
            return await EmailSender(pool=pool, settings=settings).send_due()
        finally:
            await pool.close()

    return run(go())


def _text(page: httpx.Response) -> str:
    return html.unescape(page.text)


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_person_without_an_account_changes_their_choices_by_the_link(
    gateway_on_notify: LiveServer, notify_settings: NotifySettings
) -> None:
    visitor = browser(gateway_on_notify)
    link = _path_of(preferences_url(notify_settings, "Eva@example.se"))
    page = visitor.get(link)
    assert page.status_code == 200, page.text
    assert "eva@example.se" in _text(page) and "Protokoll från möten" in _text(page)
    assert 'id="choice-minutes-immediately" name="choice-minutes" value="immediately" checked' in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "token": httpx.QueryParams(urlsplit(link).query)["token"],
        "choice-minutes": "weekly",
        "choice-registrations": "off",
        "digest_hour": "18",
        "digest_weekday": "5",
    }
    form["version"] = page.text.split('name="version" value="', 1)[1].split('"', 1)[0]
    saved = visitor.post("/installningar/e-post", data=form)
    assert saved.status_code == 200, saved.text
    assert "Sparat" in _text(saved)
    assert 'id="choice-minutes-weekly" name="choice-minutes" value="weekly" checked' in saved.text
    assert '<option value="18" selected>18.00</option>' in saved.text
    # Without the form's token the page refuses, as every form of ours does.
    refused = browser(gateway_on_notify).post("/installningar/e-post", data={**form, "csrf_token": "x"})
    assert refused.status_code == 403


def test_a_form_opened_before_a_later_change_is_refused_not_saved_over_it(
    gateway_on_notify: LiveServer, notify_settings: NotifySettings
) -> None:
    visitor = browser(gateway_on_notify)
    link = _path_of(preferences_url(notify_settings, f"olle-{uuid.uuid4().hex[:6]}@example.se"))
    page = visitor.get(link)
    form = {
        "csrf_token": csrf_of(page.text),
        "token": httpx.QueryParams(urlsplit(link).query)["token"],
        "version": page.text.split('name="version" value="', 1)[1].split('"', 1)[0],
        "choice-minutes": "off",
        "digest_hour": "8",
        "digest_weekday": "1",
    }
    assert visitor.post("/installningar/e-post", data=form).status_code == 200
    stale = visitor.post("/installningar/e-post", data={**form, "choice-minutes": "daily"})
    assert stale.status_code == 409
    assert "Ladda om sidan" in _text(stale)
    assert 'id="choice-minutes-off" name="choice-minutes" value="off" checked' in stale.text, (
        "the choices now"
    )


def test_a_link_that_is_not_ours_is_refused_in_plain_words(gateway_on_notify: LiveServer) -> None:
    page = browser(gateway_on_notify).get("/installningar/e-post?token=nonsense")
    assert page.status_code == 400
    assert "Länken är trasig" in _text(page) and "Spara mina val" not in _text(page)


def test_one_post_without_login_unsubscribes_and_no_more_bulk_mail_of_that_kind_comes(
    gateway_on_notify: LiveServer, notify_settings: NotifySettings, sink: Any
) -> None:
    _port, maildir = sink
    address = f"leif-{uuid.uuid4().hex[:6]}@example.se"
    first = queue(notify_settings, address, "minutes_published")
    assert send(notify_settings) == 1
    # The Message-ID with its MAC is longer than a line, so the header is folded onto the next line.
    [mail] = [m for m in read_maildir(maildir) if m["Message-ID"].strip() == first]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = _path_of(mail["List-Unsubscribe"].strip("<>"))

    # Following the link (as mail scanners do) shows a button and changes nothing.
    shown = browser(gateway_on_notify).get(link)
    assert shown.status_code == 200 and "Sluta skicka sådana mejl" in _text(shown)
    still = queue(notify_settings, address, "minutes_published")
    assert send(notify_settings) == 1

    # The mail program's one POST: no cookie, no form token, no account; a second one is the same.
    for _ in range(2):
        with httpx.Client(base_url=gateway_on_notify.url, timeout=30) as mail_program:
            done = mail_program.post(link, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200, done.text
        assert "Du får inga fler mejl om: Protokoll från möten" in _text(done)

    after = queue(notify_settings, address, "minutes_published")
    other = queue(notify_settings, address, "meeting_scheduled")
    assert send(notify_settings) == 1
    sent = deliveries(attempts_log_for(maildir))
    assert sent[first] == sent[still] == sent[other] == 1
    assert after not in sent


def test_administrators_search_the_delivery_log_and_see_each_attempt(
    gateway_on_notify: LiveServer, gateway_settings: Settings, notify_settings: NotifySettings
) -> None:
    address = f"kenneth-{uuid.uuid4().hex[:6]}@example.se"
    queue(notify_settings, address, "meeting_scheduled")
    send(notify_settings)
    staff = signed_in_as(gateway_on_notify, gateway_settings, "administrator")
    # As the search form sends it: the fields left empty are sent empty.
    page = staff.get(
        "/deliveries", params={"recipient": address[:12], "event": "", "from": "", "to": "", "state": ""}
    )
    assert page.status_code == 200, page.text
    assert address in _text(page) and "Skickat" in _text(page)
    assert 'href="/deliveries"' in page.text, "in the menu"
    detail_path = page.text.split('href="/deliveries/', 1)[1].split('"', 1)[0]
    detail = staff.get(f"/deliveries/{detail_path}")
    assert detail.status_code == 200 and "Varje försök att skicka mejlet" in _text(detail)
    wrong = staff.get("/deliveries", params={"event": "not-an-id", "from": "9 mars"})
    assert wrong.status_code == 200 and "36 tecken" in _text(wrong) and "2027-03-09" in _text(wrong)
    short = staff.get("/deliveries", params={"recipient": "ke"})
    assert short.status_code == 200 and "minst 3 tecken" in _text(short)
    far = staff.get("/deliveries", params={"to": "9999-12-31"})
    assert far.status_code == 200 and "mellan år" in _text(far)


def test_people_without_the_role_do_not_see_the_delivery_log(
    gateway_on_notify: LiveServer, gateway_settings: Settings
) -> None:
    representative = signed_in_as(
        gateway_on_notify, gateway_settings, "org_representative", organisation=str(uuid.uuid4())
    )
    assert representative.get("/deliveries").status_code == 403
    # Staff who run meetings and events do not read every email sent, volunteers' offers included.
    staff = signed_in_as(gateway_on_notify, gateway_settings, "staff")
    assert staff.get("/deliveries").status_code == 403
    assert 'href="/deliveries"' not in staff.get("/").text, "not in their menu"
    assert browser(gateway_on_notify).get("/deliveries").status_code == 303  # to the sign-in page


def _bounce(settings: NotifySettings, address: str) -> None:
    async def go() -> None:
        pool = await create_pool(settings.database_url)
        try:
            async with pool.acquire() as conn:
                email_id = await conn.fetchval("SELECT id FROM emails WHERE recipient = $1", address)
                await conn.execute(
                    "INSERT INTO bounced_addresses (address, status, reason, email_id) "
                    "VALUES ($1, '5.1.1', '5.1.1 no such user', $2)",
                    address,
                    email_id,
                )
        finally:
            await pool.close()

    run(go())


def _bounced_count(settings: NotifySettings, address: str) -> int:
    async def go() -> int:
        pool = await create_pool(settings.database_url)
        try:
            async with pool.acquire() as conn:
                sql = "SELECT count(*) FROM bounced_addresses WHERE address = $1"
                return int(await conn.fetchval(sql, address))
        finally:
            await pool.close()

    return int(run(go()))


def _audited(settings: Settings, target: str) -> list[str]:
    async def go() -> list[str]:
        pool = await create_pool(settings.database_url)
        try:
            async with pool.acquire() as conn:
                rows = await conn.fetch(
                    "SELECT actor_email FROM audit_log WHERE action = 'changed_in_service' AND target = $1",
                    target,
                )
                return [r["actor_email"] for r in rows]
        finally:
            await pool.close()

    return list(run(go()))


def test_an_administrator_lets_mail_go_again_to_an_address_that_bounced(
    gateway_on_notify: LiveServer, gateway_settings: Settings, notify_settings: NotifySettings
) -> None:
    address = f"studs-{uuid.uuid4().hex[:6]}@example.se"
    queue(notify_settings, address, "minutes_published")
    send(notify_settings)
    _bounce(notify_settings, address)
    admin = signed_in_as(gateway_on_notify, gateway_settings, "administrator")
    page = admin.get("/deliveries", params={"recipient": address})
    detail_path = "/deliveries/" + page.text.split('href="/deliveries/', 1)[1].split('"', 1)[0]
    detail = admin.get(detail_path)
    assert detail.status_code == 200 and "Adressen studsade" in _text(detail)
    form = f'action="{detail_path}/clear-bounce"'
    assert form in detail.text
    token = csrf_of(detail.text)
    before = len(_audited(gateway_settings, "POST /notify/v1/bounced-addresses/clear"))

    cleared = admin.post(f"{detail_path}/clear-bounce", data={"csrf_token": token})
    assert cleared.status_code == 303 and cleared.headers["location"] == detail_path
    assert _bounced_count(notify_settings, address) == 0
    assert len(_audited(gateway_settings, "POST /notify/v1/bounced-addresses/clear")) == before + 1
    after = admin.get(detail_path)
    assert "Adressen studsade" not in _text(after) and form not in after.text
    assert "Spärren är borttagen. Adressen får e-post igen." in _text(after)
    assert "Sparat." not in _text(after)

    # A second click (an old page): notify's reason is shown, nothing else happens.
    again = admin.post(f"{detail_path}/clear-bounce", data={"csrf_token": token})
    assert again.status_code == 404 and "studsat" in _text(again)
    staff = signed_in_as(gateway_on_notify, gateway_settings, "staff")
    refused = staff.post(f"{detail_path}/clear-bounce", data={"csrf_token": csrf_of(staff.get("/").text)})
    assert refused.status_code == 403
