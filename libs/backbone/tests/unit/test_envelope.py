"""The envelope: CloudEvents 1.0 in structured JSON, and plain reasons when a message is not one."""

import json
import uuid

import pytest

from backbone.envelope import TYPE_PREFIX, BadEnvelope, new_envelope, parse_envelope, subject_of


def test_a_new_envelope_round_trips_as_a_cloudevent():
    env = new_envelope(
        subject="meetings.meeting.scheduled.v1",
        source="/meetings",
        data={"title": "Möte"},
        aggregate="meeting/1",
        correlation_id="abc",
    )
    doc = json.loads(env.to_json())
    assert doc["specversion"] == "1.0"
    assert doc["type"] == TYPE_PREFIX + "meetings.meeting.scheduled.v1"
    assert doc["datacontenttype"] == "application/json"
    assert {"id", "source", "type", "time", "subject", "data"} <= doc.keys()
    assert parse_envelope(env.to_json()) == env
    assert env.nats_subject == "meetings.meeting.scheduled.v1"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"not json at all", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"specversion": "0.3"}).encode(), "specversion"),
        (json.dumps({"specversion": "1.0", "id": "x"}).encode(), "not a valid CloudEvent"),
        (
            json.dumps(
                {
                    "specversion": "1.0",
                    "id": "not-a-uuid",
                    "source": "/x",
                    "type": "t",
                    "time": "2026-01-01T00:00:00Z",
                }
            ).encode(),
            "UUID",
        ),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_a_message_that_is_not_an_event_is_refused_with_a_reason(raw, reason):
    with pytest.raises(BadEnvelope, match=reason):
        parse_envelope(raw)


def test_event_types_map_to_subjects_only_under_our_prefix():
    assert subject_of(TYPE_PREFIX + "a.b.c.v1") == "a.b.c.v1"
    with pytest.raises(ValueError, match="must start with"):
        subject_of("com.example.a.b.c.v1")


def test_ids_are_unique():
    ids = {
        new_envelope(subject="a.b.c.v1", source="/a", data={}, aggregate=None, correlation_id=None).id
        for _ in range(100)
    }
    assert len(ids) == 100
    assert all(uuid.UUID(i) for i in ids)


def test_the_aggregate_sequence_travels_as_an_extension_attribute():
    env = new_envelope(
        subject="a.b.c.v1", source="/a", data={}, aggregate="thing/1", correlation_id=None, sequence=7
    )
    doc = json.loads(env.to_json())
    assert doc["aggregateseq"] == 7
    assert parse_envelope(env.to_json()).aggregateseq == 7
    older = new_envelope(subject="a.b.c.v1", source="/a", data={}, aggregate="thing/1", correlation_id=None)
    assert "aggregateseq" not in json.loads(older.to_json())
    assert parse_envelope(older.to_json()).aggregateseq is None


def test_an_aggregate_sequence_below_one_is_not_an_event_we_read():
    env = new_envelope(subject="a.b.c.v1", source="/a", data={}, aggregate="t/1", correlation_id=None)
    doc = {**json.loads(env.to_json()), "aggregateseq": 0}
    with pytest.raises(BadEnvelope, match="aggregateseq"):
        parse_envelope(json.dumps(doc).encode())


@pytest.mark.parametrize("raw", [b"[" * 100_000, b'{"a":' * 100_000])
def test_a_message_nested_too_deep_to_read_is_a_bad_envelope_not_a_crash(raw):
    # Anything else than BadEnvelope would never be dead-lettered and would restart the consumer.
    with pytest.raises(BadEnvelope, match="not JSON"):
        parse_envelope(raw)
