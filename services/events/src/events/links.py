"""Personal links: signed tokens that let a person cancel a registration or answer an offer without
an account. Signed (HMAC-SHA256, a JWT through joserfc), never stored: the registration's state
says whether a link may still be used, and an offer's links name its round, so the links of an
earlier offer cannot answer a later one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from events.model import InvalidLink

Action = Literal["cancel", "confirm", "decline"]
ALGORITHM = "HS256"
_ACTIONS: tuple[Action, ...] = ("cancel", "confirm", "decline")
_BROKEN = (
    "Länken är trasig eller ofullständig. Kopiera hela länken från mejlet, "
    "eller kontakta arrangören om det inte hjälper."
)


@dataclass(frozen=True)
class Link:
    registration_id: uuid.UUID
    action: Action
    offer_round: int = 0


class Signer:
    def __init__(self, secret: str) -> None:
        self._key = OctKey.import_key(secret.encode())

    def sign(self, link: Link) -> str:
        claims = {"sub": str(link.registration_id), "act": link.action, "round": link.offer_round}
        return jwt.encode({"alg": ALGORITHM}, claims, self._key, algorithms=[ALGORITHM])

    def read(self, token: str, *, expected: Action) -> Link:
        """The link in `token`, refusing anything this service did not sign for `expected`."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM]).claims
            link = Link(
                registration_id=uuid.UUID(str(claims["sub"])),
                action=claims["act"],
                offer_round=int(claims.get("round", 0)),
            )
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidLink(_BROKEN) from None
        if link.action not in _ACTIONS or link.action != expected:
            raise InvalidLink(_BROKEN)
        return link
