"""The gateway's settings (environment variables prefixed `GATEWAY_`)."""

from __future__ import annotations

from pathlib import Path

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
    maildir: Path | None = None

    def upstreams(self) -> dict[str, str]:
        return {
            "meetings": self.meetings_url,
            "events": self.events_url,
            "volunteers": self.volunteers_url,
            "notify": self.notify_url,
        }
