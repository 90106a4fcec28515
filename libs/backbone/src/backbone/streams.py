"""JetStream streams: one per service over its own prefix, plus the shared dead-letter stream."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "deadletter"
# JetStream drops a re-published message with the same Nats-Msg-Id inside this window.
DUPLICATE_WINDOW_SECONDS = 600.0
RETENTION_SECONDS = 90 * 24 * 3600.0


def service_stream(service: str) -> StreamConfig:
    return StreamConfig(
        name=service.upper(),
        subjects=[f"{service}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        max_age=RETENTION_SECONDS,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


def dead_letter_stream() -> StreamConfig:
    return StreamConfig(
        name=DEAD_LETTER_STREAM,
        subjects=[f"{DEAD_LETTER_PREFIX}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        max_age=RETENTION_SECONDS,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or bring an existing one to this configuration; safe to run on every start."""
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)


async def streams_exist(js: JetStreamContext, names: list[str]) -> bool:
    try:
        for name in names:
            await js.stream_info(name)
    except Exception:  # noqa: BLE001 - readiness reports any failure as "not ready"
        return False
    return True
