"""The volunteers service's settings (environment variables prefixed `VOLUNTEERS_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="VOLUNTEERS_", extra="ignore")

    service_name: str = "volunteers"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/volunteers"
    http_port: int = 8103
