"""The events service's settings (environment variables prefixed `EVENTS_`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Signs the personal links of development and test stacks only; production must set its own.
DEVELOPMENT_LINK_SECRET = "development-only-link-secret-not-for-production"
MIN_LINK_SECRET_LENGTH = 32


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EVENTS_", extra="ignore")
    published_secrets: ClassVar[tuple[str, ...]] = (DEVELOPMENT_LINK_SECRET,)

    service_name: str = "events"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/events"
    http_port: int = 8102

    # Signs the personal links (cancel a registration, answer an offer). Rotating it makes every
    # link sent so far stop working, so rotate it only when it may have leaked.
    link_secret: SecretStr | None = None
    # How often the worker looks for waiting-list offers that ran out.
    offer_check_seconds: float = Field(default=30.0, gt=0)
    # How often the worker looks for reminders whose time has come.
    reminder_check_seconds: float = Field(default=60.0, gt=0)
    # Registrations of events that ended this many days ago are anonymised, checked this often.
    retention_days: int = Field(default=365, ge=1)
    retention_check_seconds: float = Field(default=3600.0, gt=0)
    # Where people read the public pages (the gateway), for the links in the feeds.
    public_url: str = "http://127.0.0.1:8000"
    # How often calendar clients are asked to fetch a feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
    feed_refresh_minutes: int = Field(default=60, ge=5)
    # Feeds hold events that ended at most this many days ago, and every later one.
    feed_past_days: int = Field(default=90, ge=0)
    # Written feeds kept in memory until an event changes (events.feed_cache); a feed of 1,000 events
    # is about half a megabyte.
    feed_cache_megabytes: int = Field(default=64, ge=1)
    # Read the volunteers service's export and erasure requests and answer them (events.rights).
    # Off only for the first provisioning step of a stack, made before the volunteers stream
    # exists (docker-compose.yml: events-migrate, then events-provision).
    answers_rights_requests: bool = True

    @model_validator(mode="after")
    def _link_secret_is_set_and_long_outside_development(self) -> Settings:
        if self.link_secret is None:
            if not self.development:
                raise ValueError(
                    f"{self.env_name('link_secret')} is not set. Give the events service a random secret "
                    f"of at least {MIN_LINK_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`); it "
                    "signs the personal links in registration emails."
                )
        elif len(self.link_secret.get_secret_value()) < MIN_LINK_SECRET_LENGTH:
            raise ValueError(
                f"{self.env_name('link_secret')} is too short: use at least {MIN_LINK_SECRET_LENGTH} "
                "random characters (e.g. `openssl rand -hex 32`)."
            )
        return self

    @property
    def link_key(self) -> str:
        """The secret the personal links are signed with."""
        if self.link_secret is None:
            return DEVELOPMENT_LINK_SECRET
        return self.link_secret.get_secret_value()
