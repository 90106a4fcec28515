"""Starts and supervises the whole local stack: PostgreSQL, NATS, the SMTP sink, every service.

Used by `make run` (ports fixed, state under var/) and by the end-to-end tests (free ports, a
temporary folder), so both exercise the same processes the same way.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from backbone.embedded import EmbeddedNats, EmbeddedPostgres, free_port, port_open, wait_until_ready
from backbone.identity import Identity, bearer_headers

SYSTEM = Identity(subject="devstack", roles=("system",), name="Local stack")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int

    @property
    def prefix(self) -> str:
        return self.name.upper() + "_"


# Dependency order: the gateway last, because it fronts the others.
DEFAULT_SERVICES = (
    ServiceSpec("meetings", 8101),
    ServiceSpec("events", 8102),
    ServiceSpec("volunteers", 8103),
    ServiceSpec("notify", 8104),
    ServiceSpec("gateway", 8000),
)


@dataclass
class Ports:
    postgres: int = 55432
    nats: int = 4222
    smtp: int = 1025

    @classmethod
    def free(cls) -> Ports:
        return cls(postgres=free_port(), nats=free_port(), smtp=free_port())


@dataclass
class Stack:
    var: Path
    ports: Ports = field(default_factory=Ports)
    services: tuple[ServiceSpec, ...] = DEFAULT_SERVICES
    extra_env: dict[str, str] = field(default_factory=dict)
    durable_postgres: bool = True
    # Development only: every service of the local stack shares this key with the gateway.
    signing_key: str = "development-only-signing-key-change-me"

    def __post_init__(self) -> None:
        self.var = self.var.resolve()
        (self.var / "log").mkdir(parents=True, exist_ok=True)
        self.postgres = EmbeddedPostgres(
            self.var / "postgres", self.ports.postgres, durable=self.durable_postgres
        )
        self.nats = EmbeddedNats(self.var / "nats", self.ports.nats)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def maildir(self) -> Path:
        return self.var / "mail"

    def url(self, service: str) -> str:
        spec = self._spec(service)
        return f"http://127.0.0.1:{spec.port}"

    def system_headers(self, service: str) -> dict[str, str]:
        """Headers that let local tooling (demo data, tests) call a service as the system."""
        return bearer_headers(SYSTEM, key=self.signing_key, audience=service)

    def _has(self, service: str) -> bool:
        return any(spec.name == service for spec in self.services)

    def _spec(self, service: str) -> ServiceSpec:
        for spec in self.services:
            if spec.name == service:
                return spec
        raise KeyError(f"No service named {service!r} in this stack.")

    def env_for(self, spec: ServiceSpec) -> dict[str, str]:
        p = spec.prefix
        env = {
            **os.environ,
            f"{p}DATABASE_URL": self.postgres.dsn(spec.name),
            f"{p}NATS_URL": self.nats.url,
            f"{p}HTTP_HOST": "127.0.0.1",
            f"{p}HTTP_PORT": str(spec.port),
            f"{p}ENVIRONMENT": "development",
            f"{p}GATEWAY_SIGNING_KEY": self.signing_key,
            "NOTIFY_SMTP_HOST": "127.0.0.1",
            "NOTIFY_SMTP_PORT": str(self.ports.smtp),
            # Links in emails lead to the gateway of this stack, wherever its port is.
            "NOTIFY_PUBLIC_URL": self.url("gateway") if self._has("gateway") else "http://127.0.0.1:8000",
            "GATEWAY_MAILDIR": str(self.maildir),
        }
        for other in self.services:
            env[f"GATEWAY_{other.name.upper()}_URL"] = self.url(other.name)
        env.update(self.extra_env)
        return env

    # -- starting -------------------------------------------------------------------------------

    def start_infrastructure(self) -> None:
        self.postgres.start()
        self.nats.start()
        self.start_mailsink()

    def start_mailsink(self) -> None:
        self._spawn(
            "mailsink",
            [
                sys.executable,
                "-m",
                "devstack.mailsink",
                "--maildir",
                str(self.maildir),
                "--port",
                str(self.ports.smtp),
            ],
            dict(os.environ),
        )
        wait_until_ready(
            lambda: port_open(self.ports.smtp),
            "the SMTP sink",
            20.0,
            self.procs["mailsink"],
            self.log_of("mailsink"),
        )

    def start_service(self, name: str, timeout: float = 60.0) -> None:
        spec = self._spec(name)
        self._spawn(name, [sys.executable, "-m", name, "api", "--migrate"], self.env_for(spec))
        self.wait_ready(name, timeout)

    def start_all(self) -> None:
        self.start_infrastructure()
        for spec in self.services:
            self.start_service(spec.name)

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = (self.var / "log" / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        url = self.url(name) + "/readyz"
        proc = self.procs[name]
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} stopped with code {proc.returncode}; see {self.log_of(name)}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{name} was not ready after {timeout:.0f} s; see {self.log_of(name)}")

    def log_of(self, name: str) -> Path:
        return self.var / "log" / f"{name}.log"

    # -- stopping -------------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        """SIGKILL a service or the sink: no chance to finish anything (a crash)."""
        proc = self.procs.pop(name)
        _signal_group(proc, signal.SIGKILL)
        proc.wait(10)

    def stop_process(self, name: str, timeout: float = 15.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(10)

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop_process(name)
        self.nats.stop()
        self.postgres.stop()

    def crashed(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
