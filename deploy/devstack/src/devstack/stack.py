"""Starts and supervises the whole local stack: PostgreSQL, NATS, the SMTP sink, every service.

Used by `make run` (ports fixed, state under var/) and by the end-to-end tests (free ports, a
temporary folder), so both exercise the same processes the same way.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from backbone.embedded import EmbeddedNats, EmbeddedPostgres, free_port, port_open, wait_until_ready
from backbone.identity import Identity, KeyFiles, bearer_headers, ensure_keypair, load_signing_key
from devstack.mailsink import attempts_log_for

SYSTEM = Identity(subject="devstack", roles=("system",), name="Local stack")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int

    @property
    def prefix(self) -> str:
        return self.name.upper() + "_"


@dataclass(frozen=True)
class ProcessSpec:
    """A child process of the stack: how to start it and how to tell that it is ready.

    The SMTP sink and every service are started, watched and started again the same way from this.
    """

    name: str
    argv: list[str]
    env: dict[str, str]
    ready: Callable[[], bool]
    timeout: float = 60.0


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

    def __post_init__(self) -> None:
        self.var = self.var.resolve()
        (self.var / "log").mkdir(parents=True, exist_ok=True)
        # A keypair of this stack's own, kept with its state: the gateway signs with the private key,
        # the services get only the public one, as in production; nothing is shared or published.
        self.identity_keys: KeyFiles = ensure_keypair(self.var / "identity")
        self._signing_key = load_signing_key(str(self.identity_keys.signing))
        self.postgres = EmbeddedPostgres(
            self.var / "postgres", self.ports.postgres, durable=self.durable_postgres
        )
        self.nats = EmbeddedNats(self.var / "nats", self.ports.nats)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.specs: dict[str, ProcessSpec] = {}

    @property
    def maildir(self) -> Path:
        return self.var / "mail"

    @property
    def mail_attempts_log(self) -> Path:
        """Every message the SMTP sink was handed, copies included (the Maildir drops copies)."""
        return attempts_log_for(self.maildir)

    def url(self, service: str) -> str:
        spec = self._spec(service)
        return f"http://127.0.0.1:{spec.port}"

    def system_headers(self, service: str) -> dict[str, str]:
        """Headers that let local tooling (demo data, tests) call a service as the system."""
        return bearer_headers(SYSTEM, key=self._signing_key, audience=service)

    def headers_as(self, identity: Identity, service: str) -> dict[str, str]:
        """Headers that call a service as the given identity (tests of what one role may see)."""
        return bearer_headers(identity, key=self._signing_key, audience=service)

    def _has(self, service: str) -> bool:
        return any(spec.name == service for spec in self.services)

    def _spec(self, service: str) -> ServiceSpec:
        for spec in self.services:
            if spec.name == service:
                return spec
        raise KeyError(f"No service named {service!r} in this stack.")

    def env_for(self, spec: ServiceSpec) -> dict[str, str]:
        """The service's own variables and what it needs of the others, nothing more.

        Every service: its database, NATS, its address and the public key that verifies identities.
        The gateway besides: the upstream URLs and the private key it signs with. notify: the SMTP
        sink and the gateway's URL for links in emails.
        """
        p = spec.prefix
        own = {
            "DATABASE_URL": self.postgres.dsn(spec.name),
            "NATS_URL": self.nats.url,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(spec.port),
            "ENVIRONMENT": "development",
        }
        if spec.name == "gateway":
            own["IDENTITY_SIGNING_KEY"] = str(self.identity_keys.signing)
            own["MAILDIR"] = str(self.maildir)
            for other in self.services:
                if other.name != "gateway":
                    own[f"{other.name.upper()}_URL"] = self.url(other.name)
        else:
            own["IDENTITY_PUBLIC_KEY"] = str(self.identity_keys.public)
        if spec.name == "notify":
            own["SMTP_HOST"] = "127.0.0.1"
            own["SMTP_PORT"] = str(self.ports.smtp)
            # Links in emails lead to the gateway of this stack, wherever its port is.
            own["PUBLIC_URL"] = self.url("gateway") if self._has("gateway") else "http://127.0.0.1:8000"
            # Local development: a webhook receiver on this machine may be registered and reached.
            own["WEBHOOKS_ALLOW_PRIVATE"] = "true"
            # A key of this stack's own, kept with its state, seals the webhook secrets.
            own["WEBHOOKS_SECRET_KEYS_FILE"] = str(ensure_webhook_keys(self.var / "notify-webhook-keys"))
        others = tuple(other.prefix for other in DEFAULT_SERVICES + self.services if other.name != spec.name)
        extra = {k: v for k, v in self.extra_env.items() if not k.startswith(others)}
        return {**os.environ, **{p + name: value for name, value in own.items()}, **extra}

    # -- starting -------------------------------------------------------------------------------

    def start_infrastructure(self) -> None:
        self.postgres.start()
        self.nats.start()
        self.start(self.mail_sink())

    def mail_sink(self) -> ProcessSpec:
        argv = ["-m", "devstack.mailsink", "--maildir", str(self.maildir), "--port", str(self.ports.smtp)]
        return ProcessSpec(
            "mailsink", [sys.executable, *argv], dict(os.environ), lambda: port_open(self.ports.smtp), 20.0
        )

    def service(self, name: str) -> ProcessSpec:
        spec = self._spec(name)
        url = self.url(name) + "/readyz"
        argv = [sys.executable, "-m", name, "api", "--migrate"]
        return ProcessSpec(name, argv, self.env_for(spec), lambda: _answers_200(url))

    def start_service(self, name: str, timeout: float = 60.0) -> None:
        self.start(replace(self.service(name), timeout=timeout))

    def start_all(self) -> None:
        self.start_infrastructure()
        for spec in self.services:
            self.start_service(spec.name)

    def start(self, process: ProcessSpec) -> None:
        """Start a process and wait until it is ready; `restart` starts it again the same way."""
        self.specs[process.name] = process
        self._spawn(process.name, process.argv, process.env)
        wait_until_ready(
            process.ready, process.name, process.timeout, self.procs[process.name], self.log_of(process.name)
        )

    def restart(self, name: str) -> None:
        """Start a process that stopped (see `crashed`) again, as it was started the first time."""
        self.procs.pop(name, None)
        self.start(self.specs[name])

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = (self.var / "log" / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def wait_ready(self, name: str, timeout: float = 60.0) -> None:
        """Wait for a service started with `_spawn` to answer /readyz (the bench's profiled runs)."""
        url = self.url(name) + "/readyz"
        wait_until_ready(lambda: _answers_200(url), name, timeout, self.procs[name], self.log_of(name))

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


def ensure_webhook_keys(path: Path) -> Path:
    """A file with one random webhook sealing key (`<id>:<base64>`), made once and then kept."""
    if not path.exists():
        # Made readable by its owner only from the start, never for a moment by anyone.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"devstack:{base64.b64encode(os.urandom(32)).decode()}\n")
    return path


def _answers_200(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
