"""The event catalogue: every event type with its JSON Schema. Services define their own entries.

A publisher owns its event types: it declares them in its `contracts.py` with `event_type(...)`,
and registers that module under the `backbone.contracts` entry point so the whole catalogue can
be listed and exported in one place (`python -m backbone.catalogue`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

import jsonschema
from pydantic import BaseModel

from backbone.envelope import type_of


class SchemaViolation(ValueError):
    """A publisher tried to emit data that does not match its own event schema: a programming error."""


@dataclass(frozen=True)
class EventType:
    subject: str  # e.g. "meetings.meeting.scheduled.v1"
    payload: type[BaseModel]
    description: str
    aggregate: str  # e.g. "meeting": what the event's CloudEvents `subject` identifies

    @property
    def type(self) -> str:
        return type_of(self.subject)

    @property
    def owner(self) -> str:
        return self.subject.split(".", 1)[0]

    @property
    def schema(self) -> dict[str, Any]:
        return _schema(self)

    def validate(self, data: dict[str, Any]) -> None:
        errors = sorted(_validator(self).iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path) or "(root)"
            raise SchemaViolation(f"{self.subject}: {where}: {first.message}")


_CATALOGUE: dict[str, EventType] = {}
_SCHEMAS: dict[str, dict[str, Any]] = {}
_VALIDATORS: dict[str, jsonschema.Draft202012Validator] = {}


def event_type(subject: str, payload: type[BaseModel], *, aggregate: str, description: str) -> EventType:
    """Declare an event type; declaring the same subject twice is an error."""
    parts = subject.split(".")
    if len(parts) != 4 or not parts[3].startswith("v") or not parts[3][1:].isdigit():
        raise ValueError(f"Subject {subject!r} must look like '<owner>.<entity>.<past_tense>.v<major>'.")
    et = EventType(subject=subject, payload=payload, description=description, aggregate=aggregate)
    known = _CATALOGUE.get(subject)
    if known is not None and known.payload is not payload:
        raise ValueError(f"Event type {subject} is declared twice.")
    _CATALOGUE[subject] = et
    return et


def _schema(et: EventType) -> dict[str, Any]:
    if et.subject not in _SCHEMAS:
        _SCHEMAS[et.subject] = et.payload.model_json_schema(mode="serialization")
    return _SCHEMAS[et.subject]


def _validator(et: EventType) -> jsonschema.Draft202012Validator:
    if et.subject not in _VALIDATORS:
        _VALIDATORS[et.subject] = jsonschema.Draft202012Validator(
            _schema(et), format_checker=jsonschema.FormatChecker()
        )
    return _VALIDATORS[et.subject]


def load_catalogue() -> dict[str, EventType]:
    """Import every installed service's contracts module and return the whole catalogue."""
    modules = {ep.value for ep in entry_points(group="backbone.contracts")}
    for module in modules:
        import_module(module)
    # Only what the services declare: tests may declare throw-away event types of their own.
    return {s: et for s, et in sorted(_CATALOGUE.items()) if et.payload.__module__ in modules}


def lookup(subject: str) -> EventType | None:
    return _CATALOGUE.get(subject)
