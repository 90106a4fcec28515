"""Finding the subjects a consumer would never get: another major version of one it reads."""

from backbone.consumer import other_versions


def test_a_newer_major_version_of_a_subject_read_only_in_v1_is_found():
    reads = ["meetings.minutes.published.v1", "meetings.meeting.scheduled.v1"]
    on_stream = {
        "meetings.minutes.published.v1",
        "meetings.minutes.published.v2",
        "meetings.meeting.scheduled.v1",
        "meetings.meeting.cancelled.v1",  # not read in any version: not ours to mention
    }
    assert other_versions(reads, on_stream) == [
        ("meetings.minutes.published.v2", "meetings.minutes.published", 2)
    ]


def test_reading_both_versions_finds_nothing():
    reads = ["a.b.c.v1", "a.b.c.v2"]
    assert other_versions(reads, {"a.b.c.v1", "a.b.c.v2"}) == []
