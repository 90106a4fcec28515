"""The notify service's settings (environment variables prefixed `NOTIFY_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/notify"
    http_port: int = 8104

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    mail_from: str = "Delaktig <noreply@delaktig.local>"
    mail_domain: str = "delaktig.local"
    public_url: str = "http://127.0.0.1:8000"
    send_batch_size: int = Field(default=20, ge=1, le=1000)
    send_concurrency: int = Field(default=4, ge=1, le=32)
    send_max_attempts: int = Field(default=8, ge=1)
