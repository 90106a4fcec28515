"""Where addresses lead: after a form only to paths on this site, and to a service only by its ids."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator


def _uuid_text(value: str) -> str:
    # Canonical form only: whatever else came in (`..`, `?`, `#`) never reaches a service's path.
    return str(uuid.UUID(value))


# An id from an address or a form that the page puts into a service's URL; anything that is not a
# UUID is refused (422, "Adressen är inte giltig") before the service is called.
ServiceId = Annotated[str, AfterValidator(_uuid_text)]


def _invisible(char: str) -> bool:
    # Whitespace and control or format characters (Unicode "C*"): browsers drop some of them from an
    # address, so "/\t/evil.example" would become "//evil.example", another site.
    return char.isspace() or unicodedata.category(char).startswith("C")


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site, otherwise `default`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(_invisible(char) for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
