"""The links in every email to the person's preferences page and to unsubscribe from a category.

Most people we write to have no account: the link itself says who they are. It is signed
(HMAC-SHA256, a JWT through joserfc, as the events service's personal links) and never stored;
it names the address it was sent to (lower-cased), and, to unsubscribe, the category. A link
lasts a year: old emails stay in inboxes, and RFC 8058 asks that their unsubscribe link work.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import OctKey

from backbone.errors import RuleError
from notify.settings import Settings

Action = Literal["preferences", "unsubscribe"]
ALGORITHM = "HS256"
LIFETIME = timedelta(days=365)
# Where the links lead: the gateway's public pages.
PREFERENCES_PATH = "/installningar/e-post"
UNSUBSCRIBE_PATH = "/installningar/e-post/avregistrera"
_BROKEN = (
    "Länken är trasig eller ofullständig. Kopiera hela länken från mejlet. "
    "Om det inte hjälper: öppna länken i ett nyare mejl från oss."
)
_EXPIRED = "Länken är för gammal. Öppna länken i ett nyare mejl från oss."


class InvalidLink(RuleError):
    """A link we did not sign, one cut short, or one that has run out."""


@dataclass(frozen=True)
class Link:
    address: str  # lower-cased
    action: Action
    category: str | None = None  # what to unsubscribe from


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = OctKey.import_key(secret.encode())

    def sign(self, link: Link, *, now: datetime | None = None) -> str:
        at = now or datetime.now(UTC)
        claims: dict[str, object] = {
            "sub": link.address.lower(),
            "act": link.action,
            "iat": int(at.timestamp()),
            "exp": int((at + LIFETIME).timestamp()),
            # Two links are never the same string, so one seen in a log tells nothing of another mail.
            "jti": secrets.token_urlsafe(6),
        }
        if link.category is not None:
            claims["cat"] = link.category
        return jwt.encode({"alg": ALGORITHM}, claims, self._key, algorithms=[ALGORITHM])

    def read(self, token: str, *, expected: Action, now: datetime | None = None) -> Link:
        """The link in `token`; InvalidLink for anything we did not sign for `expected`, or too old."""
        at = now or datetime.now(UTC)
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM]).claims
            jwt.JWTClaimsRegistry(
                now=int(at.timestamp()),
                exp={"essential": True},
                sub={"essential": True},
                act={"essential": True},
            ).validate(claims)
            link = Link(address=str(claims["sub"]), action=claims["act"], category=claims.get("cat"))
        except ExpiredTokenError:
            raise InvalidLink(_EXPIRED) from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidLink(_BROKEN) from None
        if link.action != expected or (expected == "unsubscribe" and not link.category):
            raise InvalidLink(_BROKEN)
        return link


def signer_for(settings: Settings) -> Signer:
    return _signer(settings.link_key)


@lru_cache(maxsize=8)
def _signer(secret: str) -> Signer:
    # One per key: every email's footer link is signed, and importing the key each time cost as much
    # as the signing.
    return Signer(secret)


def preferences_url(settings: Settings, address: str) -> str:
    """The link to the person's preferences page, for the footer of every email."""
    token = signer_for(settings).sign(Link(address=address.lower(), action="preferences"))
    return f"{settings.public_url.rstrip('/')}{PREFERENCES_PATH}?{urlencode({'token': token})}"


def unsubscribe_url(signer: Signer, public_url: str, address: str, category: str) -> str:
    """The one-click link of List-Unsubscribe (RFC 8058): a POST to it unsubscribes from `category`."""
    token = signer.sign(Link(address=address.lower(), action="unsubscribe", category=category))
    return f"{public_url.rstrip('/')}{UNSUBSCRIBE_PATH}?{urlencode({'token': token})}"
