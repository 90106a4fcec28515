"""The start page's cards from the real volunteers, events and notify services: each for the roles
that may see it, with counts, a few lines and a link to its page; a service that is down leaves its
card saying so and the rest of the page as it is."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from backbone.db import create_pool
from backbone.embedded import free_port
from backbone.identity import Identity, KeyFiles, bearer_headers
from events.app import create_app as create_events_app
from events.settings import MIGRATIONS_DIR as EVENTS_MIGRATIONS_DIR
from events.settings import Settings as EventsSettings
from gateway.app import create_app
from gateway.settings import Settings
from notify.app import create_app as create_notify_app
from notify.mailing import queue_email
from notify.rendering import RenderedEmail
from notify.sending import EmailSender
from notify.settings import MIGRATIONS_DIR as NOTIFY_MIGRATIONS_DIR
from notify.settings import Settings as NotifySettings
from volunteers.app import create_app as create_volunteers_app
from volunteers.settings import MIGRATIONS_DIR as VOLUNTEERS_MIGRATIONS_DIR
from volunteers.settings import Settings as VolunteersSettings

from .conftest import LiveServer, ServiceStaff, run, settings_in_front_of, signed_in_as

DOMAIN = "test.local"


class AdminOf(ServiceStaff):
    """Seeds a real service through its API as an administrator (every pool, every event)."""

    def headers(self) -> dict[str, str]:
        who = Identity(subject="seed-admin", roles=("administrator",), name="Seed")
        return bearer_headers(who, key=self.key, audience=self.audience)


@pytest.fixture(scope="module")
def volunteers_service(
    lasting_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles
) -> Iterator[LiveServer]:
    app: FastAPI = create_volunteers_app(
        VolunteersSettings(
            database_url=lasting_database("volunteers", VOLUNTEERS_MIGRATIONS_DIR),
            nats_url=nats_server.url,
            identity_public_key=str(identity_keys.public),
            environment="test",
            relay_poll_seconds=0.2,
            offer_check_seconds=3600,
        )
    )
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def events_service(
    lasting_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles
) -> Iterator[LiveServer]:
    app: FastAPI = create_events_app(
        EventsSettings(
            database_url=lasting_database("events", EVENTS_MIGRATIONS_DIR),
            nats_url=nats_server.url,
            identity_public_key=str(identity_keys.public),
            environment="test",
            relay_poll_seconds=0.2,
            offer_check_seconds=3600,
            reminder_check_seconds=3600,
            retention_check_seconds=3600,
        )
    )
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="module")
def notify_settings(
    lasting_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles
) -> NotifySettings:
    return NotifySettings(
        database_url=lasting_database("notify", NOTIFY_MIGRATIONS_DIR),
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        environment="test",
        run_consumers=False,
        run_relay=False,
        # Nothing listens there: every try to send is refused, so the email waits for a new try.
        smtp_port=free_port(),
        mail_domain=DOMAIN,
    )


@pytest.fixture(scope="module")
def notify_service(notify_settings: NotifySettings) -> Iterator[LiveServer]:
    with LiveServer(create_notify_app(notify_settings)) as server:
        yield server


@pytest.fixture(scope="module")
def cards_settings(
    lasting_database: Callable[..., str],
    nats_server: Any,
    identity_keys: KeyFiles,
    tmp_path_factory: pytest.TempPathFactory,
    volunteers_service: LiveServer,
    events_service: LiveServer,
    notify_service: LiveServer,
    meetings_service: LiveServer,
) -> Settings:
    return settings_in_front_of(
        lasting_database,
        nats_server,
        identity_keys,
        tmp_path_factory,
        volunteers_url=volunteers_service.url,
        events_url=events_service.url,
        notify_url=notify_service.url,
        meetings_url=meetings_service.url,
    )


@pytest.fixture(scope="module")
def gateway_with_cards(cards_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(cards_settings)) as server:
        yield server


@pytest.fixture(scope="module")
def volunteers_admin(volunteers_service: LiveServer, identity_keys: KeyFiles) -> Iterator[AdminOf]:
    admin = AdminOf(volunteers_service, identity_keys, "volunteers")
    yield admin
    admin.http.close()


@pytest.fixture(scope="module")
def events_admin(events_service: LiveServer, identity_keys: KeyFiles) -> Iterator[AdminOf]:
    admin = AdminOf(events_service, identity_keys, "events")
    yield admin
    admin.http.close()


def _start(gateway: LiveServer, settings: Settings, *user_roles: str, **kwargs: Any) -> str:
    client = signed_in_as(gateway, settings, *user_roles, **kwargs)
    page = client.get("/")
    assert page.status_code == 200, page.text
    return html.unescape(page.text)


def _pool_with_request(admin: AdminOf) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    pool = admin.send(
        "POST",
        "/v1/pools",
        {
            "key": f"pool-{uuid.uuid4().hex[:8]}",
            "name": f"Kortpanel {uuid.uuid4().hex[:4]}",
            "coordinator_name": "Kim Samordnare",
            "requirements": [
                {"key": "belastningsregister", "kind": "certificate", "label": "Utdrag", "expires": True}
            ],
        },
    )
    person = admin.send(
        "POST",
        "/v1/volunteers",
        {
            "name": f"Sara Snart {uuid.uuid4().hex[:4]}",
            "email": f"v-{uuid.uuid4().hex[:8]}@example.se",
            "pools": [{"pool_id": pool["id"], "status": "active"}],
        },
    )
    admin.send(
        "POST",
        f"/v1/volunteers/{person['id']}/qualifications",
        {
            "key": "belastningsregister",
            "kind": "certificate",
            "completed_on": "2025-01-01",
            "expires_on": (date.today() + timedelta(days=10)).isoformat(),
        },
    )
    starts = (datetime.now(UTC) + timedelta(days=14)).replace(microsecond=0)
    request = admin.send(
        "POST",
        "/v1/requests",
        {
            "pool_id": pool["id"],
            "seats": 2,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": f"Kronan {uuid.uuid4().hex[:4]}",
            "needs": "Lär ut bank-id",
        },
    )
    return pool, person, request


def test_open_volunteer_requests_for_those_who_ask_for_volunteers(
    gateway_with_cards: LiveServer, cards_settings: Settings, volunteers_admin: AdminOf
) -> None:
    _pool, _person, request = _pool_with_request(volunteers_admin)

    page = _start(gateway_with_cards, cards_settings, "administrator")
    assert "Öppna förfrågningar om frivilliga" in page
    assert f'href="/volunteers/requests/{request["id"]}"' in page and request["place"] in page
    assert "öppna förfrågningar." in page and 'href="/volunteers/requests"' in page

    # Staff ask for volunteers: the card, with the requests the service shows them (their own).
    staff = _start(gateway_with_cards, cards_settings, "staff")
    assert "Öppna förfrågningar om frivilliga" in staff and request["place"] not in staff

    representative = _start(
        gateway_with_cards, cards_settings, "org_representative", organisation=str(uuid.uuid4())
    )
    assert "Öppna förfrågningar om frivilliga" not in representative
    assert request["place"] not in representative


def test_certificates_expiring_within_30_days_for_coordinators(
    gateway_with_cards: LiveServer, cards_settings: Settings, volunteers_admin: AdminOf
) -> None:
    _pool, person, _request = _pool_with_request(volunteers_admin)

    page = _start(gateway_with_cards, cards_settings, "administrator")
    assert "Intyg som går ut inom 30 dagar" in page
    assert f'href="/volunteers/people/{person["id"]}"' in page and person["name"] in page

    staff = _start(gateway_with_cards, cards_settings, "staff")
    assert "Intyg som går ut inom 30 dagar" not in staff and person["name"] not in staff


def test_upcoming_events_with_places_left_for_those_who_read_events(
    gateway_with_cards: LiveServer, cards_settings: Settings, events_admin: AdminOf
) -> None:
    day = (datetime.now() + timedelta(days=3)).date().isoformat()
    event = events_admin.send(
        "POST",
        "/v1/events",
        {
            "title": f"Dialogdag {uuid.uuid4().hex[:6]}",
            "starts_at": f"{day}T12:30:00",
            "ends_at": f"{day}T16:00:00",
            "venue_name": "Yrkeshögskolan",
            "capacity": 40,
        },
    )
    events_admin.send("POST", f"/v1/events/{event['id']}/publish", expect=200)

    page = _start(gateway_with_cards, cards_settings, "org_representative", organisation=str(uuid.uuid4()))
    assert "Kommande evenemang" in page
    assert f'href="/events/{event["id"]}"' in page and event["title"] in page
    assert "40 platser kvar" in page and 'href="/events"' in page

    coordinator = _start(gateway_with_cards, cards_settings, "pool_coordinator")
    assert "Kommande evenemang" not in coordinator and event["title"] not in coordinator


def _published_event(events_admin: AdminOf, title: str) -> dict[str, Any]:
    day = (datetime.now() + timedelta(days=2)).date().isoformat()
    event = events_admin.send(
        "POST",
        "/v1/events",
        {"title": title, "starts_at": f"{day}T09:00:00", "ends_at": f"{day}T10:00:00"},
    )
    return events_admin.send("POST", f"/v1/events/{event['id']}/publish", expect=200)


def test_a_kept_start_page_shows_a_new_event_at_once(
    gateway_with_cards: LiveServer, cards_settings: Settings, events_admin: AdminOf
) -> None:
    # Staff's cards all come from services with ETags, so the page is kept while they hold.
    client = signed_in_as(gateway_with_cards, cards_settings, "staff")
    first = _published_event(events_admin, f"Första {uuid.uuid4().hex[:6]}")
    assert first["title"] in client.get("/").text
    assert first["title"] in client.get("/").text
    second = _published_event(events_admin, f"Andra {uuid.uuid4().hex[:6]}")
    assert second["title"] in client.get("/").text


def test_failing_deliveries_for_administrators_only(
    gateway_with_cards: LiveServer, cards_settings: Settings, notify_settings: NotifySettings
) -> None:
    recipient = f"n-{uuid.uuid4().hex[:8]}@example.se"

    async def queue_and_try() -> None:
        pool = await create_pool(notify_settings.database_url)
        try:
            async with pool.acquire() as conn, conn.transaction():
                await queue_email(
                    conn=conn,
                    cause_event_id=str(uuid.uuid4()),
                    template="minutes_published",
                    recipient=recipient,
                    rendered=RenderedEmail(subject="Om protokollet", text="Hej!", html="<p>Hej!</p>"),
                    mail_domain=DOMAIN,
                    message_key=notify_settings.link_key,
                )
            await EmailSender(pool=pool, settings=notify_settings).send_due()
        finally:
            await pool.close()

    run(queue_and_try())

    page = _start(gateway_with_cards, cards_settings, "administrator")
    assert "Utskick som inte går fram" in page
    assert recipient in page and 'href="/deliveries"' in page
    assert "väntar på nytt försök" in page

    staff = _start(gateway_with_cards, cards_settings, "staff")
    assert "Utskick som inte går fram" not in staff and recipient not in staff


def test_a_service_that_is_down_leaves_its_card_saying_so(
    lasting_database: Callable[..., str],
    nats_server: Any,
    identity_keys: KeyFiles,
    tmp_path_factory: pytest.TempPathFactory,
    events_service: LiveServer,
) -> None:
    def nowhere() -> str:
        return f"http://127.0.0.1:{free_port()}"

    settings = settings_in_front_of(
        lasting_database,
        nats_server,
        identity_keys,
        tmp_path_factory,
        volunteers_url=nowhere(),
        notify_url=nowhere(),
        meetings_url=nowhere(),
        events_url=events_service.url,
    )
    with LiveServer(create_app(settings)) as gateway:
        page = _start(gateway, settings, "administrator")
    assert "Förfrågningarna kunde inte hämtas just nu." in page
    assert "Intygen kunde inte hämtas just nu." in page
    assert "Utskicken kunde inte hämtas just nu." in page
    assert "Mötena kan inte visas just nu." in page
    # The service that answers still has its card.
    assert "Kommande evenemang" in page and "Evenemangen kunde inte hämtas" not in page
