"""The event catalogue: every event has a schema, and data that breaks it never leaves the publisher."""

import pytest
from pydantic import BaseModel

from backbone.contracts import SchemaViolation, event_type, load_catalogue


class _Thing(BaseModel):
    name: str
    count: int


THING_HAPPENED = event_type("tests.thing.happened.v1", _Thing, aggregate="thing", description="test only")


def test_data_matching_the_schema_passes():
    THING_HAPPENED.validate({"name": "a", "count": 1})


@pytest.mark.parametrize("data", [{"name": "a"}, {"name": "a", "count": "many"}, {"name": 3, "count": 1}, {}])
def test_data_breaking_the_schema_is_a_programming_error(data):
    with pytest.raises(SchemaViolation, match="tests.thing.happened.v1"):
        THING_HAPPENED.validate(data)


@pytest.mark.parametrize("subject", ["meetings.scheduled", "a.b.c.1", "a.b.c.vx", "a.b.c.d.v1"])
def test_subjects_must_name_owner_entity_fact_and_version(subject):
    with pytest.raises(ValueError, match="must look like"):
        event_type(subject, _Thing, aggregate="x", description="")


def test_declaring_one_subject_with_two_payloads_is_refused():
    class Other(BaseModel):
        x: int

    with pytest.raises(ValueError, match="declared twice"):
        event_type("tests.thing.happened.v1", Other, aggregate="thing", description="")


def test_the_catalogue_holds_every_service_event_with_a_schema():
    catalogue = load_catalogue()
    assert "meetings.meeting.scheduled.v1" in catalogue
    assert "notify.email.sent.v1" in catalogue
    for subject, et in catalogue.items():
        assert et.owner == subject.split(".")[0]
        assert et.schema["type"] == "object", subject
        assert et.description, f"{subject} needs a description"
