"""Links in offers: signed tokens that let a volunteer accept or decline an offer, or cancel an
assignment, without an account. Signed (HMAC-SHA256, a JWT through joserfc), never stored; each
link expires, and works once because the offer's or assignment's state says whether it was used."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import OctKey

from volunteers.model import ExpiredLink, InvalidLink

Action = Literal["accept", "decline", "cancel"]
ALGORITHM = "HS256"
_ACTIONS: tuple[Action, ...] = ("accept", "decline", "cancel")
_BROKEN = (
    "Länken är trasig eller ofullständig. Kopiera hela länken från meddelandet, "
    "eller kontakta samordnaren för poolen om det inte hjälper."
)
_EXPIRED = (
    "Länken har gått ut: tiden för att svara är slut, eller uppdraget har redan börjat. "
    "Kontakta samordnaren för poolen om du har frågor."
)


@dataclass(frozen=True)
class Link:
    # The offer (accept, decline) or the assignment (cancel) the link is for.
    subject_id: uuid.UUID
    action: Action
    # Whole seconds, as the token carries it.
    expires_at: datetime


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = OctKey.import_key(secret.encode())

    def sign(self, link: Link, *, now: datetime) -> str:
        claims = {
            "sub": str(link.subject_id),
            "act": link.action,
            "iat": int(now.timestamp()),
            "exp": int(link.expires_at.timestamp()),
            # Two links are never the same string, so one seen in a log tells nothing of another.
            "jti": secrets.token_urlsafe(8),
        }
        return jwt.encode({"alg": ALGORITHM}, claims, self._key, algorithms=[ALGORITHM])

    def read(self, token: str, *, expected: tuple[Action, ...], now: datetime) -> Link:
        """The link in `token`, refusing anything this service did not sign for one of `expected`,
        and any link whose time has run out."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM]).claims
            registry = jwt.JWTClaimsRegistry(
                now=int(now.timestamp()),
                exp={"essential": True},
                sub={"essential": True},
                act={"essential": True},
            )
            registry.validate(claims)
            link = Link(
                subject_id=uuid.UUID(str(claims["sub"])),
                action=claims["act"],
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            )
        except ExpiredTokenError:
            raise ExpiredLink(_EXPIRED) from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidLink(_BROKEN) from None
        if link.action not in _ACTIONS or link.action not in expected:
            raise InvalidLink(_BROKEN)
        return link
