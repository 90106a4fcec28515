"""The events pages through the gateway on the real events service: staff plan, publish and fill an
event; a visitor with no account reads it, registers and answers the personal links."""

from __future__ import annotations

import asyncio
import contextlib
import html
import ipaddress
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from backbone.identity import KeyFiles
from events.app import create_app as create_events_app
from events.registration_desk import AGAIN, RegistrationDesk, Unavailable
from events.settings import MIGRATIONS_DIR as EVENTS_MIGRATIONS_DIR
from events.settings import Settings as EventsSettings
from gateway import throttle
from gateway.app import create_app
from gateway.pages import events as event_pages
from gateway.settings import Settings
from gateway.upstream import MINTED

from .conftest import LiveServer, ServiceStaff, browser, csrf_of, run, settings_in_front_of, signed_in_as


@pytest.fixture(scope="module")
def events_app(lasting_database: Callable[..., str], nats_server: Any, identity_keys: KeyFiles) -> FastAPI:
    """The real events app on a database of its own, holding the gateway's public key."""
    settings = EventsSettings(
        database_url=lasting_database("events", EVENTS_MIGRATIONS_DIR),
        nats_url=nats_server.url,
        identity_public_key=str(identity_keys.public),
        environment="test",
        relay_poll_seconds=0.2,
        offer_check_seconds=3600,
        reminder_check_seconds=3600,
        retention_check_seconds=3600,
    )
    return create_events_app(settings)


@pytest.fixture(scope="module")
def events_service(events_app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(events_app) as server:
        yield server


@pytest.fixture(scope="module")
def events_settings(
    lasting_database: Callable[..., str],
    nats_server: Any,
    events_service: LiveServer,
    identity_keys: KeyFiles,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    return settings_in_front_of(
        lasting_database, nats_server, identity_keys, tmp_path_factory, events_url=events_service.url
    )


@pytest.fixture(scope="module")
def gateway_on_events(events_settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(events_settings)) as server:
        yield server


class EventsStaff(ServiceStaff):
    def __init__(self, events: LiveServer, keys: KeyFiles) -> None:
        super().__init__(events, keys, "events")


@pytest.fixture(scope="module")
def events_staff(events_service: LiveServer, identity_keys: KeyFiles) -> Iterator[EventsStaff]:
    staff = EventsStaff(events_service, identity_keys)
    yield staff
    staff.http.close()


def _next_week() -> str:
    return (datetime.now() + timedelta(days=7)).date().isoformat()


def _event(staff: EventsStaff, **fields: Any) -> dict[str, Any]:
    day = _next_week()
    body = {
        "title": f"Dialogdag {uuid.uuid4().hex[:6]}",
        "starts_at": f"{day}T12:30:00",
        "ends_at": f"{day}T16:00:00",
        "venue_name": "Yrkeshögskolan",
        "venue_address": "Rönnowsgatan 8",
        **fields,
    }
    return staff.send("POST", "/v1/events", body)


def _published(staff: EventsStaff, **fields: Any) -> dict[str, Any]:
    event = _event(staff, **fields)
    return staff.send("POST", f"/v1/events/{event['id']}/publish", expect=200)


def _staff(gateway: LiveServer, settings: Settings) -> httpx.Client:
    return signed_in_as(gateway, settings, "staff")


def _text(page: httpx.Response) -> str:
    return html.unescape(page.text)


def test_staff_create_an_event_as_a_draft_and_publish_it(
    gateway_on_events: LiveServer, events_settings: Settings
) -> None:
    client = _staff(gateway_on_events, events_settings)
    form = client.get("/events/new")
    assert form.status_code == 200
    title = f"Föreläsning {uuid.uuid4().hex[:6]}"
    created = client.post(
        "/events",
        data={
            "csrf_token": csrf_of(form.text),
            "title": title,
            "kind": "lecture",
            "day": _next_week(),
            "starts": "14:00",
            "ends": "15:00",
            "venue_name": "Aulan",
            "audience": "public",
            "registration": "open",
            "capacity": "30",
            "waitlist_mode": "offer",
            "offer_hours": "48",
            "asks": ["food"],
        },
    )
    assert created.status_code == 303, created.text
    page = client.get(created.headers["location"])
    assert title in _text(page) and "Utkast" in page.text and "14.00" in page.text
    listed = client.get("/events")
    assert title in _text(listed)

    published = client.post(created.headers["location"] + "/publish", data={"csrf_token": csrf_of(page.text)})
    assert published.status_code == 303
    assert "Publicerat" in client.get(created.headers["location"]).text


def test_an_event_that_ends_before_it_starts_is_shown_again_with_the_services_reason(
    gateway_on_events: LiveServer, events_settings: Settings
) -> None:
    client = _staff(gateway_on_events, events_settings)
    form = client.get("/events/new")
    answer = client.post(
        "/events",
        data={
            "csrf_token": csrf_of(form.text),
            "title": "Baklänges",
            "kind": "other",
            "day": _next_week(),
            "starts": "15:00",
            "ends": "14:00",
            "audience": "public",
            "registration": "open",
            "waitlist_mode": "offer",
            "offer_hours": "48",
        },
    )
    assert answer.status_code == 400
    assert "Kontrollera när evenemanget" in _text(answer)
    assert "slutar innan det börjar" in _text(answer)


def test_the_event_page_shows_the_programme_registrations_and_waiting_list(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff, capacity=1)
    client = _staff(gateway_on_events, events_settings)
    page = client.get(f"/events/{event['id']}")
    token = csrf_of(page.text)
    added = client.post(
        f"/events/{event['id']}/programme",
        data={"csrf_token": token, "starts": "12:30", "ends": "13:00", "title": "Välkommen", "room": "A1"},
    )
    assert added.status_code == 303, added.text
    for name in ("Anna Berg", "Bo Ek"):
        registered = client.post(
            f"/events/{event['id']}/registrations",
            data={"csrf_token": token, "name": name, "email": f"{uuid.uuid4().hex[:6]}@example.se"},
        )
        assert registered.status_code == 303, registered.text
    page = client.get(f"/events/{event['id']}")
    text = _text(page)
    assert "12:30–13:00" in text and "Välkommen" in text and "A1" in text
    has_place, waiting = text.index("De som har plats"), text.index("Väntelistan")
    assert has_place < text.index("Anna Berg") < waiting < text.index("Bo Ek")
    assert "Har plats: 1" in text and "På väntelistan: 1" in text


def test_a_programme_item_outside_the_event_is_refused_beside_its_field(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    client = _staff(gateway_on_events, events_settings)
    token = csrf_of(client.get(f"/events/{event['id']}").text)
    refused = client.post(
        f"/events/{event['id']}/programme",
        data={"csrf_token": token, "starts": "08:00", "ends": "09:00", "title": "För tidigt"},
    )
    assert refused.status_code == 400
    assert "utanför evenemangets tid" in _text(refused)
    assert not events_staff.send("GET", f"/v1/events/{event['id']}/programme", expect=200)


def test_staff_edit_cancel_and_copy_an_event(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    client = _staff(gateway_on_events, events_settings)
    form = client.get(f"/events/{event['id']}/edit")
    assert 'value="Yrkeshögskolan"' in _text(form)
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    values = {
        "csrf_token": csrf_of(form.text),
        "version": version.group(1),
        "title": event["title"],
        "kind": "dialogue",
        "day": _next_week(),
        "starts": "13:00",
        "ends": "16:00",
        "venue_name": "Stadshuset",
        "audience": "public",
        "registration": "open",
        "waitlist_mode": "offer",
        "offer_hours": "48",
    }
    assert client.post(f"/events/{event['id']}", data=values).status_code == 303
    changed = events_staff.send("GET", f"/v1/events/{event['id']}", expect=200)
    assert changed["venue_name"] == "Stadshuset" and changed["status"] == "changed"
    # The same form again holds the old version: the service refuses a change on a stale copy.
    stale = client.post(f"/events/{event['id']}", data={**values, "venue_name": "Biblioteket"})
    assert stale.status_code == 400
    assert events_staff.send("GET", f"/v1/events/{event['id']}", expect=200)["venue_name"] == "Stadshuset"

    token = csrf_of(client.get(f"/events/{event['id']}").text)
    later = (datetime.now() + timedelta(days=30)).date().isoformat()
    copied = client.post(f"/events/{event['id']}/copy", data={"csrf_token": token, "day": later})
    assert copied.status_code == 303
    copy_page = client.get(copied.headers["location"])
    assert event["title"] in _text(copy_page) and "Utkast" in copy_page.text

    cancelled = client.post(f"/events/{event['id']}/cancel", data={"csrf_token": token, "reason": "Sjukdom"})
    assert cancelled.status_code == 303
    assert "Evenemanget är inställt." in _text(client.get(f"/events/{event['id']}"))


def test_people_without_the_events_role_are_refused(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    coordinator = signed_in_as(gateway_on_events, events_settings, "pool_coordinator")
    assert coordinator.get(f"/events/{event['id']}").status_code == 403
    representative = signed_in_as(
        gateway_on_events, events_settings, "org_representative", organisation=str(uuid.uuid4())
    )
    assert representative.get("/events/new").status_code == 403


def test_a_visitor_reads_a_public_event_and_registers_without_an_account(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff, asks_food=True, capacity=10)
    draft = _event(events_staff)
    visitor = browser(gateway_on_events)
    listed = visitor.get("/evenemang")
    assert listed.status_code == 200
    assert event["title"] in _text(listed) and draft["title"] not in _text(listed)
    page = visitor.get(f"/evenemang/{event['id']}")
    text = _text(page)
    assert "Anmäl dig" in text and "Mat och allergier" in text
    assert "Behöver du något" not in text  # the event does not ask about accessibility
    assert re.search(r'<div hidden>\s*<label for="field-website"', page.text)

    sent = visitor.post(
        f"/evenemang/{event['id']}",
        data={"csrf_token": csrf_of(page.text), "name": "Eva Lind", "email": "eva@example.se", "website": ""},
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/evenemang/{event['id']}/tack"
    assert "Tack för din anmälan" in _text(visitor.get(sent.headers["location"]))
    people = events_staff.send("GET", f"/v1/events/{event['id']}/registrations", expect=200)["items"]
    assert [p["name"] for p in people] == ["Eva Lind"]


def test_a_robot_that_fills_the_hidden_field_is_thanked_and_nothing_is_stored(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    visitor = browser(gateway_on_events)
    page = visitor.get(f"/evenemang/{event['id']}")
    sent = visitor.post(
        f"/evenemang/{event['id']}",
        data={
            "csrf_token": csrf_of(page.text),
            "name": "Robot",
            "email": "robot@example.se",
            "website": "http://spam.example",
        },
    )
    assert sent.status_code == 303
    assert events_staff.send("GET", f"/v1/events/{event['id']}/registrations", expect=200)["items"] == []


def test_a_registration_without_a_way_to_reach_the_person_is_shown_again(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    visitor = browser(gateway_on_events)
    page = visitor.get(f"/evenemang/{event['id']}")
    sent = visitor.post(f"/evenemang/{event['id']}", data={"csrf_token": csrf_of(page.text), "name": "Eva"})
    assert sent.status_code == 400
    assert "e-postadress eller ett telefonnummer" in _text(sent)
    assert 'value="Eva"' in sent.text


def test_drafts_and_staff_events_are_not_found_on_the_public_side(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    visitor = browser(gateway_on_events)
    assert visitor.get(f"/evenemang/{_event(events_staff)['id']}").status_code == 404
    staff_only = _published(events_staff, audience="staff")
    assert visitor.get(f"/evenemang/{staff_only['id']}").status_code == 404


def test_the_cancel_link_shows_what_it_does_and_only_the_button_cancels(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    receipt = events_staff.send(
        "POST", f"/v1/events/{event['id']}/registrations", {"name": "Eva", "email": "eva-link@example.se"}
    )
    visitor = browser(gateway_on_events)
    link = f"/evenemang/avboka?token={receipt['cancel_token']}"
    # A mail scanner follows the link, twice: nothing changes.
    for _ in range(2):
        page = visitor.get(link)
        assert page.status_code == 200
        assert event["title"] in _text(page) and "Ja, avboka min plats" in _text(page)
    regs = events_staff.send("GET", f"/v1/events/{event['id']}/registrations", expect=200)["items"]
    assert regs[0]["status"] == "registered"

    done = visitor.post(
        "/evenemang/avboka", data={"csrf_token": csrf_of(page.text), "token": receipt["cancel_token"]}
    )
    assert done.status_code == 200 and "Din plats är avbokad" in _text(done)
    regs = events_staff.send("GET", f"/v1/events/{event['id']}/registrations", expect=200)["items"]
    assert regs[0]["status"] == "cancelled"
    again = visitor.post(
        "/evenemang/avboka", data={"csrf_token": csrf_of(page.text), "token": receipt["cancel_token"]}
    )
    assert again.status_code == 409


def test_a_forged_link_is_refused_in_plain_words(gateway_on_events: LiveServer) -> None:
    visitor = browser(gateway_on_events)
    page = visitor.get("/evenemang/erbjudande/ja?token=not-a-token")
    assert page.status_code == 400
    assert "Tacka ja till platsen" in _text(page)
    assert "Ja, jag tar platsen" not in _text(page)


def test_public_pages_need_the_forms_token(gateway_on_events: LiveServer, events_staff: EventsStaff) -> None:
    event = _published(events_staff)
    visitor = browser(gateway_on_events)
    visitor.get(f"/evenemang/{event['id']}")
    refused = visitor.post(f"/evenemang/{event['id']}", data={"name": "Eva", "email": "e@example.se"})
    assert refused.status_code == 403


def test_a_representative_sees_and_registers_only_their_own_organisations_people(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    org_a, org_b = str(uuid.uuid4()), str(uuid.uuid4())
    event = _published(events_staff)
    other = f"other-{uuid.uuid4().hex[:6]}@example.se"
    events_staff.send(
        "POST",
        f"/v1/events/{event['id']}/registrations",
        {"name": "Annan Person", "email": other, "organisation_id": org_b},
    )
    client = signed_in_as(gateway_on_events, events_settings, "org_representative", organisation=org_a)
    page = client.get(f"/events/{event['id']}")
    assert page.status_code == 200
    assert other not in page.text and "Annan Person" not in page.text
    assert "Publicera evenemanget" not in page.text  # publishing is for staff
    own = f"own-{uuid.uuid4().hex[:6]}@example.se"
    sent = client.post(
        f"/events/{event['id']}/registrations",
        data={"csrf_token": csrf_of(page.text), "name": "Egen Medlem", "email": own},
    )
    assert sent.status_code == 303, sent.text
    people = events_staff.send("GET", f"/v1/events/{event['id']}/registrations", expect=200)["items"]
    assert {p["email"]: p["organisation_id"] for p in people}[own] == org_a
    page = client.get(f"/events/{event['id']}")
    assert own in page.text and other not in page.text


def test_the_public_list_shows_one_organisations_events_as_the_feeds_link_it(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    org = str(uuid.uuid4())
    theirs = _published(events_staff, organiser_ids=[org])
    others = _published(events_staff)
    listed = _text(browser(gateway_on_events).get("/evenemang", params={"organisation": org}))
    assert theirs["title"] in listed and others["title"] not in listed


@pytest.fixture(scope="module")
def proxied_app(events_settings: Settings) -> FastAPI:
    """The same gateway trusting the test as its proxy, so each test can speak from an address of its own."""
    settings = events_settings.model_copy(update={"trusted_proxies": [ipaddress.ip_network("127.0.0.1/32")]})
    return create_app(settings)


@pytest.fixture(scope="module")
def gateway_behind_proxy(proxied_app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(proxied_app) as server:
        yield server


def _send_form(
    visitor: httpx.Client, event: dict[str, Any], page: httpx.Response, name: str, email: str
) -> httpx.Response:
    """The event's public registration form, sent as the visitor's browser sends it from `page`."""
    return visitor.post(
        f"/evenemang/{event['id']}", data={"csrf_token": csrf_of(page.text), "name": name, "email": email}
    )


def _register_from(gateway: LiveServer, event_id: str, address: str, n: int) -> httpx.Response:
    visitor = browser(gateway)
    visitor.headers["X-Forwarded-For"] = address
    page = visitor.get(f"/evenemang/{event_id}")
    return visitor.post(
        f"/evenemang/{event_id}",
        data={
            "csrf_token": csrf_of(page.text),
            "name": f"Person {n}",
            "email": f"p{n}-{uuid.uuid4().hex[:6]}@example.se",
        },
    )


def test_one_address_has_a_small_budget_of_registrations_per_event(
    gateway_behind_proxy: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    for n in range(throttle.REGISTRATIONS_PER_EVENT):
        # One IPv6 network is one address, however many addresses of it are used.
        assert _register_from(gateway_behind_proxy, event["id"], f"2001:db8:7::{n + 1}", n).status_code == 303
    refused = _register_from(gateway_behind_proxy, event["id"], "2001:db8:7::99", 99)
    assert refused.status_code == 429
    assert "Försök igen i morgon" in _text(refused)
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    people = events_staff.send("GET", f"/v1/events/{event['id']}/registrations", expect=200)["items"]
    assert len(people) == throttle.REGISTRATIONS_PER_EVENT
    # Someone else is not held up by it.
    assert _register_from(gateway_behind_proxy, event["id"], "2001:db8:8::1", 100).status_code == 303


def test_one_address_has_a_daily_budget_of_registrations_over_all_events(
    gateway_behind_proxy: LiveServer, events_staff: EventsStaff
) -> None:
    address = "203.0.113.9"
    sent = 0
    while sent < throttle.REGISTRATIONS_PER_DAY:
        event = _published(events_staff)
        for _ in range(min(throttle.REGISTRATIONS_PER_EVENT, throttle.REGISTRATIONS_PER_DAY - sent)):
            assert _register_from(gateway_behind_proxy, event["id"], address, sent).status_code == 303
            sent += 1
    fresh = _published(events_staff)
    assert _register_from(gateway_behind_proxy, fresh["id"], address, sent).status_code == 429


def test_visitors_share_one_public_identity_whatever_cookie_they_bring(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    browser(gateway_on_events).get(f"/evenemang/{event['id']}")
    minted = len(MINTED._tokens)
    for _ in range(5):
        # A robot's random pre-session cookies must not each get a signed identity (and cache entries).
        visitor = browser(gateway_on_events)
        visitor.cookies.set("delaktig_pre", uuid.uuid4().hex)
        assert visitor.get(f"/evenemang/{event['id']}").status_code == 200
    assert len(MINTED._tokens) == minted


def test_a_registration_refused_because_the_event_closed_meanwhile_says_why(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    visitor = browser(gateway_on_events)
    page = visitor.get(f"/evenemang/{event['id']}")
    events_staff.send("POST", f"/v1/events/{event['id']}/cancel", {"reason": None}, expect=200)
    sent = _send_form(visitor, event, page, "Eva Lind", "eva-late@example.se")
    assert sent.status_code == 400
    assert 'role="alert"' in sent.text, _text(sent)


class _CutShort(RegistrationDesk):
    """A desk whose every batch is cut short on its way: "it may have gone through" (503)."""

    async def register(self, event_id: uuid.UUID, person: Any) -> Any:
        raise Unavailable(AGAIN, perhaps_taken=True)


@contextlib.contextmanager
def desk_stopped(events_app: FastAPI, *, cut_short: bool = False) -> Iterator[None]:
    """The events service's registration desk answers every registration "not now" (503): a stopped
    desk (surely not taken), or with `cut_short` one whose batches may have gone through."""
    desk = (_CutShort if cut_short else RegistrationDesk)(lambda: None, lambda: None)  # type: ignore[arg-type,return-value]
    if not cut_short:
        asyncio.run(desk.close())
    working, events_app.state.registration_desk = events_app.state.registration_desk, desk
    try:
        yield
    finally:
        events_app.state.registration_desk = working


def test_a_registration_the_service_cannot_take_now_is_shown_again_with_what_was_written(
    gateway_on_events: LiveServer, events_app: FastAPI, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    visitor = browser(gateway_on_events)
    page = visitor.get(f"/evenemang/{event['id']}")
    # The service's desk answers "not now" (as during a restart, or a crowd larger than its line).
    with desk_stopped(events_app):
        # Trying again as asked, more often than the address's budget for the event: a registration
        # that was not taken is not counted against it.
        for _attempt in range(throttle.REGISTRATIONS_PER_EVENT + 1):
            sent = _send_form(visitor, event, page, "Eva Lind", "eva-busy@example.se")
            assert sent.status_code == 503, _text(sent)
            page = sent
    assert int(sent.headers["Retry-After"]) > 0
    # It may have gone through (the answer lost on its way): the visitor is told so, and that
    # sending it again is safe.
    assert 'role="alert"' in sent.text, _text(sent)
    assert "kanske" in _text(sent) and "inte anmäld två gånger" in _text(sent), _text(sent)
    # Nothing written is lost: the form comes back filled in, ready to send again.
    assert 'value="Eva Lind"' in sent.text and 'value="eva-busy@example.se"' in sent.text
    again = _send_form(visitor, event, sent, "Eva Lind", "eva-busy@example.se")
    assert again.status_code == 303, _text(again)


def test_a_registration_that_may_have_gone_through_still_counts_against_the_addresss_budget(
    gateway_on_events: LiveServer, events_app: FastAPI, events_staff: EventsStaff
) -> None:
    # Given back only when the service surely took nothing: otherwise answers cut short under load
    # would let one address register without limit under ever new names.
    event = _published(events_staff)
    visitor = browser(gateway_on_events)
    page = visitor.get(f"/evenemang/{event['id']}")
    with desk_stopped(events_app, cut_short=True):
        for n in range(throttle.REGISTRATIONS_PER_EVENT):
            sent = _send_form(visitor, event, page, f"Namn {n}", f"n{n}@example.se")
            assert sent.status_code == 503, _text(sent)
            assert "kanske" in _text(sent), _text(sent)
            page = sent
        over = _send_form(visitor, event, page, "Namn X", "nx@example.se")
    assert over.status_code == 429, _text(over)


@pytest.mark.parametrize("failing", ["the give-back", "the page"])
def test_a_registration_not_taken_says_try_again_even_when_more_fails(
    gateway_on_events: LiveServer,
    events_app: FastAPI,
    events_staff: EventsStaff,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    event = _published(events_staff)
    visitor = browser(gateway_on_events)
    page = visitor.get(f"/evenemang/{event['id']}")

    async def gone(*_args: object, **_kwargs: object) -> None:
        if failing == "the give-back":
            raise OSError("the gateway's database went away")
        raise event_pages.upstream.ServiceUnavailable("events")

    if failing == "the give-back":
        monkeypatch.setattr(throttle, "registration_not_taken", gone)
    else:
        # The service went away altogether after saying "not now": the form cannot be shown again.
        monkeypatch.setattr(event_pages, "_visitor_json", gone)
    with desk_stopped(events_app):
        sent = _send_form(visitor, event, page, "Eva Lind", "eva-gone@example.se")
    assert sent.status_code == 503, _text(sent)
    assert int(sent.headers["Retry-After"]) > 0
    assert "kanske" in _text(sent) and "inte anmäld två gånger" in _text(sent), _text(sent)
    if failing == "the give-back":
        assert 'value="Eva Lind"' in sent.text, "the form comes back as written"


def test_switching_language_on_a_link_page_keeps_the_link(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    receipt = events_staff.send(
        "POST", f"/v1/events/{event['id']}/registrations", {"name": "Eva", "email": "eva-lang@example.se"}
    )
    visitor = browser(gateway_on_events)
    page = visitor.get("/evenemang/avboka", params={"token": receipt["cancel_token"]})
    found = re.search(r'name="next" value="([^"]*)"', page.text)
    assert found
    switched = visitor.post(
        "/language",
        data={"csrf_token": csrf_of(page.text), "language": "en", "next": html.unescape(found[1])},
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/evenemang/avboka?token={receipt['cancel_token']}"
    assert visitor.get(switched.headers["location"]).status_code == 200


def test_an_organisers_web_address_is_a_link(
    gateway_on_events: LiveServer, events_staff: EventsStaff
) -> None:
    event = _published(events_staff, registration="none", external_url="https://example.se/dag")
    public = browser(gateway_on_events).get(f"/evenemang/{event['id']}")
    assert 'href="https://example.se/dag"' in public.text


def test_the_public_list_says_when_it_shows_only_part_and_pages_on(
    gateway_on_events: LiveServer, events_staff: EventsStaff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_pages, "PUBLIC_PAGE_SIZE", 1, raising=False)
    _published(events_staff)
    _published(events_staff)
    listed = _text(browser(gateway_on_events).get("/evenemang"))
    assert re.search(r"Visar 1–1 av \d+", listed), listed
    assert 'href="/evenemang?offset=1"' in listed
    second = browser(gateway_on_events).get("/evenemang", params={"offset": 1})
    assert second.status_code == 200 and "Visar 2–2 av" in _text(second)


def test_the_event_page_says_when_it_shows_only_part_of_the_registrations(
    gateway_on_events: LiveServer,
    events_settings: Settings,
    events_staff: EventsStaff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(event_pages, "REGISTRATIONS_SHOWN", 2, raising=False)
    event = _published(events_staff)
    for n in range(3):
        body = {"name": f"Person {n}", "email": f"part-{n}-{uuid.uuid4().hex[:6]}@example.se"}
        events_staff.send("POST", f"/v1/events/{event['id']}/registrations", body)
    page = _text(_staff(gateway_on_events, events_settings).get(f"/events/{event['id']}"))
    assert "Visar 2 av totalt 3 anmälningar" in page, page


class CountingPool:
    """The gateway's pool, counting the connections taken from it."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.taken = 0

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        self.taken += 1
        return self.pool.acquire(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pool, name)


def test_a_visitor_without_a_session_takes_no_database_connection_to_read_events(
    proxied_app: FastAPI,
    gateway_behind_proxy: LiveServer,
    events_settings: Settings,
    events_staff: EventsStaff,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = _published(events_staff)
    runtime = proxied_app.state.runtime
    counting = CountingPool(runtime.pool)
    monkeypatch.setattr(runtime, "_pool", counting)
    visitor = browser(gateway_behind_proxy)
    for path in ("/evenemang", f"/evenemang/{event['id']}", "/evenemang/avboka?token=x"):
        assert visitor.get(path).status_code in (200, 400)
    assert counting.taken == 0
    # Signed in, the session is looked up (and the connection given back before the service answers).
    staff = _staff(gateway_behind_proxy, events_settings)
    taken = counting.taken
    assert staff.get(f"/events/{event['id']}").status_code == 200
    assert counting.taken == taken + 1


OLD_COUNTS = "SELECT count(*) FROM registration_counts WHERE day < current_date - 1"


def test_yesterdays_registration_counts_are_forgotten(
    gateway_behind_proxy: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    async def rows() -> int:
        conn = await asyncpg.connect(events_settings.database_url)
        try:
            await conn.execute(
                "INSERT INTO registration_counts (ip, event_id, day, attempts)"
                " VALUES ('198.51.100.1', '', current_date - 2, 99) ON CONFLICT DO NOTHING"
            )
            return int(await conn.fetchval(OLD_COUNTS))
        finally:
            await conn.close()

    assert run(rows()) == 1
    event = _published(events_staff)
    assert _register_from(gateway_behind_proxy, event["id"], "198.51.100.2", 0).status_code == 303

    async def left() -> int:
        conn = await asyncpg.connect(events_settings.database_url)
        try:
            return int(await conn.fetchval(OLD_COUNTS))
        finally:
            await conn.close()

    assert run(left()) == 0


def _checkin_form(page: str, name: str) -> dict[str, str]:
    """The hidden fields of the one-tap check-in button for `name` on the check-in page."""
    row = re.search(
        r'<form[^>]*action="[^"]*/check-in"[^>]*>(?:(?!</form>).)*?' + re.escape(name) + r".*?</form>",
        page,
        re.S,
    )
    assert row, f"no check-in button for {name}"
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', row.group(0)))


def test_staff_find_a_person_by_name_and_check_them_in_with_one_tap(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff, capacity=10)
    for name in ("Anna Berg", "Bo Ek"):
        events_staff.send(
            "POST",
            f"/v1/events/{event['id']}/registrations",
            {"name": name, "email": f"{uuid.uuid4().hex[:6]}@ex.se"},
        )
    client = _staff(gateway_on_events, events_settings)
    page = client.get(f"/events/{event['id']}/check-in", params={"name": "berg"})
    assert page.status_code == 200
    text = _text(page)
    assert "Anna Berg" in text and "Bo Ek" not in text
    assert '<label for="field-search"' in page.text  # the search has a label: for keyboards and readers
    form = _checkin_form(page.text, "Anna Berg")
    # A phone on a bad connection sends the same form twice: one check-in.
    for _ in range(2):
        done = client.post(f"/events/{event['id']}/check-in", data=form)
        assert done.status_code == 303, done.text
    people = events_staff.send("GET", f"/v1/events/{event['id']}/registrations", expect=200)["items"]
    assert [p["name"] for p in people if p["checked_in_at"]] == ["Anna Berg"]
    assert "Incheckad" in _text(client.get(f"/events/{event['id']}/check-in", params={"name": "berg"}))


def test_a_walk_in_is_added_at_the_door_and_a_full_event_asks_the_staff_first(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff, capacity=1)
    events_staff.send(
        "POST", f"/v1/events/{event['id']}/registrations", {"name": "Har Plats", "email": "plats@ex.se"}
    )
    client = _staff(gateway_on_events, events_settings)
    page = client.get(f"/events/{event['id']}/check-in")
    fields = dict(
        re.findall(r'name="(csrf_token|nonce)" value="([^"]*)"', page.text.split('id="walk-in"')[1])
    )
    full = client.post(f"/events/{event['id']}/check-in/walk-ins", data={**fields, "name": "Sen Gäst"})
    assert full.status_code == 409
    assert "fullt" in _text(full) and 'name="beyond_capacity"' in full.text
    again = dict(re.findall(r'name="(csrf_token|nonce)" value="([^"]*)"', full.text.split('id="walk-in"')[1]))
    assert again["nonce"] == fields["nonce"]  # the same person's try, still one nonce
    let_in = client.post(
        f"/events/{event['id']}/check-in/walk-ins",
        data={**again, "name": "Sen Gäst", "beyond_capacity": "on"},
    )
    assert let_in.status_code == 303, let_in.text
    people = events_staff.send("GET", f"/v1/events/{event['id']}/registrations", expect=200)["items"]
    guest = next(p for p in people if p["name"] == "Sen Gäst")
    assert guest["walk_in"] and guest["beyond_capacity"] and guest["checked_in_at"]


def test_the_export_page_says_what_the_file_holds_and_who_may_download_it(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff, asks_food=True, asks_accessibility=True)
    events_staff.send(
        "POST",
        f"/v1/events/{event['id']}/registrations",
        {"name": "Åsa Öberg", "email": "asa@ex.se", "food": "vegetarisk", "accessibility": ["interpreter"]},
    )
    client = _staff(gateway_on_events, events_settings)
    page = client.get(f"/events/{event['id']}/export")
    assert page.status_code == 200
    text = _text(page)
    assert "Mat" in text and "Tillgänglighet" in text and f"/events/{event['id']}/export.csv" in text
    csv_file = client.get(f"/events/{event['id']}/export.csv")
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
    assert "no-store" in csv_file.headers["cache-control"]
    body = csv_file.content.decode("utf-8-sig")
    assert "Åsa Öberg" in body and "vegetarisk" in body and "interpreter" in body
    # A representative downloads only their own organisation's people; a reader with no such role none.
    rep = signed_in_as(
        gateway_on_events, events_settings, "org_representative", organisation=str(uuid.uuid4())
    )
    own = rep.get(f"/events/{event['id']}/export.csv")
    assert own.status_code == 200 and "Åsa Öberg" not in own.content.decode("utf-8-sig")
    nobody = signed_in_as(gateway_on_events, events_settings)
    assert nobody.get(f"/events/{event['id']}/export.csv").status_code in (302, 303, 403)


def test_staff_edit_and_remove_a_programme_item_and_print_the_timetable(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    day = event["starts_at"][:10]
    base = f"/v1/events/{event['id']}/programme"
    first = events_staff.send(
        "POST", base, {"starts_at": f"{day}T12:30:00", "ends_at": f"{day}T13:00:00", "title": "Välkommen"}
    )
    events_staff.send(
        "POST", base, {"starts_at": f"{day}T13:00:00", "ends_at": f"{day}T14:00:00", "title": "Grupperna"}
    )
    client = _staff(gateway_on_events, events_settings)
    form = client.get(f"/events/{event['id']}/programme/{first['id']}/edit")
    assert form.status_code == 200 and 'value="Välkommen"' in _text(form) and 'value="12:30"' in form.text
    token = csrf_of(form.text)
    saved = client.post(
        f"/events/{event['id']}/programme/{first['id']}",
        data={
            "csrf_token": token,
            "day": day,
            "starts": "12:45",
            "ends": "13:00",
            "title": "Välkomna allihop",
            "room": "Aulan",
            "responsible": "Mentorsgruppen",
            "notes": "Mikrofon behövs",
        },
    )
    assert saved.status_code == 303, saved.text
    refused = client.post(
        f"/events/{event['id']}/programme/{first['id']}",
        data={"csrf_token": token, "day": day, "starts": "07:00", "ends": "08:00", "title": "Tidigt"},
    )
    assert refused.status_code == 400 and "utanför evenemangets tid" in _text(refused)
    timetable = client.get(f"/events/{event['id']}/programme")
    text = _text(timetable)
    assert timetable.status_code == 200
    assert text.index("12:45–13:00") < text.index("Välkomna allihop") < text.index("13:00–14:00")
    assert "Aulan" in text and "Mentorsgruppen" in text and "Mikrofon behövs" in text
    assert 'class="printable' in timetable.text  # the print style sheet keeps only the timetable
    removed = client.post(f"/events/{event['id']}/programme/{first['id']}/delete", data={"csrf_token": token})
    assert removed.status_code == 303, removed.text
    left = events_staff.send("GET", base, expect=200)
    assert [i["title"] for i in left] == ["Grupperna"]
    gone = client.get(f"/events/{event['id']}/programme/{first['id']}/edit")
    assert gone.status_code == 404


def test_a_reader_sees_the_timetable_but_no_edit_buttons(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    day = event["starts_at"][:10]
    events_staff.send(
        "POST",
        f"/v1/events/{event['id']}/programme",
        {"starts_at": f"{day}T12:30:00", "ends_at": f"{day}T13:00:00", "title": "Välkommen"},
    )
    rep = signed_in_as(
        gateway_on_events, events_settings, "org_representative", organisation=str(uuid.uuid4())
    )
    page = rep.get(f"/events/{event['id']}/programme")
    assert page.status_code == 200 and "Välkommen" in _text(page) and "/edit" not in page.text


def test_staff_are_warned_when_the_audience_changed_after_people_registered(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff
) -> None:
    event = _published(events_staff)
    events_staff.send(
        "POST", f"/v1/events/{event['id']}/registrations", {"name": "Tidig", "email": "t@ex.se"}
    )
    events_staff.send("PATCH", f"/v1/events/{event['id']}", {"audience": "staff"}, expect=200)
    text = _text(_staff(gateway_on_events, events_settings).get(f"/events/{event['id']}"))
    assert "Ny publik" in text
    assert "1 anmälda från före ändringen av publiken" in text


def test_staff_ask_for_helpers_on_the_event_page_and_see_the_request(
    gateway_on_events: LiveServer, events_settings: Settings, events_staff: EventsStaff, events_app: FastAPI
) -> None:
    event = _published(events_staff)
    client = _staff(gateway_on_events, events_settings)
    page = client.get(f"/events/{event['id']}")
    assert 'action="/events/' + event["id"] + '/helpers"' in page.text
    asked = client.post(
        f"/events/{event['id']}/helpers",
        data={
            "csrf_token": csrf_of(page.text),
            "pool_key": "grillvardar",
            "seats": "4",
            "starts": "11:30",
            "ends": "16:00",
            "needs": "Kan tända en grill",
        },
    )
    assert asked.status_code == 303, asked.text
    (made,) = events_staff.send("GET", f"/v1/events/{event['id']}/helpers", expect=200)
    assert made["seats"] == 4 and made["starts_at"].startswith(event["starts_at"][:10])
    text = _text(client.get(f"/events/{event['id']}"))
    assert "grillvardar" in text and "Kan tända en grill" in text and "0 av 4 hjälpare bekräftade" in text

    async def one_confirmed() -> None:
        # As the volunteers service's volunteers.assignment.confirmed.v1 leaves it (events.helpers).
        conn = await asyncpg.connect(events_app.state.runtime.settings.database_url)
        try:
            await conn.execute(
                "INSERT INTO help_assignments (assignment_id, help_request_id, confirmed_at)"
                " VALUES ($1, $2, now())",
                uuid.uuid4(),
                uuid.UUID(made["id"]),
            )
        finally:
            await conn.close()

    run(one_confirmed())
    assert "1 av 4 hjälpare bekräftade" in _text(client.get(f"/events/{event['id']}"))
    refused = client.post(
        f"/events/{event['id']}/helpers",
        data={"csrf_token": csrf_of(page.text), "pool_key": "grillvardar", "seats": "två"},
    )
    assert refused.status_code == 400 and "hur många" in _text(refused)
