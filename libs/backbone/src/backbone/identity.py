"""Short-lived identities signed by the gateway (JWT, HS256), one audience per service.

The gateway signs who is asking (user id, roles, organisation) for the one service it forwards
to; a service refuses every request without a valid identity for itself, so nothing reaches a
service's API around the gateway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

ISSUER = "gateway"
DEFAULT_TTL_SECONDS = 60
ROLES = ("administrator", "staff", "org_representative", "pool_coordinator", "system")


class InvalidIdentity(ValueError):
    pass


@dataclass(frozen=True)
class Identity:
    subject: str
    roles: tuple[str, ...]
    organisation_id: str | None = None
    pool_ids: tuple[str, ...] = field(default_factory=tuple)
    name: str | None = None

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint(identity: Identity, *, key: str, audience: str, ttl: int = DEFAULT_TTL_SECONDS) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience,
        "sub": identity.subject,
        "roles": list(identity.roles),
        "org": identity.organisation_id,
        "pools": list(identity.pool_ids),
        "name": identity.name,
        "iat": now,
        "exp": now + ttl,
    }
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(sig)}"


def verify(token: str, *, key: str, audience: str, leeway: int = 5) -> Identity:
    try:
        header, body, sig = token.split(".")
        expected = hmac.new(key.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            raise InvalidIdentity("the signature does not match")
        if json.loads(_unb64(header)).get("alg") != "HS256":
            raise InvalidIdentity("unexpected algorithm")
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError) as exc:
        if isinstance(exc, InvalidIdentity):
            raise
        raise InvalidIdentity("the identity token is malformed") from exc
    if claims.get("iss") != ISSUER:
        raise InvalidIdentity("the identity was not issued by the gateway")
    if claims.get("aud") != audience:
        raise InvalidIdentity(f"the identity is meant for {claims.get('aud')!r}, not {audience!r}")
    if int(claims.get("exp", 0)) + leeway < time.time():
        raise InvalidIdentity("the identity has expired")
    roles = tuple(r for r in claims.get("roles", []) if r in ROLES)
    return Identity(
        subject=str(claims["sub"]),
        roles=roles,
        organisation_id=claims.get("org"),
        pool_ids=tuple(claims.get("pools") or ()),
        name=claims.get("name"),
    )


def bearer_headers(identity: Identity, *, key: str, audience: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(identity, key=key, audience=audience)}"}


def current_identity(request: Request) -> Identity:
    identity = getattr(request.state, "identity", None)
    if identity is None:
        raise HTTPException(status_code=401, detail="Sign in through the gateway to use this service.")
    return identity  # type: ignore[no-any-return]


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def require_roles(*roles: str) -> Any:
    """A dependency that lets through only identities with one of `roles`."""

    def check(identity: CurrentIdentity) -> Identity:
        if not identity.has_role(*roles):
            raise HTTPException(status_code=403, detail="Your role does not allow this.")
        return identity

    return Depends(check)
