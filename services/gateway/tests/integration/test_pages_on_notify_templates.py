"""The email template previews through the gateway, on the real notify service: administrators
see every template and each one with sample data, in Swedish or English; nobody else does."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backbone.identity import KeyFiles
from gateway.app import create_app
from gateway.settings import MIGRATIONS_DIR, Settings
from notify.app import create_app as create_notify_app
from notify.rendering import TEMPLATES
from notify.settings import MIGRATIONS_DIR as NOTIFY_MIGRATIONS_DIR
from notify.settings import Settings as NotifySettings

from .conftest import LiveServer, browser, signed_in_as


@pytest.fixture(scope="module")
def notify_service(
    lasting_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles
) -> Iterator[LiveServer]:
    settings = NotifySettings(
        database_url=lasting_database("notify", NOTIFY_MIGRATIONS_DIR),
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        environment="test",
        run_consumers=False,
        run_relay=False,
    )
    with LiveServer(create_notify_app(settings)) as server:
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
    )


@pytest.fixture(scope="module")
def gateway(gateway_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(gateway_settings)) as server:
        yield server


def test_administrators_see_every_template_and_find_it_in_the_menu(
    gateway: LiveServer, gateway_settings: Settings
) -> None:
    admin = signed_in_as(gateway, gateway_settings, "administrator")
    page = admin.get("/email-templates")
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert (
        '<a href="/email-templates" aria-current="page">Mejlmallar</a>' in page.text
        or "Mejlmallar</a>" in text
    )
    for name in TEMPLATES:
        assert f'href="/email-templates/{name}?language=sv"' in page.text, name
        assert f'href="/email-templates/{name}?language=en"' in page.text, name
    assert "Erbjudande om en plats: ja eller nej" in text


def test_a_preview_shows_subject_text_and_html_in_the_chosen_language(
    gateway: LiveServer, gateway_settings: Settings
) -> None:
    admin = signed_in_as(gateway, gateway_settings, "administrator")
    sv = admin.get("/email-templates/offer_made")
    assert sv.status_code == 200, sv.text
    text = html.unescape(sv.text)
    assert "Vill du ha en plats? Träff om bostäder måndag 13 mars" in text
    assert "Vi håller den åt dig till fredag 10 mars 2017 kl. 12.00." in text
    assert 'sandbox=""' in sv.text and "srcdoc=" in sv.text
    assert "<script" not in sv.text.split("srcdoc=")[1].split(">")[0]  # the email's HTML is escaped
    en = admin.get("/email-templates/offer_made?language=en")
    assert "Do you want a place? Träff om bostäder Monday 13 March" in html.unescape(en.text)


def test_an_unknown_template_is_a_page_that_says_what_to_do(
    gateway: LiveServer, gateway_settings: Settings
) -> None:
    admin = signed_in_as(gateway, gateway_settings, "administrator")
    page = admin.get("/email-templates/no_such_template")
    assert page.status_code == 404
    assert "välj en mall där" in html.unescape(page.text)
    assert admin.get("/email-templates/..%2Fdeliveries").status_code in (404, 422)


def test_staff_who_do_not_administer_are_refused_and_see_no_menu_entry(
    gateway: LiveServer, gateway_settings: Settings
) -> None:
    staff = signed_in_as(gateway, gateway_settings, "staff")
    assert staff.get("/email-templates").status_code == 403
    assert "/email-templates" not in staff.get("/").text
    assert browser(gateway).get("/email-templates").status_code in (302, 303)
