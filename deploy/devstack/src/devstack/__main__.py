"""`python -m devstack run`: the whole system on embedded defaults, until Ctrl-C."""

from __future__ import annotations

import argparse
import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from devstack import demo
from devstack.stack import Stack

_PR_SET_PDEATHSIG = 1


class AlreadyRunning(RuntimeError):
    pass


def _lock(var: Path) -> int:
    var.mkdir(parents=True, exist_ok=True)
    fd = os.open(var / "run.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = os.read(fd, 32).decode().strip() or "unknown"
        raise AlreadyRunning(
            f"The stack is already running (process {pid}), using {var}. "
            "Stop it with Ctrl-C in its terminal, or use the one that runs."
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def _demo_sign_in(stack: Stack) -> str:
    """The demo administrator, made sure of by the gateway's own command; returns "<email> / <password>"."""
    gateway = next(spec for spec in stack.services if spec.name == "gateway")
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "demo-admin"],
        env=stack.env_for(gateway),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def _stop_with_parent() -> None:
    """Ask Linux for SIGTERM when our parent (make) dies, so a signal to make alone stops the stack too."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: Ctrl-C still reaches the whole process group


def run(var: Path) -> int:
    _stop_with_parent()
    try:
        _lock(var)
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return 1
    stack = Stack(var)
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("Starting PostgreSQL, NATS and the mail sink …", flush=True)
        stack.start_infrastructure()
        for spec in stack.services:
            print(f"Starting {spec.name} …", flush=True)
            stack.start_service(spec.name)
        seeded = var / "demo-seeded"
        if not seeded.exists():
            for line in demo.seed(stack) + demo.seed_events(stack) + demo.seed_volunteers(stack):
                print(line, flush=True)
            seeded.touch()
        print(f"Demo sign-in: {_demo_sign_in(stack)}", flush=True)
        print(f"\nDelaktig is running: {stack.url('gateway')}/", flush=True)
        print(f"Mail sent by the system is in {stack.maildir} (mutt -f {stack.maildir}).", flush=True)
        print(f"Logs are in {var / 'log'}. Stop with Ctrl-C.", flush=True)
        while not stopping:
            for server, what in ((stack.postgres, "PostgreSQL"), (stack.nats, "NATS")):
                if server.proc is not None and server.proc.poll() is not None:
                    print(f"{what} stopped unexpectedly; starting it again (see {server.log}).", flush=True)
                    server.start()
            for name in stack.crashed():
                print(
                    f"{name} stopped unexpectedly; starting it again (see {stack.log_of(name)}).", flush=True
                )
                stack.restart(name)
            time.sleep(0.5)
    except Exception as exc:  # noqa: BLE001 - say what failed, then stop what started
        print(f"The stack could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        print("Stopping …", flush=True)
        stack.stop_all()
        print("Stopped.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="devstack", description="The local stack behind `make run`.")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--var", type=Path, default=Path("var"), help="where all state lives (default: var/)")
    args = parser.parse_args(argv)
    sys.exit(run(args.var))


if __name__ == "__main__":
    main()
