"""The command line every service shares: `python -m <service> {api,migrate,provision}`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from backbone.logs import configure_logging, get_logger
from backbone.runtime import Runtime, apply_migrations
from backbone.settings import ServiceSettings

# A service's own settings class: its create_app takes that class, not the base.
S = TypeVar("S", bound=ServiceSettings)


def run_service(
    settings: S,
    create_app: Callable[[S], FastAPI],
    migrations_dir: Path | None,
    argv: list[str] | None = None,
    *,
    workers: int = 1,
    app_factory: str | None = None,
) -> None:
    """With `workers` > 1, uvicorn serves from that many processes, each building its own app with
    `app_factory` ("module:function", no arguments), since an app object cannot be handed to another
    process. A worker is a fresh interpreter: the factory calls configure_logging itself."""
    parser = argparse.ArgumentParser(prog=f"python -m {settings.service_name}")
    parser.add_argument(
        "command",
        choices=["api", "migrate", "provision"],
        help=(
            "api: serve HTTP (with relay and consumers); migrate: apply migrations; provision: create "
            "or widen the service's streams and durable consumers (with a NATS user that may)"
        ),
    )
    parser.add_argument("--migrate", action="store_true", help="with api: apply migrations first")
    parser.add_argument(
        "--provision", action="store_true", help="with migrate: provision the streams and consumers too"
    )
    args = parser.parse_args(argv)
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    log = get_logger(settings.service_name)
    if args.command == "migrate" or args.migrate:
        applied = asyncio.run(apply_migrations(settings, migrations_dir))
        log.info("migrations done", applied=applied)
    if args.command == "provision" or (args.command == "migrate" and args.provision):
        # The app is built only for its runtime's streams and consumers; nothing is served.
        runtime: Runtime = create_app(settings).state.runtime
        provisioned = asyncio.run(runtime.provision())
        log.info("streams and consumers provisioned", provisioned=provisioned)
    if args.command == "api":
        several = workers > 1 and app_factory is not None
        uvicorn.run(
            app_factory if app_factory is not None and several else create_app(settings),
            factory=several,
            workers=workers if several else None,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
            # Never believe X-Forwarded-For on the server's own (FORWARDED_ALLOW_IPS=* would let anyone
            # name any address): a service that needs the client's address says whom it trusts, as the
            # gateway does with GATEWAY_TRUSTED_PROXIES.
            proxy_headers=False,
        )
