"""`meetings-import`: read old minutes from text files and send them to the meetings service (or print JSON).

    meetings-import [--year YYYY] [--json] [--url URL] [--signing-key FILE] FILE...

With --json the files are parsed here and printed as a JSON list, one object per file; nothing is
sent anywhere. Without it each file's text is posted to the service's import endpoint, which parses
and stores it as draft minutes awaiting review, as the system: the tool signs that identity with the
gateway's private identity key (--signing-key or $MEETINGS_IMPORT_SIGNING_KEY: a file, PEM or base64),
because the service trusts nothing else. Exit codes: 0 all went well, 1 at least one import failed,
2 a file or the key could not be read (nothing is sent then).
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import OKPKey

from backbone.identity import Identity, UnusableKey, bearer_headers, load_signing_key
from meetings.importer import parse_minutes

OPERATOR = Identity(subject="meetings-import", roles=("system",), name="meetings-import")

DEFAULT_URL = "http://127.0.0.1:8101"
IMPORT_PATH = "/v1/imports"
TIMEOUT_SECONDS = 30.0


class UnreadableFile(Exception):
    """A file that cannot be used as minutes; the message says why and what to do."""


def read_minutes_file(path: Path) -> str:
    """The file's text, decoded from UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file. Check the path and try again.") from None
    except IsADirectoryError:
        raise UnreadableFile(
            f"{path}: this is a folder, not a file. Give the text files inside it."
        ) from None
    except PermissionError:
        raise UnreadableFile(f"{path}: no permission to read this file.") from None
    except OSError as error:
        raise UnreadableFile(f"{path}: could not read the file ({error.strerror}).") from None
    return decode_minutes(data, path)


def decode_minutes(data: bytes, path: Path) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _not_empty(data.decode("utf-16"), path)
        except UnicodeDecodeError:
            raise UnreadableFile(f"{path}: the file says it is UTF-16 but is not valid UTF-16.") from None
    if data.startswith(b"%PDF") or data.startswith(b"PK\x03\x04") or b"\x00" in data:
        raise UnreadableFile(
            f"{path}: this looks like a PDF, Word or other binary file. "
            "Save or export it as plain text (.txt) first."
        )
    try:
        return _not_empty(data.decode("utf-8-sig"), path)
    except UnicodeDecodeError:
        pass
    # Older Word exports on Swedish Windows are Windows-1252; it leaves a few bytes undefined,
    # so text in some other encoding still fails here instead of turning into nonsense.
    try:
        return _not_empty(data.decode("cp1252"), path)
    except UnicodeDecodeError:
        raise UnreadableFile(
            f"{path}: the text is neither UTF-8 nor Windows-1252. Save it as UTF-8 text and try again."
        ) from None


def _not_empty(text: str, path: Path) -> str:
    if not text.strip():
        raise UnreadableFile(f"{path}: the file is empty.")
    return text


def _year(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a year; write it like 2016.") from None
    if not 1990 <= year <= 2100:  # the same range the service accepts
        raise argparse.ArgumentTypeError(f"{year} is not a plausible year for minutes.")
    return year


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meetings-import",
        description="Import old minutes (plain text) into the meetings service, or print them as JSON.",
    )
    parser.add_argument(
        "--year",
        type=_year,
        help="year to use when the minutes name the day but not the year (for example '7 mars')",
    )
    parser.add_argument(
        "--json", action="store_true", help="print what was read as JSON instead of importing it"
    )
    parser.add_argument(
        "--url",
        help=f"address of the meetings service (default: $MEETINGS_URL, else {DEFAULT_URL})",
    )
    parser.add_argument(
        "--signing-key",
        metavar="FILE",
        help="the gateway's private identity key, to sign the import as the system "
        "(default: $MEETINGS_IMPORT_SIGNING_KEY)",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="text files with minutes")
    return parser


def main(argv: list[str] | None = None, *, transport: httpx.BaseTransport | None = None) -> int:
    """Run the tool; `transport` lets tests answer the HTTP calls without a running service."""
    args = _parser().parse_args(argv)

    files: list[tuple[Path, str]] = []
    problems: list[str] = []
    for name in args.files:
        path = Path(name)
        try:
            files.append((path, read_minutes_file(path)))
        except UnreadableFile as error:
            problems.append(str(error))
    if problems:
        for problem in problems:
            print(f"meetings-import: {problem}", file=sys.stderr)
        print("meetings-import: nothing was imported.", file=sys.stderr)
        return 2

    if args.json:
        parsed = [
            parse_minutes(text, year=args.year, source_name=path.name).to_dict() for path, text in files
        ]
        _write(json.dumps(parsed, ensure_ascii=False, indent=2) + "\n")
        return 0

    # An operator's command-line tool, not part of a service: it has no settings class to read from.
    base_url = args.url or os.environ.get("MEETINGS_URL") or DEFAULT_URL
    given_key = args.signing_key or os.environ.get("MEETINGS_IMPORT_SIGNING_KEY")
    if not given_key:
        print(
            "meetings-import: no signing key. The meetings service accepts only identities the gateway's "
            "key signed: give its private identity key file with --signing-key FILE (or set "
            "MEETINGS_IMPORT_SIGNING_KEY). With `make run` it is var/identity/identity-signing.pem. "
            "Nothing was imported.",
            file=sys.stderr,
        )
        return 2
    try:
        key = load_signing_key(given_key)
    except UnusableKey as error:
        print(
            f"meetings-import: the signing key cannot be used: {error}. Nothing was imported.",
            file=sys.stderr,
        )
        return 2
    return _post_all(files, year=args.year, base_url=base_url, key=key, transport=transport)


def _post_all(
    files: Sequence[tuple[Path, str]],
    *,
    year: int | None,
    base_url: str,
    key: OKPKey,
    transport: httpx.BaseTransport | None,
) -> int:
    failures = 0
    # Signed with the gateway's own key, so the import arrives as the system like any other request the
    # service trusts, and the service needs no key but the gateway's public one.
    headers = bearer_headers(OPERATOR, key=key, audience="meetings")
    with httpx.Client(
        base_url=base_url, timeout=TIMEOUT_SECONDS, transport=transport, headers=headers
    ) as client:
        for path, text in files:
            body = {"text": text, "year": year, "source_name": path.name}
            try:
                response = client.post(IMPORT_PATH, json=body)
            except httpx.HTTPError as error:
                failures += 1
                _write(
                    f"{path.name}: failed - could not reach the meetings service at {base_url} ({error}). "
                    "Is it running? Set MEETINGS_URL or --url to its address.\n"
                )
                continue
            if response.is_success:
                _write(f"{path.name}: {_success_message(response)}\n")
            else:
                failures += 1
                _write(f"{path.name}: failed - {_error_message(response)}\n")
    return 1 if failures else 0


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        content = response.json()
    except ValueError:
        return {}
    return content if isinstance(content, dict) else {}


def _success_message(response: httpx.Response) -> str:
    content = _json_object(response)
    identifier = content.get("id")
    message = f"imported, id {identifier}" if identifier is not None else "imported (the reply had no id)"
    parsed = content.get("parsed")
    warnings = parsed.get("warnings") if isinstance(parsed, dict) else None
    if isinstance(warnings, list) and warnings:
        message += f"; {len(warnings)} warning{'s' if len(warnings) > 1 else ''} to review"
    if "meeting_id" in content and content["meeting_id"] is None:
        message += "; no meeting created yet (the date is unknown)"
    return message


def _error_message(response: httpx.Response) -> str:
    content = _json_object(response)
    detail = content.get("detail") or content.get("message") or content.get("error")
    if isinstance(detail, list):  # FastAPI's validation errors
        detail = "; ".join(
            str(entry.get("msg", entry)) if isinstance(entry, dict) else str(entry) for entry in detail
        )
    if not detail:
        detail = response.text.strip()[:300] or response.reason_phrase
    return f"HTTP {response.status_code}: {detail}"


def _write(text: str) -> None:
    """Write UTF-8 even where the console's encoding could not show "å", "ä" and "ö"."""
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    buffer = getattr(stream, "buffer", None)
    if encoding != "utf8" and buffer is not None:
        stream.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
    else:
        stream.write(text)
        stream.flush()


if __name__ == "__main__":
    raise SystemExit(main())
