"""The notify service's settings (environment variables prefixed `NOTIFY_`)."""

from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings, refuse_published_secret
from notify.webhooks.sealing import SecretBox, parse_keys

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
DAY = 24 * 3600.0
# The steps of one send that may each take up to the SMTP timeout: reaching the server (connect or
# NOOP), DATA, and the mark. The lease must outlast them all, or another sender sends the email again.
SEND_STEPS = 3
# Signs the preference links of development and test stacks only; production must set its own.
DEVELOPMENT_LINK_SECRET = "development-only-notify-link-secret-not-for-production"
MIN_LINK_SECRET_LENGTH = 32
# Lets the bounce pipe of development and test stacks hand over bounces; production sets its own.
DEVELOPMENT_BOUNCE_TOKEN = "development-only-notify-bounce-token-not-for-production"
MIN_BOUNCE_TOKEN_LENGTH = 32
# Seals webhook secrets in development and test stacks only; production sets its own keys.
DEVELOPMENT_WEBHOOK_KEYS = "dev:ZGV2ZWxvcG1lbnQtb25seS13ZWJob29rLWtleS0zMmI="


def is_local_host(host: str) -> bool:
    """True for this machine itself, where plain SMTP crosses no network."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    # Refused outside development wherever a secret is given (ServiceSettings, and the key file here).
    published_secrets: ClassVar[tuple[str, ...]] = (
        DEVELOPMENT_LINK_SECRET,
        DEVELOPMENT_BOUNCE_TOKEN,
        DEVELOPMENT_WEBHOOK_KEYS.partition(":")[2],
    )

    service_name: str = "notify"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/notify"
    http_port: int = 8104

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    # "starttls": upgrade a plain connection (usually port 587); "tls": TLS from the first byte
    # (usually 465); "none": plain, for a relay on this machine. The server's certificate is always
    # checked, against the system's CAs or `smtp_ca_file`.
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_ca_file: Path | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # Plain SMTP to another host is refused in production unless this says the network is trusted.
    smtp_allow_plain: bool = False
    mail_from: str = "Delaktig <noreply@delaktig.local>"
    mail_domain: str = "delaktig.local"
    public_url: str = "http://127.0.0.1:8000"
    send_batch_size: int = Field(default=20, ge=1, le=1000)
    send_concurrency: int = Field(default=4, ge=1, le=32)
    # Waits after a temporary refusal, by attempt (the last one repeats): roughly times four each time.
    send_retry_seconds: list[float] = Field(default=[5, 30, 120, 600, 1800, 3600], min_length=1)
    # An email still not sent this long after it was queued fails (temporary refusals and a mail
    # server that is away alike): news of a meeting is of little use later.
    send_give_up_after_seconds: float = Field(default=3 * DAY, gt=0)
    # How long a sender may hold the emails it claimed; a sender that dies gives them back after this.
    send_lease_seconds: float = Field(default=120, gt=0)
    # The longest one SMTP step may take: connecting, or handing over one email.
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    # Sent and failed emails are deleted this long after they were queued.
    email_retention_seconds: float = Field(default=90 * DAY, gt=0)
    prune_interval_seconds: float = Field(default=3600, gt=0)
    # Webhooks (notify.webhooks). Private, loopback and other internal addresses are refused as
    # webhook destinations unless this says so: for a receiver on this machine in development only.
    webhooks_allow_private: bool = False
    webhooks_timeout_seconds: float = Field(default=15, gt=0)  # one attempt, connecting included
    webhooks_concurrency: int = Field(default=32, ge=1, le=512)  # requests in flight per process
    webhooks_batch_size: int = Field(default=50, ge=1, le=1000)
    webhooks_loops: int = Field(default=4, ge=1, le=64)  # delivery loops per process, a batch each
    # How long a worker holds the messages it claimed; one that dies gives them back after this.
    webhooks_lease_seconds: float = Field(default=60, gt=0)
    # After a rotation the old secret goes on signing (beside the new one) this long.
    webhooks_secret_overlap_seconds: float = Field(default=DAY, ge=0)
    # The keys that seal webhook secrets at rest (notify.webhooks.sealing): `<id>:<base64 of 32
    # bytes>` entries, the first sealing, the others only opening (rotation), in the variable or in a
    # file (`..._FILE`, read at start). Development and tests fall back to a fixed key.
    webhooks_secret_keys: SecretStr | None = None
    webhooks_secret_keys_file: Path | None = None
    # How often secrets sealed under an older key, or still in plain text, are sealed again.
    webhooks_reseal_seconds: float = Field(default=3600, gt=0)
    # Delivered and failed webhook messages, with their log, are deleted this long after they were made.
    webhooks_retention_seconds: float = Field(default=90 * DAY, gt=0)
    # At most this many emails a second toward the relay, over all send loops of one process
    # (0: no limit). Relays throttle or refuse senders that go faster than agreed.
    send_rate_per_second: float = Field(default=0, ge=0)
    # Signs the links in every email to the person's preferences and to unsubscribe (no account
    # needed). Rotating it makes every such link sent so far stop working.
    link_secret: SecretStr | None = None
    # An address for List-Unsubscribe's mailto alternative (RFC 2369); none: the https link only.
    unsubscribe_mailto: str | None = None
    # How often the digest worker looks for digests whose time has come.
    digest_check_seconds: float = Field(default=60, gt=0)
    # A bounce handed to /v1/bounces larger than this is refused (413) before it is read: a DSN
    # carries the original's headers, or at most the original itself.
    bounce_max_bytes: int = Field(default=262_144, ge=1_024)
    # A permanent bounce is forgotten this long after it came (bulk mail to the address goes again).
    bounce_retention_seconds: float = Field(default=365 * DAY, gt=0)
    # Dead letters an administrator replayed or discarded are deleted this long after; open ones stay.
    dead_letter_retention_seconds: float = Field(default=90 * DAY, gt=0)
    # The longest reading one bounce may take (in a worker thread); longer, it is ignored.
    bounce_parse_timeout_seconds: float = Field(default=5, gt=0)
    # The bounce pipe's own credential (`Authorization: Bearer <token>`), taken on POST /v1/bounces
    # only: the MTA's host needs no identity key, which could sign in as anyone anywhere.
    bounce_token: SecretStr | None = None

    @field_validator(
        "smtp_username", "smtp_password", "smtp_ca_file", "unsubscribe_mailto", "webhooks_secret_keys",
        "webhooks_secret_keys_file", "bounce_token", mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # docker compose passes an unset variable on as an empty string.
        return None if value == "" else value

    @model_validator(mode="after")
    def _link_secret_is_set_and_long_outside_development(self) -> Settings:
        if self.link_secret is None:
            if not self.development:
                raise ValueError(
                    f"{self.env_name('link_secret')} is not set. Give notify a random secret of at least "
                    f"{MIN_LINK_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`); it signs the links "
                    "to the preferences page and to unsubscribe in every email."
                )
        elif len(self.link_secret.get_secret_value()) < MIN_LINK_SECRET_LENGTH:
            raise ValueError(
                f"{self.env_name('link_secret')} is too short: use at least {MIN_LINK_SECRET_LENGTH} "
                "random characters (e.g. `openssl rand -hex 32`)."
            )
        return self

    @property
    def link_key(self) -> str:
        """The secret the links to preferences and unsubscribing are signed with."""
        if self.link_secret is None:
            return DEVELOPMENT_LINK_SECRET
        return self.link_secret.get_secret_value()

    @model_validator(mode="after")
    def _webhook_secret_keys_are_readable(self) -> Settings:
        _ = self.webhook_secret_box  # raises SealingKeyProblem (a ValueError) with what to do
        return self

    @cached_property
    def webhook_secret_box(self) -> SecretBox:
        """The keys webhook secrets are sealed and opened with (a key file is read once, at start)."""
        if self.webhooks_secret_keys is not None and self.webhooks_secret_keys_file is not None:
            raise ValueError(
                f"Both {self.env_name('webhooks_secret_keys')} and "
                f"{self.env_name('webhooks_secret_keys_file')} are set; give the keys in one of them."
            )
        if self.webhooks_secret_keys_file is not None:
            try:
                text = self.webhooks_secret_keys_file.read_text()
            except OSError as exc:
                raise ValueError(
                    f"{self.env_name('webhooks_secret_keys_file')}: cannot read {exc.filename}: "
                    f"{exc.strerror}."
                ) from None
            if not self.development:
                refuse_published_secret(
                    text, setting=self.env_name("webhooks_secret_keys_file"), published=self.published_secrets
                )
            return parse_keys(text)
        if self.webhooks_secret_keys is not None:
            return parse_keys(self.webhooks_secret_keys.get_secret_value())
        if not self.development:
            raise ValueError(
                f"{self.env_name('webhooks_secret_keys')} is not set. Give notify a key to seal webhook "
                "secrets with: 1:$(openssl rand -base64 32) (see deploy/env.example)."
            )
        return parse_keys(DEVELOPMENT_WEBHOOK_KEYS)

    @model_validator(mode="after")
    def _webhooks_reach_private_addresses_only_in_development(self) -> Settings:
        if self.webhooks_allow_private and not self.development:
            raise ValueError(
                f"{self.env_name('webhooks_allow_private')} is true outside development: webhooks could then "
                "be aimed at this network's own machines. Remove it in production."
            )
        return self

    @model_validator(mode="after")
    def _bounces_have_a_body_limit_of_their_own(self) -> Settings:
        # Unless NOTIFY_MAX_REQUEST_BYTES_BY_PATH names the route itself.
        self.max_request_bytes_by_path.setdefault("/v1/bounces", self.bounce_max_bytes)
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_send(self) -> Settings:
        if self.send_lease_seconds < SEND_STEPS * self.smtp_timeout_seconds:
            raise ValueError(
                f"NOTIFY_SEND_LEASE_SECONDS ({self.send_lease_seconds:g}) must be at least three times "
                f"NOTIFY_SMTP_TIMEOUT_SECONDS ({self.smtp_timeout_seconds:g}): an email must be sent and "
                "marked before its lease ends, or another sender sends it again. Raise the lease."
            )
        return self

    @model_validator(mode="after")
    def _no_plain_smtp_across_a_network(self) -> Settings:
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError(
                "Set both NOTIFY_SMTP_USERNAME and NOTIFY_SMTP_PASSWORD to log in to the mail server, "
                "or neither."
            )
        if self.smtp_tls != "none" or self.smtp_allow_plain or is_local_host(self.smtp_host):
            return self
        if self.smtp_username is not None:
            raise ValueError(
                f"NOTIFY_SMTP_USERNAME is set but NOTIFY_SMTP_TLS is none: the password would cross the "
                f"network to {self.smtp_host} in clear. Set NOTIFY_SMTP_TLS=starttls (or tls)."
            )
        if not self.development:
            raise ValueError(
                f"NOTIFY_SMTP_HOST {self.smtp_host} is not this machine and NOTIFY_SMTP_TLS is none: "
                "emails would cross the network unencrypted. Set NOTIFY_SMTP_TLS=starttls (or tls), "
                "or NOTIFY_SMTP_ALLOW_PLAIN=true if the network to the relay is trusted."
            )
        return self

    @model_validator(mode="after")
    def _bounce_token_is_set_and_long_outside_development(self) -> Settings:
        if self.development:
            return self
        name = self.env_name("bounce_token")
        token = self.bounce_token.get_secret_value() if self.bounce_token is not None else None
        advice = "(e.g. `openssl rand -hex 32`); the bounce pipe sends it with every bounce it hands over."
        if token is None:
            raise ValueError(
                f"{name} is not set. Give notify a random secret of at least {MIN_BOUNCE_TOKEN_LENGTH} "
                f"characters {advice}"
            )
        if token == DEVELOPMENT_BOUNCE_TOKEN:
            raise ValueError(f"{name} is the development default. Set a random one {advice}")
        if len(token) < MIN_BOUNCE_TOKEN_LENGTH:
            raise ValueError(
                f"{name} is too short: use at least {MIN_BOUNCE_TOKEN_LENGTH} random characters {advice}"
            )
        return self

    @property
    def bounce_key(self) -> str:
        """The token the bounce pipe hands bounces over with."""
        if self.bounce_token is None:
            return DEVELOPMENT_BOUNCE_TOKEN
        return self.bounce_token.get_secret_value()
