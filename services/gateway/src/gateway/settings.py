"""The gateway's settings (environment variables prefixed `GATEWAY_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/gateway"
    http_port: int = 8000
    meetings_url: str = "http://127.0.0.1:8101"
    events_url: str = "http://127.0.0.1:8102"
    volunteers_url: str = "http://127.0.0.1:8103"
    notify_url: str = "http://127.0.0.1:8104"
    # The SMTP sink's Maildir; the local mailbox page exists only in development.
    maildir: Path | None = None

    # Served over TLS (directly or behind a TLS-terminating proxy): `__Host-` cookies and HSTS.
    behind_tls: bool = False
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    # Signs the anonymous pre-session cookie that carries the sign-in form's CSRF token.
    secret_key: str = "development-only-secret-key-change-me"

    # Optional single sign-on (OpenID Connect, authorization code + PKCE).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_url: str | None = None
    oidc_label: str = "kommunens inloggning"

    @model_validator(mode="after")
    def _gateway_secrets_in_production(self) -> Settings:
        if self.environment == "production":
            if "development-only" in self.secret_key:
                raise ValueError(
                    "secret_key still has its development default; set a real secret in production."
                )
            if not self.behind_tls:
                raise ValueError(
                    "In production the gateway must be served over TLS; set GATEWAY_BEHIND_TLS=true."
                )
            if not self.metrics_token:
                raise ValueError(
                    "The gateway is the public door: set GATEWAY_METRICS_TOKEN to keep /metrics private."
                )
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_redirect_url)

    @property
    def development(self) -> bool:
        return self.environment in ("development", "test")

    def upstreams(self) -> dict[str, str]:
        return {
            "meetings": self.meetings_url,
            "events": self.events_url,
            "volunteers": self.volunteers_url,
            "notify": self.notify_url,
        }
