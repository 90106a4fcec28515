"""The `stackops` command: status, restart, logs and kill for the services of a compose project."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, TextIO

from stackops.backup import BackupFailed, backup, restore, running_users, service_databases
from stackops.compose import (
    DEFAULT_PROJECT,
    Container,
    SelectionError,
    empty_project,
    project_containers,
    select,
    service_of,
)
from stackops.engine import ENGINE_ERRORS, EngineError, connect, explain
from stackops.rollout import CannotRollOut, RolloutFailed, rollout
from stackops.smoke import SmokeFailed, run_smoke
from stackops.status import (
    outbox_rows,
    render,
    render_outboxes,
    render_streams,
    rows_for,
    stream_rows,
)

# Exit codes besides 0 (done; for status: everything running and healthy) and 2 (argparse: bad usage).
EXIT_ERROR = 1
EXIT_NOT_HEALTHY = 3

# Give a service as long to stop as docker-compose.yml does (stop_grace_period) before Docker kills it.
DEFAULT_STOP_TIMEOUT = 30
DEFAULT_TAIL = 100


class ContainerSource(Protocol):
    def containers(self, project: str) -> list[Container]: ...


def signal_name(text: str) -> str:
    """`9`, `kill`, `KILL` and `SIGKILL` all mean SIGKILL."""
    name = text.strip().upper()
    try:
        if name.isdigit():
            return signal.Signals(int(name)).name
        return signal.Signals[name if name.startswith("SIG") else f"SIG{name}"].name
    except (KeyError, ValueError):
        raise argparse.ArgumentTypeError(f"'{text}' is not a signal; try SIGKILL, SIGTERM or 9.") from None


def since(text: str) -> datetime:
    """`30s`, `10m`, `2h` or `1d` ago, as the moment the engine is asked for."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a duration; try 30s, 10m, 2h or 1d.")
    return datetime.now(UTC) - timedelta(seconds=int(number) * units[unit])


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number.") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {value}.")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stackops",
        description="Look after the services of the docker compose stack.",
        epilog=(
            f"Exit codes: 0 done (status: all running and healthy), 1 error, 2 bad usage, "
            f"{EXIT_NOT_HEALTHY} status found something not running or not healthy."
        ),
    )
    parser.add_argument(
        "--project",
        default=os.environ.get("COMPOSE_PROJECT_NAME") or DEFAULT_PROJECT,
        help=f"compose project name (default: $COMPOSE_PROJECT_NAME, else {DEFAULT_PROJECT})",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    status = commands.add_parser(
        "status", help="containers with state and health; stream and consumer lag, outboxes, dead letters"
    )
    status.add_argument("--no-flow", action="store_true", help="only the containers (quicker)")

    restart = commands.add_parser("restart", help="restart a service's containers (or start them if stopped)")
    restart.add_argument("service")
    restart.add_argument("--replica", type=_at_least(1), help="only this replica (1, 2, ...)")
    restart.add_argument(
        "--timeout",
        type=_at_least(0),
        default=DEFAULT_STOP_TIMEOUT,
        help=f"seconds to stop gracefully before Docker kills (default {DEFAULT_STOP_TIMEOUT})",
    )

    logs = commands.add_parser("logs", help="the last lines a service's containers wrote")
    logs.add_argument("service")
    logs.add_argument(
        "--tail", type=_at_least(0), default=DEFAULT_TAIL, help=f"lines (default {DEFAULT_TAIL})"
    )
    logs.add_argument("--replica", type=_at_least(1), help="only this replica (1, 2, ...)")
    logs.add_argument("--since", type=since, help="only lines from this long ago: 30s, 10m, 2h, 1d")

    kill = commands.add_parser("kill", help="send a signal (SIGKILL unless told) to a service's containers")
    kill.add_argument("service")
    kill.add_argument("--replica", type=_at_least(1), help="only this replica (1, 2, ...)")
    kill.add_argument(
        "--signal", type=signal_name, default="SIGKILL", help="e.g. SIGKILL (default), SIGTERM, 9"
    )
    smoke = commands.add_parser(
        "smoke", help="sign in through the gateway, schedule a meeting, see its email arrive"
    )
    smoke.add_argument(
        "--timeout", type=_at_least(1), default=90, help="seconds to wait for the email (default 90)"
    )
    roll = commands.add_parser("rollout", help="replace a service's containers one at a time, healthy first")
    roll.add_argument("service")
    roll.add_argument("--image", help="the new image (default: the image name the containers have, rebuilt)")
    roll.add_argument(
        "--timeout", type=_at_least(1), default=120, help="seconds for each new container to become healthy"
    )
    dump = commands.add_parser("backup", help="dump every service database into a folder")
    dump.add_argument("folder", type=Path)
    back = commands.add_parser("restore", help="restore a backup folder (--drill: into scratch databases)")
    back.add_argument("folder", type=Path)
    back.add_argument(
        "--drill",
        action="store_true",
        help="restore beside the live databases, compare, drop again: proves the backup restores",
    )
    back.add_argument(
        "--force",
        action="store_true",
        help="restore although services still run (asks you to type the project name)",
    )
    return parser


def cmd_status(source: ContainerSource, args: argparse.Namespace, out: TextIO) -> int:
    containers = project_containers(source.containers(args.project), args.project)
    rows = rows_for(containers)
    if not rows:
        raise empty_project(args.project)
    print(render(rows), file=out)
    if not args.no_flow:
        print_flow(containers, out)
    return 0 if all(r.fine for r in rows) else EXIT_NOT_HEALTHY


# What reading the flow may run into; it is then shown as unreadable.
_UNREADABLE_STREAMS: tuple[type[Exception], ...] = (ValueError, *ENGINE_ERRORS)
_UNREADABLE_OUTBOXES: tuple[type[Exception], ...] = (BackupFailed, *ENGINE_ERRORS)


def print_flow(containers: list[Container], out: TextIO) -> None:
    """What flows, as far as it can be read; it informs and never changes status's exit code."""
    running = {service_of(c): c for c in containers if c.status == "running"}
    print("", file=out)
    if "nats" in running:
        try:
            print(render_streams(stream_rows(running["nats"])), file=out)
        except _UNREADABLE_STREAMS as exc:
            print(f"Streams: could not be read ({exc}).", file=out)
    else:
        print("Streams: nats is not running.", file=out)
    print("", file=out)
    if "postgres" in running:
        try:
            rows = outbox_rows(running["postgres"], service_databases(running["postgres"]))
            print(render_outboxes(rows), file=out)
        except _UNREADABLE_OUTBOXES as exc:
            print(f"Outboxes: could not be read ({exc}).", file=out)
    else:
        print("Outboxes: postgres is not running.", file=out)


def cmd_restart(source: ContainerSource, args: argparse.Namespace, out: TextIO) -> int:
    for container in select(source.containers(args.project), args.project, args.service, args.replica):
        print(f"Restarting {container.name} ...", file=out, flush=True)
        container.restart(timeout=args.timeout)
    print("Done. `stackops status` shows when they are healthy again.", file=out)
    return 0


def cmd_logs(source: ContainerSource, args: argparse.Namespace, out: TextIO) -> int:
    chosen = select(source.containers(args.project), args.project, args.service, args.replica)
    for container in chosen:
        options = {"since": args.since} if args.since else {}
        raw = container.logs(tail=args.tail, stdout=True, stderr=True, **options)
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        if len(chosen) > 1:
            print(f"==> {container.name} <==", file=out)
        out.write(text if not text or text.endswith("\n") else text + "\n")
    return 0


def cmd_kill(source: ContainerSource, args: argparse.Namespace, out: TextIO) -> int:
    for container in select(source.containers(args.project), args.project, args.service, args.replica):
        print(f"Sending {args.signal} to {container.name}", file=out, flush=True)
        container.kill(signal=args.signal)
    # Docker treats `kill` as a deliberate stop, so `restart: unless-stopped` leaves the container down.
    print(f"Docker will not start it again by itself: `stackops restart {args.service}` does.", file=out)
    return 0


def cmd_smoke(source: ContainerSource, args: argparse.Namespace, out: TextIO) -> int:
    containers = source.containers(args.project)
    gateway = select(containers, args.project, "gateway")[0]
    mail = select(containers, args.project, "mailpit")[0]
    try:
        run_smoke(gateway, mail, out, timeout=args.timeout)
    except SmokeFailed as exc:
        print(f"Smoke test failed: {exc}", file=out)
        return EXIT_ERROR
    print("Smoke test passed.", file=out)
    return 0


def cmd_rollout(source: ContainerSource, args: argparse.Namespace, out: TextIO) -> int:
    chosen = select(source.containers(args.project), args.project, args.service)
    client = getattr(source, "client", None)
    if client is None:
        raise EngineError("rollout needs the Docker engine itself, not a list of containers.")
    try:
        rollout(client, chosen, out, image=args.image, timeout=args.timeout)
    except RolloutFailed as exc:
        print(f"Rollout stopped: {exc}", file=out)
        return EXIT_ERROR
    except CannotRollOut as exc:
        print(f"stackops: {args.service} cannot be rolled out: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"Every container of {args.service} replaced.", file=out)
    return 0


def cmd_backup(source: ContainerSource, args: argparse.Namespace, out: TextIO) -> int:
    postgres = select(source.containers(args.project), args.project, "postgres")[0]
    backup(postgres, args.folder, out)
    print(f"Backup in {args.folder}. `stackops restore {args.folder} --drill` proves it restores.", file=out)
    return 0


def cmd_restore(source: ContainerSource, args: argparse.Namespace, out: TextIO) -> int:
    containers = project_containers(source.containers(args.project), args.project)
    postgres = select(containers, args.project, "postgres")[0]
    if not args.drill:
        # A service writing while its database is replaced loses those writes, or mixes them into
        # the restored state; its outbox and inbox would disagree with NATS.
        live = running_users(containers, service_databases(postgres))
        if live and not args.force:
            raise BackupFailed(
                f"{', '.join(live)} still run and would write into the databases being restored. Stop "
                f"them first: `docker compose stop {' '.join(live)}` (then restore, then `docker compose "
                "up -d`). To restore into running services anyway: --force."
            )
        if live:
            try:
                answer = args.confirm(
                    f"{', '.join(live)} still run. Type the project name ({args.project}) to restore anyway: "
                )
            except EOFError:  # no terminal to ask on: not confirmed
                answer = ""
            if answer.strip() != args.project:
                raise BackupFailed("Not confirmed: nothing was restored.")
    restore(postgres, args.folder, out, drill=args.drill)
    return 0


COMMANDS: dict[str, Callable[[ContainerSource, argparse.Namespace, TextIO], int]] = {
    "status": cmd_status,
    "restart": cmd_restart,
    "logs": cmd_logs,
    "kill": cmd_kill,
    "smoke": cmd_smoke,
    "rollout": cmd_rollout,
    "backup": cmd_backup,
    "restore": cmd_restore,
}


def main(
    argv: Sequence[str] | None = None,
    *,
    connect_to: Callable[[], ContainerSource] = connect,
    out: TextIO | None = None,
    err: TextIO | None = None,
    confirm: Callable[[str], str] = input,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    args.confirm = confirm
    try:
        return COMMANDS[args.command](connect_to(), args, out)
    except (EngineError, SelectionError, BackupFailed) as exc:
        print(f"stackops: {exc}", file=err)
    except ENGINE_ERRORS as exc:
        print(f"stackops: {explain(exc)}", file=err)
    return EXIT_ERROR
