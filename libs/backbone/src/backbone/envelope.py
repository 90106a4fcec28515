"""The one event envelope: CloudEvents 1.0, structured JSON mode, with a versioned `type`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Event types are "<prefix><subject>", where the subject is "<owner>.<entity>.<past_tense>.v<major>".
TYPE_PREFIX = "se.delaktig."
CONTENT_TYPE = "application/cloudevents+json"


class Envelope(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: str = "1.0"
    id: str
    source: str
    type: str
    time: datetime
    subject: str | None = None
    datacontenttype: str = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    # CloudEvents extension attribute: the request that caused this event.
    correlationid: str | None = None
    # CloudEvents extension attribute: this event's place among its aggregate's (`subject`) events,
    # 1, 2, 3, ... in commit order. Consumers apply them in this order. Absent on events written
    # before it existed; those are applied as they come.
    aggregateseq: int | None = Field(default=None, ge=1)

    @property
    def nats_subject(self) -> str:
        return subject_of(self.type)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class BadEnvelope(ValueError):
    """A message on the bus that is not a CloudEvent we can read."""


def subject_of(event_type: str) -> str:
    if not event_type.startswith(TYPE_PREFIX):
        raise ValueError(f"Event type {event_type!r} must start with {TYPE_PREFIX!r}.")
    return event_type[len(TYPE_PREFIX) :]


def type_of(subject: str) -> str:
    return TYPE_PREFIX + subject


def new_envelope(
    *,
    subject: str,
    source: str,
    data: dict[str, Any],
    aggregate: str | None,
    correlation_id: str | None,
    sequence: int | None = None,
) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source=source,
        type=type_of(subject),
        time=datetime.now(UTC),
        subject=aggregate,
        data=data,
        correlationid=correlation_id,
        aggregateseq=sequence,
    )


def parse_envelope(raw: bytes) -> Envelope:
    """Read a message from the bus, or say plainly why it is not an event.

    Whatever goes wrong reading it is a BadEnvelope: any other exception would never be dead-lettered
    and would restart the consumer on the same message again and again.
    """
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadEnvelope(f"not JSON: {exc}") from exc
    except RecursionError as exc:
        raise BadEnvelope("not JSON we read: nested too deep") from exc
    except Exception as exc:
        raise BadEnvelope(f"not JSON: {exc!r}") from exc
    if not isinstance(doc, dict):
        raise BadEnvelope("not a JSON object")
    if doc.get("specversion") != "1.0":
        raise BadEnvelope(f"specversion must be '1.0', got {doc.get('specversion')!r}")
    try:
        env = Envelope.model_validate(doc)
        uuid.UUID(env.id)
    except ValidationError as exc:
        raise BadEnvelope(f"not a valid CloudEvent: {_first_error(exc)}") from exc
    except ValueError as exc:
        raise BadEnvelope(f"id must be a UUID: {exc}") from exc
    except Exception as exc:
        raise BadEnvelope(f"not a CloudEvent we can read: {exc!r}") from exc
    return env


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}"
