"""Request bodies: text that PostgreSQL, the feeds and the mails can carry, refused in Swedish if not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from events.api.schemas import EventCreate, ProgrammeItemCreate, RegistrationCreate

START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def event(**kw: Any) -> EventCreate:
    body = {"title": "Utvecklingsdag", "starts_at": START, "ends_at": START + timedelta(hours=2)}
    return EventCreate.model_validate(body | kw)


@pytest.mark.parametrize("bad", ["a\x00b", "a\x01b", "a\x0bb", "a\x1fb", "a\x7fb"])
@pytest.mark.parametrize("field", ["title", "venue_name", "description_sv", "accessibility_notes"])
def test_control_characters_are_refused_in_every_text_field(field: str, bad: str) -> None:
    with pytest.raises(ValidationError, match="tecken som inte går att spara"):
        event(**{field: bad})


@pytest.mark.parametrize("bad", ["Möte\rkl 10", "Möte\nkl 10"])
def test_a_line_break_is_refused_in_single_line_fields_and_kept_in_long_ones(bad: str) -> None:
    with pytest.raises(ValidationError, match="en enda rad"):
        event(title=bad)
    with pytest.raises(ValidationError, match="en enda rad"):
        event(venue_address=bad)
    assert event(description_sv="Rad ett\r\nRad två\n\tindrag").description_sv.startswith("Rad ett\r\n")


def test_a_registration_and_a_programme_item_refuse_control_characters_too() -> None:
    with pytest.raises(ValidationError, match="tecken som inte går att spara"):
        RegistrationCreate.model_validate({"name": "Ann\x00", "email": "ann@example.se"})
    with pytest.raises(ValidationError, match="tecken som inte går att spara"):
        RegistrationCreate.model_validate({"name": "Ann", "email": "ann@example.se", "food": "ve\x00g"})
    item = {"starts_at": START, "ends_at": START + timedelta(hours=1), "title": "Fika"}
    with pytest.raises(ValidationError, match="tecken som inte går att spara"):
        ProgrammeItemCreate.model_validate(item | {"responsible": "Ann\x00"})


@pytest.mark.parametrize(
    "url", ["https://example.se/a\nb", "https://example.se/a b", "https://example.se/\x00", "https://"]
)
def test_an_external_url_must_be_one_whole_address(url: str) -> None:
    with pytest.raises(ValidationError):
        event(external_url=url)
    assert event(external_url="https://example.se/mote?x=1").external_url == "https://example.se/mote?x=1"
