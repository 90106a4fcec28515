"""Which answers to rights requests the service listens for: those the catalogue declares, from the
services the settings name, and nothing else of their streams."""

from pydantic import BaseModel

from backbone.contracts import EventType
from volunteers.rights import answer_wiring
from volunteers.settings import Settings


class _Any(BaseModel):
    pass


def catalogue(*subjects: str) -> dict[str, EventType]:
    return {s: EventType(subject=s, payload=_Any, description="", aggregate="x") for s in subjects}


def test_declared_answers_are_read_and_the_rest_of_those_streams_ignored():
    known = catalogue(
        "events.export.completed.v1",
        "events.erasure.completed.v1",
        "events.event.published.v1",
        "events.helpers.requested.v1",
        "meetings.meeting.scheduled.v1",
    )
    wiring = answer_wiring(
        ("volunteers", "events", "notify"), known, handled={"events.helpers.requested.v1"}
    )
    assert sorted(s.subject for s in wiring.subscriptions) == [
        "events.erasure.completed.v1",
        "events.export.completed.v1",
    ]
    # Handled elsewhere stays out of ignored; another service's stream is not read at all.
    assert wiring.ignored == frozenset({"events.event.published.v1"})
    # notify has not declared its answers yet: its part of a request cannot complete.
    assert wiring.undeclared == ["notify"]


def test_nothing_is_read_when_no_other_service_is_named():
    wiring = answer_wiring(("volunteers",), catalogue("events.export.completed.v1"))
    assert (wiring.subscriptions, wiring.ignored, wiring.undeclared) == ([], frozenset(), [])


def test_the_setting_names_the_services_in_order_once():
    settings = Settings(environment="test", rights_services="volunteers,events,events")
    assert settings.rights_service_names == ("volunteers", "events")
    assert Settings(environment="test").rights_service_names == ("volunteers", "events", "notify")
