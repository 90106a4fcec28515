"""`python -m gateway {api,migrate,create-user,demo-admin}`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

import asyncpg

from backbone.logs import configure_logging
from backbone.runtime import apply_migrations
from backbone.service_main import run_service
from gateway import accounts, roles
from gateway.app import create_app
from gateway.settings import MIGRATIONS_DIR, Settings
from gateway.store import Q

# Development only: the demo administrator `make run` prints. Refused in production.
DEMO_EMAIL = "admin@example.se"
DEMO_PASSWORD = "delaktig-demo-2026"
DEMO_NAME = "Demo administratör"


async def _create_user(settings: Settings, new: accounts.NewUser, *, reset_password: bool) -> None:
    await apply_migrations(settings, MIGRATIONS_DIR)
    conn = await asyncpg.connect(settings.database_url)
    try:
        existing = await Q.user_by_email.fetchrow(conn, email=new.email)
        if existing is None:
            await accounts.create_user(conn, new=new, actor=(None, "command line"), ip=None)
        elif reset_password and new.password:
            await accounts.set_password(conn, user_id=existing["id"], password=new.password)
        else:
            raise SystemExit(f"There is already a user with the e-mail address {new.email}.")
    finally:
        await conn.close()


def _read_password(*, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SystemExit("There is no terminal to ask for the password on; pipe it in with --password-stdin.")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise SystemExit("The two passwords differ. Run the command again.")
    return password


def main(argv: list[str]) -> None:
    settings = Settings()
    if not argv or argv[0] not in ("create-user", "demo-admin"):
        run_service(
            settings,
            create_app,
            MIGRATIONS_DIR,
            argv,
            workers=settings.http_workers,
            app_factory="gateway.app:app_from_environment",
        )
        return
    parser = argparse.ArgumentParser(prog="python -m gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="create an account that signs in with a password")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    # Never an argument: arguments end up in shell history and in every process listing.
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    create.add_argument("--password", help=argparse.SUPPRESS)
    create.add_argument("--role", action="append", choices=roles.ALL, required=True)
    create.add_argument("--organisation")
    create.add_argument("--pool", action="append", default=[])
    sub.add_parser(
        "demo-admin", help="development only: make sure the demo administrator exists; prints its sign-in"
    )
    args = parser.parse_args(argv)
    if args.command == "create-user" and args.password is not None:
        create.error(
            "the password is not taken on the command line (shell history and process listings would "
            "show it). Pipe it in with --password-stdin, or leave the option out to be asked for it."
        )
    # Logs go to stderr, so stdout carries only the answer (devstack reads the demo sign-in from it).
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    try:
        if args.command == "create-user":
            new = accounts.NewUser(
                email=args.email,
                name=args.name,
                roles=tuple(args.role),
                password=_read_password(from_stdin=args.password_stdin),
                organisation_id=args.organisation,
                pool_ids=tuple(args.pool),
            )
            asyncio.run(_create_user(settings, new, reset_password=False))
            print(f"Created {args.email}.")
        else:
            if not settings.development:
                raise SystemExit("The demo administrator exists only in development.")
            new = accounts.NewUser(
                email=DEMO_EMAIL,
                name=DEMO_NAME,
                roles=(roles.ADMINISTRATOR, roles.STAFF),
                password=DEMO_PASSWORD,
            )
            asyncio.run(_create_user(settings, new, reset_password=True))
            print(f"{DEMO_EMAIL} / {DEMO_PASSWORD}")
    except accounts.AccountError as exc:
        raise SystemExit(f"Could not create the user: {exc}") from None


if __name__ == "__main__":
    main(sys.argv[1:])
