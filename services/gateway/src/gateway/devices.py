"""The known-device cookie (OWASP's "device cookie"): browsers that have signed in to an account before.

At a successful sign-in the browser gets a signed mark for that account; when the account is under
attack from many addresses, sign-ins from a browser that shows its mark are not slowed by the
account's count (see `throttle`). A mark is an HMAC of the e-mail address under the gateway's secret
key, so it names nobody in clear and cannot be made without the key; a browser keeps marks for a
few accounts. Changing GATEWAY_SECRET_KEY forgets every browser (they are only slowed, never locked).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

# A shared computer may be used for a few accounts; more marks would only grow the cookie.
MAX_MARKS = 5
LIFETIME = timedelta(days=180)
# 128 bits of HMAC-SHA256: too many to guess, short enough for a cookie.
_MARK_CHARS = 32


def cookie_name(behind_tls: bool) -> str:
    """`__Host-` behind TLS: no subdomain can set it."""
    return "__Host-delaktig_device" if behind_tls else "delaktig_device"


def mark(secret: str, email: str) -> str:
    key = f"known-device:{email.strip().lower()}".encode()
    return hmac.new(secret.encode(), key, hashlib.sha256).hexdigest()[:_MARK_CHARS]


def _marks(cookie: str | None) -> list[str]:
    return [m for m in (cookie or "").split(".") if len(m) == _MARK_CHARS][:MAX_MARKS]


def knows(secret: str, cookie: str | None, email: str) -> bool:
    """Whether the cookie shows that this browser has signed in to this account before."""
    expected = mark(secret, email)
    return any(hmac.compare_digest(m, expected) for m in _marks(cookie))


def remembered(secret: str, cookie: str | None, email: str) -> str:
    """The cookie's new value with this account's mark first (the oldest marks make room)."""
    new = mark(secret, email)
    return ".".join([new, *(m for m in _marks(cookie) if m != new)][:MAX_MARKS])
