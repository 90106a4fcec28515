"""The meetings service's settings (environment variables prefixed `MEETINGS_`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from backbone.settings import ServiceSettings

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# An import carries up to 500,000 characters of text as JSON: up to 4 bytes each, plus escapes.
IMPORT_REQUEST_BYTES = 2_621_440


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MEETINGS_", extra="ignore")

    service_name: str = "meetings"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/meetings"
    http_port: int = 8101
    max_request_bytes_by_path: dict[str, int] = Field(
        default_factory=lambda: {"/v1/imports": IMPORT_REQUEST_BYTES}
    )

    # How often the worker looks for action items that became due soon or overdue.
    due_check_seconds: float = 300.0
