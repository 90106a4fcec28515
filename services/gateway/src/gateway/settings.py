"""The gateway's settings (environment variables prefixed `GATEWAY_`)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar

from joserfc.jwk import OKPKey
from pydantic import Field, IPvAnyNetwork, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from backbone.identity import UnusableKey, load_signing_key
from backbone.settings import ServiceSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
MIN_SECRET_CHARS = 32
MIN_TOKEN_CHARS = 24
IMPORT_REQUEST_BYTES = 2_621_440


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
    # The proxies in front of the gateway (addresses or networks, comma-separated). Only from these is
    # X-Forwarded-For believed, and the client is its last hop that is not one of them (`forwarded`;
    # when every hop is one of them, the peer). Empty: the gateway is reached directly and the peer
    # is the client. Sign-in throttling and the audit log
    # depend on it: behind an unlisted proxy everybody shares the proxy's address.
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    # How often expired sessions and stale single sign-on attempts are deleted.
    cleanup_every_seconds: float = Field(default=600.0, gt=0)
    # Signs the anonymous pre-session cookie that carries the sign-in form's CSRF token.
    secret_key: str = "development-only-secret-key-change-me"
    # The private Ed25519 key the gateway signs identities for the services with: the PEM itself, or
    # the path of a PEM file (raw base64 is refused: it cannot say whether it is the private key).
    # Only the gateway holds it.
    identity_signing_key: str | None = None
    verifies_identities: ClassVar[bool] = False
    # The import page and the import API take up to 500,000 characters, a few bytes each.
    max_request_bytes_by_path: dict[str, int] = Field(
        default_factory=lambda: {
            "/imports": IMPORT_REQUEST_BYTES,
            "/api/meetings/v1/imports": IMPORT_REQUEST_BYTES,
        }
    )

    # A service's answer through /api/ bigger than this is refused with 502 instead of being held
    # in the gateway's memory (the proxy reads it in chunks and stops at the limit).
    proxy_max_response_bytes: int = Field(default=10 * 1_048_576, ge=1_024)
    # The pages' calls to the services: how long one may take, and how many last answers are kept to
    # revalidate with their ETags (per person and URL; 0 keeps none). The cap above applies to them too.
    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    # Processes serving HTTP (uvicorn workers; each keeps its own caches). The pages are CPU work in
    # Python, one core per process, but on the 2-core machine the services, PostgreSQL and the load
    # already share those two cores and a second process did not measurably help (bench/README.md);
    # on a machine with cores to spare, try the number of cores.
    http_workers: int = Field(default=1, ge=1)
    upstream_cache_entries: int = Field(default=5_000, ge=0)
    upstream_cache_bytes: int = Field(default=64 * 1_048_576, ge=0)

    # Optional single sign-on (OpenID Connect, authorization code + PKCE).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_url: str | None = None
    oidc_label: str = "kommunens inloggning"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies_from_a_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, list) and "*" in value:
            raise ValueError(
                "GATEWAY_TRUSTED_PROXIES cannot be '*': then anyone could name any address. "
                "List the addresses or networks of your own proxies."
            )
        return value

    @model_validator(mode="after")
    def _gateway_secrets_in_production(self) -> Settings:
        if self.identity_signing_key:
            try:
                self.signing_key  # noqa: B018 - read once here, so a bad key stops the start
            except UnusableKey as exc:
                raise ValueError(f"GATEWAY_IDENTITY_SIGNING_KEY cannot be used: {exc}.") from None
        if not self.development:
            if "development-only" in self.secret_key or len(self.secret_key) < MIN_SECRET_CHARS:
                raise ValueError(
                    "GATEWAY_SECRET_KEY is missing, its development default or shorter than "
                    f"{MIN_SECRET_CHARS} characters. Set a random one, e.g. `openssl rand -hex 32`."
                )
            if not self.identity_signing_key:
                raise ValueError(
                    "GATEWAY_IDENTITY_SIGNING_KEY is not set: the gateway cannot sign identities for the "
                    "services. Make a keypair as deploy/env.example shows."
                )
            if not self.behind_tls:
                raise ValueError(
                    "In production the gateway must be served over TLS; set GATEWAY_BEHIND_TLS=true."
                )
            if not self.metrics_token or len(self.metrics_token) < MIN_TOKEN_CHARS:
                raise ValueError(
                    "The gateway is the public door: set GATEWAY_METRICS_TOKEN (at least "
                    f"{MIN_TOKEN_CHARS} random characters) to keep /metrics private."
                )
            if self.oidc_enabled:
                self._oidc_fit_for_production()
        return self

    def _oidc_fit_for_production(self) -> None:
        # Over plain HTTP the discovery document, the keys and the code could be changed on the way.
        for name, url in (("ISSUER", self.oidc_issuer), ("REDIRECT_URL", self.oidc_redirect_url)):
            if not (url or "").lower().startswith("https://"):
                raise ValueError(
                    f"GATEWAY_OIDC_{name} must be an https:// address in production (it is {url!r})."
                )
        if not self.oidc_client_secret:
            raise ValueError(
                "Single sign-on is on but GATEWAY_OIDC_CLIENT_SECRET is not set: the provider only "
                "hands out sign-ins to the client that proves it with its secret. Set the secret the "
                "provider gave for this client."
            )

    @cached_property
    def signing_key(self) -> OKPKey | None:
        return load_signing_key(self.identity_signing_key) if self.identity_signing_key else None

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_redirect_url)

    def upstreams(self) -> dict[str, str]:
        return {
            "meetings": self.meetings_url,
            "events": self.events_url,
            "volunteers": self.volunteers_url,
            "notify": self.notify_url,
        }
