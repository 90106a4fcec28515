"""Signed links for a volunteer's own work: proposing hours for an assignment, returning a review,
seeing and withdrawing their consents.

Signed (HMAC-SHA256, a JWT through joserfc, as the events service's links) with the service's link
secret, never stored: the hours or the review says whether a link may still be used. Each link names
what it is for (`act`), so a link for one thing never does another, offers' links included.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import OctKey

from backbone.errors import RuleError
from volunteers.model import ExpiredLink, InvalidLink

WorkAction = Literal["hours", "review", "consents"]
ALGORITHM = "HS256"
_ACTIONS: tuple[WorkAction, ...] = ("hours", "review", "consents")
BROKEN = (
    "Länken är trasig eller ofullständig. Kopiera hela länken från mejlet, "
    "eller kontakta den som samordnar din pool om det inte hjälper."
)
EXPIRED = "Länken har gått ut. Kontakta den som samordnar din pool, så får du hjälp att rapportera."


@dataclass(frozen=True)
class WorkLink:
    # The assignment (hours), the reviewer's row of a review (review) or the volunteer (consents).
    target_id: uuid.UUID
    action: WorkAction
    expires_at: datetime



def refuse_erased(volunteer_status: str) -> None:
    """A link of someone whose data was erased on their request writes nothing about them again."""
    if volunteer_status == "erased":
        raise RuleError(
            "Länken gäller inte längre, eftersom dina uppgifter har raderats på din begäran. "
            "Kontakta den som samordnar poolen om du har frågor."
        )


class WorkLinkSigner:
    def __init__(self, secret: str) -> None:
        self._key = OctKey.import_key(secret.encode())

    def sign(self, link: WorkLink, *, now: datetime) -> str:
        claims = {
            "sub": str(link.target_id),
            "act": link.action,
            "iat": int(now.timestamp()),
            "exp": int(link.expires_at.timestamp()),
            # Two links are never the same string, so one seen in a log tells nothing of another.
            "jti": secrets.token_urlsafe(8),
        }
        return jwt.encode({"alg": ALGORITHM}, claims, self._key, algorithms=[ALGORITHM])

    def read(self, token: str, *, expected: WorkAction, now: datetime) -> WorkLink:
        """The link in `token` when this service signed it for `expected` and its time is not over."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM]).claims
            registry = jwt.JWTClaimsRegistry(
                now=int(now.timestamp()),
                exp={"essential": True},
                sub={"essential": True},
                act={"essential": True},
            )
            registry.validate(claims)
            link = WorkLink(
                target_id=uuid.UUID(str(claims["sub"])),
                action=claims["act"],
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            )
        except ExpiredTokenError:
            raise ExpiredLink(EXPIRED) from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidLink(BROKEN) from None
        if link.action not in _ACTIONS or link.action != expected:
            raise InvalidLink(BROKEN)
        return link


@dataclass(frozen=True)
class LinkContext:
    """What the use cases with links need: the signer, the service's time zone, and now."""

    signer: WorkLinkSigner
    zone: ZoneInfo
    now: datetime
