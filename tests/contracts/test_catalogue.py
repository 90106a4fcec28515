"""Contracts across services: every consumed event is published by someone, with the fields it reads.

The consumers are found, not listed: every service package (those that declare contracts through the
`backbone.contracts` entry point, and every `services/*/src/<package>/consumers.py`) is asked for its
SUBSCRIPTIONS table, so a consumer added later is checked without anyone editing this file.
"""

import json
import sys
from collections.abc import Iterable, Iterator
from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from backbone.catalogue import catalogue_document
from backbone.consumer import other_versions
from backbone.contracts import EventType, load_catalogue

ROOT = Path(__file__).resolve().parents[2]


def consumer_packages(root: Path = ROOT) -> list[str]:
    """Every service package that may consume: the contract publishers and each one with a consumers.py."""
    publishers = {ep.value.split(".")[0] for ep in entry_points(group="backbone.contracts")}
    on_disk = {path.parent.name for path in root.glob("services/*/src/*/consumers.py")}
    return sorted(publishers | on_disk)


def subscriptions_of(packages: Iterable[str]) -> Iterator[tuple[str, Any]]:
    """(package, row) for every row of every package's SUBSCRIPTIONS table."""
    for package in packages:
        try:
            module = import_module(f"{package}.consumers")
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.consumers":
                raise
            continue  # publishes, consumes nothing
        table = getattr(module, "SUBSCRIPTIONS", None)
        assert table is not None, f"{package}.consumers has no SUBSCRIPTIONS table at its end"
        for row in table:
            yield package, row


def all_subscriptions() -> list[tuple[str, Any]]:
    return list(subscriptions_of(consumer_packages()))


def contract_problems(consumer: str, sub: Any, catalogue: dict[str, EventType]) -> list[str]:
    """What is wrong between what `consumer` reads of `sub.subject` and what the publisher declares."""
    if sub.subject not in catalogue:
        return [f"{consumer} consumes {sub.subject}, which no service publishes a contract for"]
    publisher = catalogue[sub.subject].schema
    published = set(publisher.get("properties", {}))
    required_by_publisher = set(publisher.get("required", []))
    problems = []
    for name, field in sub.model.model_fields.items():
        if name not in published:
            problems.append(f"{consumer} reads {sub.subject}.{name}, which the publisher does not send")
        elif field.is_required() and name not in required_by_publisher:
            problems.append(f"{consumer} needs {sub.subject}.{name}, which the publisher may leave out")
    return problems


def test_the_consumers_are_found_without_a_list() -> None:
    found = {consumer for consumer, _ in all_subscriptions()}
    assert {"meetings", "notify"} <= set(consumer_packages())
    assert "notify" in found, "notify's SUBSCRIPTIONS table was not found"


def test_a_consumer_added_later_is_checked_and_fails_on_a_subject_nobody_publishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "services" / "later" / "src" / "later_service"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "consumers.py").write_text(
        "from dataclasses import dataclass\n"
        "from pydantic import BaseModel\n\n"
        "class Thing(BaseModel):\n    meeting_id: str\n\n"
        "@dataclass\nclass Row:\n    subject: str\n    model: type\n\n"
        "SUBSCRIPTIONS = [\n"
        '    Row("nobody.thing.happened.v1", Thing),\n'
        '    Row("meetings.meeting.scheduled.v1", Thing),\n'
        "]\n"
    )
    monkeypatch.syspath_prepend(str(package.parent))
    try:
        assert "later_service" in consumer_packages(tmp_path)
        rows = list(subscriptions_of(consumer_packages(tmp_path)))
        problems = [p for consumer, sub in rows for p in contract_problems(consumer, sub, load_catalogue())]
        assert problems == [
            "later_service consumes nobody.thing.happened.v1, which no service publishes a contract for"
        ]
    finally:
        sys.modules.pop("later_service.consumers", None)
        sys.modules.pop("later_service", None)


@pytest.mark.parametrize(("consumer", "sub"), all_subscriptions(), ids=lambda v: getattr(v, "subject", v))
def test_every_consumed_event_is_in_the_catalogue_with_the_fields_the_consumer_needs(consumer, sub):
    assert contract_problems(consumer, sub, load_catalogue()) == []


@pytest.mark.parametrize("consumer", sorted({c for c, _ in all_subscriptions()}))
def test_a_consumer_of_a_subject_also_reads_its_newest_published_major_version(consumer):
    """A v2 nobody reads is never delivered to the v1 consumers: they must read it (or both) first."""
    reads = [s.subject for c, s in all_subscriptions() if c == consumer]
    newest_read: dict[str, int] = {}
    for subject in reads:
        base, major = subject.rsplit(".v", 1)
        newest_read[base] = max(newest_read.get(base, 0), int(major))
    published = set(load_catalogue())
    newer = [s for s, base, major in other_versions(reads, published) if major > newest_read[base]]
    assert not newer, f"{consumer} reads only older major versions of {newer}; read the new one too"


def ignored_by(package: str) -> frozenset[str]:
    """The package's IGNORED table: subjects on the streams it reads that it deliberately does not handle."""
    return frozenset(getattr(import_module(f"{package}.consumers"), "IGNORED", frozenset()))


def unaccounted_subjects(reads: set[str], ignored: frozenset[str], published: set[str]) -> list[str]:
    """Published subjects on the streams a consumer reads that it neither handles nor ignores.

    Its durable receives the publisher's whole subject space (an aggregate's sequence numbers run
    across all of it): such a subject is left for another version and never acked, and the events
    after it in its aggregate wait for it.
    """
    prefixes = {subject.split(".", 1)[0] for subject in reads}
    on_its_streams = {subject for subject in published if subject.split(".", 1)[0] in prefixes}
    return sorted(on_its_streams - reads - ignored)


def test_the_check_names_a_published_subject_a_consumer_neither_handles_nor_ignores():
    published = {"a.x.done.v1", "a.y.done.v1", "a.z.done.v1", "b.x.done.v1"}
    assert unaccounted_subjects({"a.x.done.v1"}, frozenset({"a.y.done.v1"}), published) == ["a.z.done.v1"]


@pytest.mark.parametrize("consumer", sorted({c for c, _ in all_subscriptions()}))
def test_a_consumer_handles_or_ignores_every_subject_published_on_the_streams_it_reads(consumer):
    reads = {s.subject for c, s in all_subscriptions() if c == consumer}
    ignored = ignored_by(consumer)
    published = set(load_catalogue())
    neither = unaccounted_subjects(reads, ignored, published)
    assert not neither, (
        f"{consumer} neither handles nor ignores {neither}: add each to its SUBSCRIPTIONS or IGNORED table"
    )
    assert not ignored & reads, f"{consumer} both handles and ignores {sorted(ignored & reads)}"
    assert ignored <= published, f"{consumer} ignores unpublished subjects: {sorted(ignored - published)}"


def test_only_the_owner_publishes_under_its_prefix():
    for subject, et in load_catalogue().items():
        module = et.payload.__module__.split(".")[0]
        assert module == subject.split(".")[0], f"{subject} is declared in {module}, not by its owner"


def test_the_published_catalogue_document_is_current():
    current = json.loads((ROOT / "docs" / "events.json").read_text(encoding="utf-8"))
    assert current == json.loads(json.dumps(catalogue_document())), (
        "docs/events.json is out of date: run `make catalogue` and commit it"
    )
