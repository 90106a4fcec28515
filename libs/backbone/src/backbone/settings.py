"""Settings shared by every service, read from environment variables and validated at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base class: each service subclasses it with its own `env_prefix` (e.g. `MEETINGS_`)."""

    model_config = SettingsConfigDict(env_prefix="SERVICE_", extra="ignore")

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/service"
    nats_url: str = "nats://127.0.0.1:4222"
    http_host: str = "127.0.0.1"
    http_port: int = 8100
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    # The API process also runs the outbox relay and the consumers unless told otherwise,
    # so the smallest deployment is one process per service.
    run_relay: bool = True
    run_consumers: bool = True

    relay_batch_size: int = Field(default=256, ge=1, le=10_000)
    # How long an idle relay waits at most before looking for rows written by other processes.
    relay_poll_seconds: float = Field(default=0.25, gt=0)
    consumer_batch_size: int = Field(default=64, ge=1, le=1_000)
    consumer_max_deliver: int = Field(default=5, ge=1)
    consumer_backoff_seconds: list[float] = [1.0, 5.0, 30.0, 120.0]
    consumer_ack_wait_seconds: float = Field(default=30.0, gt=0)
    # Events about different aggregates handled at once; one aggregate's events always in order.
    consumer_concurrency: int = Field(default=8, ge=1, le=64)
    pool_min_size: int = Field(default=1, ge=0)
    pool_max_size: int = Field(default=16, ge=1)

    # When set, /metrics answers only `Authorization: Bearer <token>`: for a service reachable from
    # outside (the gateway), so its metrics are not public.
    metrics_token: str | None = None

    # Identity tokens signed by the gateway; a development default only.
    gateway_signing_key: str = "development-only-signing-key-change-me"

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> ServiceSettings:
        if self.environment == "production" and "development-only" in self.gateway_signing_key:
            raise ValueError(
                "gateway_signing_key still has its development default; set a real secret in production."
            )
        return self

    @property
    def stream_name(self) -> str:
        return self.service_name.upper()
