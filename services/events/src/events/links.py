"""Personal links: signed tokens that let a person cancel a registration or answer an offer without
an account. Signed (HMAC-SHA256, a JWT through joserfc), never stored: the registration's state
says whether a link may still be used, and an offer's links name its round, so the links of an
earlier offer cannot answer a later one."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import OctKey

from events.model import ExpiredLink, InvalidLink

Action = Literal["cancel", "confirm", "decline"]
ALGORITHM = "HS256"
_ACTIONS: tuple[Action, ...] = ("cancel", "confirm", "decline")
_BROKEN = (
    "Länken är trasig eller ofullständig. Kopiera hela länken från mejlet, "
    "eller kontakta arrangören om det inte hjälper."
)
_EXPIRED = (
    "Länken har gått ut: evenemanget har redan börjat eller erbjudandet gäller inte längre. "
    "Kontakta arrangören om du har frågor."
)


@dataclass(frozen=True)
class Link:
    registration_id: uuid.UUID
    action: Action
    # When the link stops working: the event's end for a cancel link, the offer's end for an answer.
    # Whole seconds, as the token carries it.
    expires_at: datetime
    offer_round: int = 0


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = OctKey.import_key(secret.encode())

    def sign(self, link: Link, *, now: datetime) -> str:
        claims = {
            "sub": str(link.registration_id),
            "act": link.action,
            "round": link.offer_round,
            "iat": int(now.timestamp()),
            "exp": int(link.expires_at.timestamp()),
            # A fresh id per link: two links are never the same string, so one seen in a log or a
            # forwarded mail does not tell which other mails carry it.
            "jti": secrets.token_urlsafe(8),
        }
        return jwt.encode({"alg": ALGORITHM}, claims, self._key, algorithms=[ALGORITHM])

    def read(self, token: str, *, expected: Action, now: datetime) -> Link:
        """The link in `token`, refusing anything this service did not sign for `expected`, and any
        link whose time has run out."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM]).claims
            # Every link must say when it stops working.
            registry = jwt.JWTClaimsRegistry(
                now=int(now.timestamp()),
                exp={"essential": True},
                sub={"essential": True},
                act={"essential": True},
            )
            registry.validate(claims)
            link = Link(
                registration_id=uuid.UUID(str(claims["sub"])),
                action=claims["act"],
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
                offer_round=int(claims.get("round", 0)),
            )
        except ExpiredTokenError:
            raise ExpiredLink(_EXPIRED) from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidLink(_BROKEN) from None
        if link.action not in _ACTIONS or link.action != expected:
            raise InvalidLink(_BROKEN)
        return link
