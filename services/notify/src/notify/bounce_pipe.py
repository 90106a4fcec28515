"""Hand a bounce from an MTA's pipe transport to notify: `python -m notify.bounce_pipe < message`.

For example in Postfix's master.cf, with the bounces address routed to this transport:

    delaktig-bounces unix - n n - - pipe flags=q user=delaktig
      argv=/opt/delaktig/bin/python -m notify.bounce_pipe --url http://notify:8104
           --token-file /etc/delaktig/bounce-token

The message is read whole from standard input and sent to notify's `/v1/bounces` with the bounce
token (notify's `NOTIFY_BOUNCE_TOKEN`, in a file readable by the pipe's user only, or in
`BOUNCE_PIPE_TOKEN`): a credential for that one route, so this host holds no identity key.
Exit 0 when notify took it (acted on or ignored: an out-of-office reply is not an error); 75
(EX_TEMPFAIL) when notify could not be reached, failed (5xx), or refused this host's token, so the MTA
keeps the message and tries again later; and 65 (EX_DATAERR) when notify refused the message itself
(too large, unreadable), which no retry would change, so the MTA does not retry it for days.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

EX_TEMPFAIL = 75
EX_DATAERR = 65
# Refusals that are about this host or the moment, not the message: a token notify does not accept
# (fixed by an administrator), or being asked to slow down. The MTA keeps the message for those.
RETRY_LATER = frozenset({401, 403, 408, 429})
# A DSN carries at most the original's headers or the original itself; larger is not a bounce.
MAX_BYTES = 262_144  # as notify's limit for /v1/bounces (Settings.bounce_max_bytes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m notify.bounce_pipe",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("NOTIFY_URL", "http://127.0.0.1:8104"),
        help="notify's address (env NOTIFY_URL)",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        default=os.environ.get("BOUNCE_PIPE_TOKEN_FILE"),
        help="a file holding notify's NOTIFY_BOUNCE_TOKEN (env BOUNCE_PIPE_TOKEN_FILE, or the token "
        "itself in BOUNCE_PIPE_TOKEN)",
    )
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)
    token = os.environ.get("BOUNCE_PIPE_TOKEN", "").strip()
    if args.token_file is not None:
        try:
            token = args.token_file.read_text().strip()
        except OSError as exc:
            print(f"Cannot read the bounce token from {args.token_file}: {exc.strerror}.", file=sys.stderr)
            return EX_TEMPFAIL
    if not token:
        print(
            "Give --token-file (or BOUNCE_PIPE_TOKEN_FILE, or BOUNCE_PIPE_TOKEN): notify takes bounces "
            "only with its bounce token (NOTIFY_BOUNCE_TOKEN).",
            file=sys.stderr,
        )
        return EX_TEMPFAIL
    raw = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        print(
            f"The message is larger than {MAX_BYTES} bytes; not a bounce notify reads. Dropped.",
            file=sys.stderr,
        )
        return 0
    request = urllib.request.Request(
        f"{args.url.rstrip('/')}/v1/bounces",
        data=raw,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"},
    )
    try:
        with urllib.request.urlopen(request, timeout=args.timeout) as answer:
            results = json.loads(answer.read())["results"]
    except urllib.error.HTTPError as exc:
        said = exc.read()[:500]
        if exc.code >= 500 or exc.code in RETRY_LATER:
            print(f"notify could not take the bounce ({exc.code}): {said!r}. The MTA will try again.",
                  file=sys.stderr)
            return EX_TEMPFAIL
        # The message itself is refused (too large, unreadable): the same bytes will never do better.
        print(f"notify refused the message ({exc.code}): {said!r}. Not tried again.", file=sys.stderr)
        return EX_DATAERR
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        print(f"Could not reach notify at {args.url}: {exc}. The MTA will try again.", file=sys.stderr)
        return EX_TEMPFAIL
    for result in results:
        print(f"{result['outcome']}: {result.get('recipient') or '-'} {result['detail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
