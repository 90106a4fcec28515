"""The events pages' own reading of forms: times on the service's clock, what the service must decide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.pages.events import EventForm, event_body, person_body, registration_open

ZONE = ZoneInfo("Europe/Berlin")  # any zone: the page uses the one it is given


def _form(**values: str | list[str]) -> dict[str, str]:
    base: dict[str, object] = {
        "title": "Hälsodag på Gröningen",
        "kind": "party",
        "day": "2027-06-01",
        "starts": "10:00",
        "ends": "16:00",
        "audience": "public",
        "registration": "open",
        "waitlist_mode": "offer",
        "offer_hours": "48",
    }
    base.update(values)
    return EventForm.model_validate(base).values()


def test_an_event_of_several_days_ends_on_its_last_day_in_the_given_zone() -> None:
    body, errors = event_body(_form(end_day="2027-06-02", capacity="40", asks=["food"]), ZONE)
    assert errors == {}
    assert body["starts_at"] == "2027-06-01T10:00:00+02:00"
    assert body["ends_at"] == "2027-06-02T16:00:00+02:00"
    assert body["capacity"] == 40 and body["asks_food"] is True and body["asks_accessibility"] is False


def test_an_empty_capacity_means_no_limit_and_empty_optional_fields_are_cleared() -> None:
    body, errors = event_body(_form(venue_name="  ", version="3"), ZONE)
    assert errors == {}
    assert body["capacity"] is None and body["venue_name"] is None and body["version"] == 3


def test_what_the_page_cannot_read_is_named_beside_each_field() -> None:
    body, errors = event_body(_form(title=" ", day="1 juni", starts="tio", capacity="många"), ZONE)
    assert body == {}
    assert set(errors) == {"title", "day", "starts", "capacity"}


def test_digits_that_are_not_0_to_9_are_named_beside_their_field_not_an_error_page() -> None:
    # "²" and "٣" pass str.isdigit, but int() cannot read "²".
    body, errors = event_body(_form(capacity="²", offer_hours="٣²", version="²"), ZONE)
    assert body == {}
    assert set(errors) == {"capacity", "offer_hours"}
    body, errors = event_body(_form(capacity="1" * 7, version="²"), ZONE)
    assert set(errors) == {"capacity"}
    body, errors = event_body(_form(version="²"), ZONE)
    assert errors == {} and "version" not in body


def test_a_person_needs_a_name_and_one_way_to_be_reached() -> None:
    assert person_body({"name": "Eva", "email": "", "phone": "070-111 22 33"})[1] == {}
    body, errors = person_body({"name": "", "email": "", "phone": ""})
    assert body == {} and set(errors) == {"name", "email"}


def test_the_form_is_shown_only_while_registration_is_open() -> None:
    now = datetime(2027, 5, 1, tzinfo=UTC)
    event = {
        "registration": "open",
        "status": "published",
        "registration_opens_at": None,
        "registration_closes_at": None,
        "starts_at": (now + timedelta(days=3)).isoformat(),
    }
    assert registration_open(event, now)
    assert not registration_open({**event, "status": "cancelled"}, now)
    assert not registration_open({**event, "registration": "none"}, now)
    assert not registration_open(
        {**event, "registration_closes_at": (now - timedelta(hours=1)).isoformat()}, now
    )
    assert not registration_open({**event, "starts_at": (now - timedelta(hours=1)).isoformat()}, now)


def _detail_link(url: str) -> str:
    from gateway.rendering import ENV

    return ENV.from_string(
        '{% import "events/macros.html" as events %}{{ events.web_link(url, "Läs mer") }}'
    ).render(url=url)


def test_an_organisers_address_is_a_link_only_when_it_is_a_web_address() -> None:
    # The service checks the address too; the page does not rely on it.
    for url in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example"):
        shown = _detail_link(url)
        assert "<a" not in shown and "href" not in shown, shown
    assert _detail_link("HTTPS://example.se/dag") == '<a href="HTTPS://example.se/dag">Läs mer</a>'
    assert _detail_link('https://example.se/"x') == '<a href="https://example.se/&#34;x">Läs mer</a>'
