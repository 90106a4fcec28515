"""Settings shared by every service, read from environment variables and validated at start-up."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from functools import cached_property
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from joserfc.jwk import OKPKey
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backbone.identity import UnusableKey, load_verifying_key

# What every development value of a secret in this project's source says, in plain text or (keys) in
# base64: such a value is public, so outside development and test no secret may contain it.
DEVELOPMENT_MARKER = "development-only"


def _published_in(text: str, published: Iterable[str]) -> bool:
    text = text.strip()
    if any(value.strip() and value.strip() in text for value in published):
        return True
    if DEVELOPMENT_MARKER in text:
        return True
    # Key lists (`id:base64`, separated by spaces, commas or new lines): each key's bytes.
    for entry in re.split(r"[\s,]+", text):
        encoded = entry.rpartition(":")[2]
        try:
            decoded = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if DEVELOPMENT_MARKER.encode() in decoded or any(
            value.strip() and value.strip().encode() in decoded for value in published
        ):
            return True
    return False


def refuse_published_secret(text: str, *, setting: str, published: Iterable[str]) -> None:
    """ValueError (naming `setting`, never the value) when `text` is or holds a development value
    published in the source: one of `published`, anything marked development-only, or a key whose
    bytes are. For secrets read from somewhere other than a field (a file); fields are checked by
    ServiceSettings itself."""
    if _published_in(text, published):
        raise ValueError(
            f"{setting} is the development default (or holds one), published in the source code: anyone "
            "could forge what it signs or open what it seals. Outside development and test, give a random "
            "value of your own (e.g. `openssl rand -hex 32`; keys: `openssl rand -base64 32`)."
        )


class ServiceSettings(BaseSettings):
    """Base class: each service subclasses it with its own `env_prefix` (e.g. `MEETINGS_`)."""

    model_config = SettingsConfigDict(env_prefix="SERVICE_", extra="ignore")

    service_name: str = "service"
    # Production unless said otherwise: only the devstack and the tests say development or test, so
    # an image started without it still refuses missing keys and keeps /metrics and the dev mailbox shut.
    environment: Literal["development", "test", "production"] = "production"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/service"
    nats_url: str = "nats://127.0.0.1:4222"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    # The municipality's time zone: the wall clock people read dates in (pages, emails, due dates,
    # calendar files). One setting for every service, so a deployment elsewhere changes one line.
    timezone: str = "Europe/Stockholm"

    # The API process also runs the outbox relay and the consumers unless told otherwise,
    # so the smallest deployment is one process per service.
    run_relay: bool = True
    run_consumers: bool = True

    # At most 1,000: nats-py lets 4,000 publishes wait for their acks and then blocks the next one,
    # so a batch well below that never stalls on acks lost in a reconnect.
    relay_batch_size: int = Field(default=256, ge=1, le=1_000)
    # How long an idle relay waits at most before looking for rows written by other processes.
    relay_poll_seconds: float = Field(default=0.25, gt=0)
    # How long a relay leader whose host vanished keeps its lock before a standby takes over: the
    # database drops its session after this long without a word (idle_session_timeout, TCP keepalives,
    # tcp_user_timeout), and a leader that cannot reach its lock connection for a quarter of it steps
    # down. Acks from JetStream are awaited for at most a quarter of it too.
    relay_lock_timeout_seconds: float = Field(default=20.0, ge=2.0, le=600.0)
    # True: the service creates its streams and durable consumers at start and widens them (today's
    # development and test behaviour). False: it only checks that they are there, and the
    # provisioning step (`python -m <service> provision`, with an administrator's NATS user) makes
    # them, so the service's own NATS user needs no right to create or change any (docker-compose.yml).
    manage_streams: bool = True
    # Streams are made with these when missing; afterwards an operator's changes stay (see streams.py).
    stream_replicas: int = Field(default=1, ge=1, le=5)
    stream_max_age_seconds: float = Field(default=90 * 24 * 3600.0, ge=0)  # 0: no age limit
    stream_max_bytes: int = Field(default=-1, ge=-1)  # -1: no size limit
    # Dead letters stay until an operator removes them, unless this sets an age limit.
    dead_letter_max_age_seconds: float = Field(default=0.0, ge=0)
    consumer_batch_size: int = Field(default=64, ge=1, le=1_000)
    consumer_max_deliver: int = Field(default=5, ge=1)
    consumer_backoff_seconds: list[float] = [1.0, 5.0, 30.0, 120.0]
    consumer_ack_wait_seconds: float = Field(default=30.0, gt=0)
    # A handler running longer fails (and counts toward dead-lettering); by default 80 % of the ack wait.
    consumer_handler_timeout_seconds: float | None = Field(default=None, gt=0)
    # An event whose predecessor in its aggregate has not come is retried this often, and after
    # waiting this long for a predecessor nobody is retrying the consumer goes on without it.
    consumer_gap_retry_seconds: float = Field(default=1.0, gt=0)
    consumer_gap_timeout_seconds: float = Field(default=300.0, gt=0)
    # A nak'ed message keeps its place among these until acked; at the limit nothing more is delivered.
    consumer_max_ack_pending: int = Field(default=10_000, ge=1)
    # A message on a subject no running version handles is left for another version (waits growing
    # from 5 s to 5 min) and dead-lettered after this long, for a replay once a version reads it.
    consumer_unhandled_give_up_seconds: float = Field(default=3600.0, gt=0)
    # Events about different aggregates handled at once; one aggregate's events always in order.
    consumer_concurrency: int = Field(default=8, ge=1, le=64)
    # /readyz answers 503 when a background loop (relay, consumer, a service's worker) has not
    # completed a turn for this long beyond its own pause, or when the oldest event in the outbox has
    # waited this long to be published; 0 turns the check off.
    readiness_stuck_loop_seconds: float = Field(default=120.0, ge=0)
    readiness_outbox_age_seconds: float = Field(default=300.0, ge=0)
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=16, ge=1)

    # When set, /metrics answers only `Authorization: Bearer <token>`: for a service reachable from
    # outside (the gateway), so its metrics are not public.
    metrics_token: str | None = None

    # The gateway's public key, for checking the identities it signs: the PEM itself, or the path of a
    # PEM file. Never the private key (refused, as is raw base64, which cannot say which kind it is).
    identity_public_key: str | None = None
    # Bodies bigger than this are refused with 413 before anything reads them; per path prefix where
    # a route needs more (the longest matching prefix wins).
    max_request_bytes: int = Field(default=1_048_576, ge=1_024)
    max_request_bytes_by_path: dict[str, int] = Field(default_factory=dict)
    # The gateway signs identities and checks none, so it needs no public key.
    verifies_identities: ClassVar[bool] = True
    # The development values of this service's secrets, published in its source: outside development
    # and test no secret setting (every SecretStr field) may be or hold one. Values marked
    # development-only are refused without being listed here.
    published_secrets: ClassVar[tuple[str, ...]] = ()

    @property
    def development(self) -> bool:
        return self.environment in ("development", "test")

    def env_name(self, setting: str) -> str:
        """The environment variable a person sets for `setting`, for messages that say what to do."""
        return f"{self.model_config.get('env_prefix', '')}{setting}".upper()

    @model_validator(mode="after")
    def _keys_are_usable_and_present_outside_development(self) -> ServiceSettings:
        if self.identity_public_key:
            try:
                self.verifying_key  # noqa: B018 - read once here, so a bad key stops the start
            except UnusableKey as exc:
                raise ValueError(f"{self.env_name('identity_public_key')} cannot be used: {exc}.") from None
        elif self.verifies_identities and not self.development:
            raise ValueError(
                f"{self.env_name('identity_public_key')} is not set. Give the service the gateway's public "
                "identity key (PEM, or the path of a PEM file); see deploy/env.example. Only development "
                "and test run without it."
            )
        return self

    @model_validator(mode="after")
    def _no_published_secret_outside_development(self) -> ServiceSettings:
        if self.development:
            return self
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                refuse_published_secret(
                    value.get_secret_value(), setting=self.env_name(name), published=self.published_secrets
                )
        return self

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone this machine knows. "
                "Give an IANA name such as Europe/Stockholm."
            ) from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The time zone as an object, for converting times people read."""
        return ZoneInfo(self.timezone)

    @cached_property
    def verifying_key(self) -> OKPKey | None:
        return load_verifying_key(self.identity_public_key) if self.identity_public_key else None

    @property
    def stream_name(self) -> str:
        return self.service_name.upper()
