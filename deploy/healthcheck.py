"""The image's HEALTHCHECK: is this container's service ready (GET /readyz on its own port)?

The port is the one <SERVICE>_HTTP_PORT variable the container has (docker-compose.yml gives each
service only its own). Standard library only, so it costs no start-up time of the service.
"""

import json
import os
import sys
import urllib.error
import urllib.request


class WhichPort(Exception):
    """The container has several <SERVICE>_HTTP_PORT variables: which service it runs is unknown."""


def port() -> str:
    """The one <SERVICE>_HTTP_PORT; 8000 (the gateway's, the image's default command) without any."""
    ports = {key: value for key, value in os.environ.items() if key.endswith("_HTTP_PORT")}
    if len(ports) > 1:
        # Guessing would ask another service's port and could call this one healthy.
        raise WhichPort(
            f"this container has several of {', '.join(sorted(ports))}; give it only its own service's"
        )
    return next(iter(ports.values()), "8000")


def main() -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port()}/readyz", timeout=3) as answer:
            return 0 if answer.status == 200 else 1
    except urllib.error.HTTPError as exc:
        # The engine keeps this output with the check (docker inspect, `stackops status`): say why.
        print(f"not ready: {reasons(exc.read())}")
        return 1
    except (OSError, urllib.error.URLError, WhichPort) as exc:
        print(f"not ready: {exc}")
        return 1


def reasons(body: bytes) -> str:
    """The sentences /readyz gives for a 503, or the answer itself when it has none."""
    try:
        said = json.loads(body).get("reasons") or []
    except (ValueError, AttributeError):
        said = []
    return " ".join(str(r) for r in said) or body.decode("utf-8", "replace")[:500]


if __name__ == "__main__":
    sys.exit(main())
