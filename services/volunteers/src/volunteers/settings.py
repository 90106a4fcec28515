"""The volunteers service's settings (environment variables prefixed `VOLUNTEERS_`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Signs the offer links of development and test stacks only; production must set its own.
DEVELOPMENT_LINK_SECRET = "development-only-volunteer-link-secret-not-for-production"
MIN_LINK_SECRET_LENGTH = 32


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VOLUNTEERS_", extra="ignore")
    published_secrets: ClassVar[tuple[str, ...]] = (DEVELOPMENT_LINK_SECRET,)

    service_name: str = "volunteers"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/volunteers"
    http_port: int = 8103

    # Signs the links in offers (accept, decline, cancel). Rotating it makes every link sent so far
    # stop working, so rotate it only when it may have leaked.
    link_secret: SecretStr | None = None
    # How often the worker looks for offers nobody answered in time.
    offer_check_seconds: float = Field(default=60.0, gt=0)
    # Matching counts a volunteer's assignments over this many days as "recent" (fair ranking).
    fairness_days: int = Field(default=90, ge=1)
    # The services that must answer an export or erasure request about a volunteer (rights.py),
    # comma-separated; "volunteers" is this service's own part, done at once.
    rights_services: str = Field(
        default="volunteers,events,notify", pattern=r"^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$"
    )

    @model_validator(mode="after")
    def _link_secret_is_set_and_long_outside_development(self) -> Settings:
        if self.link_secret is None:
            if not self.development:
                raise ValueError(
                    f"{self.env_name('link_secret')} is not set. Give the volunteers service a random "
                    f"secret of at least {MIN_LINK_SECRET_LENGTH} characters (e.g. `openssl rand -hex 32`); "
                    "it signs the links in offers to volunteers."
                )
        elif len(self.link_secret.get_secret_value()) < MIN_LINK_SECRET_LENGTH:
            raise ValueError(
                f"{self.env_name('link_secret')} is too short: use at least {MIN_LINK_SECRET_LENGTH} "
                "random characters (e.g. `openssl rand -hex 32`)."
            )
        return self

    @property
    def link_key(self) -> str:
        """The secret the offer links are signed with."""
        if self.link_secret is None:
            return DEVELOPMENT_LINK_SECRET
        return self.link_secret.get_secret_value()

    @property
    def rights_service_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.rights_services.split(",")))
