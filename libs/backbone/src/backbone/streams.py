"""JetStream streams: one per service over its own prefix, plus the shared dead-letter stream.

Start-up creates a missing stream from settings, and afterwards only adds subjects it lacks: its
replicas and limits belong to the operator from then on, and no start undoes them.

A service stream at its size limit refuses new messages (DiscardPolicy.NEW) rather than dropping its
oldest, which a consumer may not have read yet: the relay keeps the event in the outbox and tries
again until the operator raises the limit or old messages age out. (The age limit always removes
old messages, whatever the discard policy.) A stream made before this keeps its policy: an operator
moves it with `nats stream edit <NAME> --discard new`.

Where services may not manage streams (the compose stack: their NATS users lack the rights, so a
service that is broken into cannot add `republish` to a stream or seal the dead letters), a
provisioning step with an administrator's NATS user creates them (`python -m <service> provision`)
and the services only check, at start, that what they need is there (`manage=False`).
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from backbone.logs import get_logger

log = get_logger(__name__)

DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "deadletter"
# JetStream drops a re-published message with the same Nats-Msg-Id inside this window.
DUPLICATE_WINDOW_SECONDS = 600.0
RETENTION_SECONDS = 90 * 24 * 3600.0
# Every start used to give DEADLETTER this age limit, so dead letters vanished unseen; a stream that
# still has exactly it gets the configured one (no limit by default) at the next start.
_FORMER_DEAD_LETTER_MAX_AGE = RETENTION_SECONDS


def service_stream(
    service: str, *, replicas: int = 1, max_age: float = RETENTION_SECONDS, max_bytes: int = -1
) -> StreamConfig:
    return StreamConfig(
        name=service.upper(),
        subjects=[f"{service}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.NEW,
        num_replicas=replicas,
        max_age=max_age,
        max_bytes=max_bytes,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


def dead_letter_stream(*, replicas: int = 1, max_age: float = 0.0) -> StreamConfig:
    """Dead letters stay until an operator removes them (`max_age` 0: no age limit)."""
    return StreamConfig(
        name=DEAD_LETTER_STREAM,
        subjects=[f"{DEAD_LETTER_PREFIX}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        num_replicas=replicas,
        max_age=max_age,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


class NotProvisioned(RuntimeError):
    """A stream or durable consumer the service needs is missing or lacks subjects, and the service
    may not make it itself (`<SERVICE>_MANAGE_STREAMS=false`): the provisioning step has not run."""


PROVISION_HINT = (
    "Run the provisioning step with a NATS user that may manage streams: `python -m <service> "
    "provision` (docker-compose.yml runs it in each service's migrate one-shot; docs/deploy.md)."
)


async def ensure_stream(js: JetStreamContext, config: StreamConfig, *, manage: bool = True) -> None:
    """Create the stream, or add the subjects it lacks; safe to run on every start.

    Never changes what is there: an operator's replicas, limits and extra subjects stay. With
    `manage` False nothing is written: a missing stream or subject raises NotProvisioned.
    """
    assert config.name is not None
    try:
        current = (await js.stream_info(config.name)).config
    except NotFoundError:
        if not manage:
            raise NotProvisioned(f"The stream {config.name} does not exist. {PROVISION_HINT}") from None
        await js.add_stream(config)
        return
    changed = []
    have = list(current.subjects or [])
    missing = [s for s in config.subjects or [] if s not in have]
    if not manage:
        if missing:
            raise NotProvisioned(f"The stream {config.name} lacks the subjects {missing}. {PROVISION_HINT}")
        return
    if missing:
        current.subjects = have + missing
        changed.append(f"subjects +{missing}")
    if (
        config.name == DEAD_LETTER_STREAM
        and current.max_age == _FORMER_DEAD_LETTER_MAX_AGE
        and config.max_age != current.max_age
    ):
        current.max_age = config.max_age
        changed.append(
            f"max_age {_FORMER_DEAD_LETTER_MAX_AGE:.0f} s (the former default) -> {config.max_age}"
        )
    if changed:
        await js.update_stream(current)
        log.info("stream updated", stream=config.name, changes=changed)


async def streams_exist(js: JetStreamContext, names: list[str]) -> bool:
    try:
        for name in names:
            await js.stream_info(name)
    except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
        return False
    return True
