"""Short-lived identities signed by the gateway (JWT, Ed25519), one audience per service.

The gateway signs who is asking (user id, roles, organisation) for the one service it forwards
to; a service refuses every request without a valid identity for itself, so nothing reaches a
service's API around the gateway. Only the gateway holds the private key; services hold the
public key, so a service that is broken into cannot mint identities for another.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import OKPKey
from joserfc.jwt import JWTClaimsRegistry

ISSUER = "gateway"
DEFAULT_TTL_SECONDS = 60
# The fully specified name for EdDSA over Ed25519 (RFC 9864); the only algorithm accepted, so a
# token with `HS256` or `none` is refused before its signature is even looked at.
ALGORITHM = "Ed25519"
ROLES = ("administrator", "staff", "org_representative", "pool_coordinator", "system")
# A clock behind the gateway's sees an identity issued "in the future": allow half a minute of that.
# Expiry keeps its small leeway, and no identity may claim to live longer than the bound below.
ISSUED_AT_LEEWAY_SECONDS = 30
EXPIRY_LEEWAY_SECONDS = 5
MAX_LIFETIME_SECONDS = 120

class InvalidIdentity(ValueError):
    pass


class UnusableKey(ValueError):
    """Key material that cannot be read as the kind of Ed25519 key it is meant to be."""


@dataclass(frozen=True)
class Identity:
    subject: str
    roles: tuple[str, ...]
    organisation_id: str | None = None
    pool_ids: tuple[str, ...] = field(default_factory=tuple)
    name: str | None = None
    # A staff member's work address and the language they read the pages in ("sv", "en"): a service
    # that tells them of something later (a request filled, a review returned) keeps these two.
    email: str | None = None
    language: str | None = None

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


def _pem(value: str, kind: str) -> bytes:
    """The PEM `value` names as a file, or `value` itself when it is PEM.

    The file comes first, so a path is never mistaken for key text. Only PEM is taken: a raw base64
    private seed and a raw base64 public key look the same, so a service given the gateway's private
    seed would take it for the public key; PEM says which kind it is.
    """
    text = value.strip()
    path = Path(text)
    try:
        is_file = path.is_file()
    except OSError:  # e.g. a PEM too long to be a file name
        is_file = False
    if is_file:
        try:
            material = path.read_bytes().strip()
        except OSError as exc:
            raise UnusableKey(f"the file {text} cannot be read ({exc.strerror})") from None
        if not material.startswith(b"-----BEGIN"):
            raise UnusableKey(f"the file {text} does not hold a PEM {kind} key")
        return material
    if text.startswith("-----BEGIN"):
        return text.encode()
    raise UnusableKey(f"expected a PEM Ed25519 {kind} key, or the path of a file holding one")


def _pem_kind(material: bytes) -> str:
    return material.split(b"\n", 1)[0].decode("ascii", errors="replace")


def load_signing_key(value: str) -> OKPKey:
    """The gateway's private key: PEM (PKCS#8), or the path of a file holding it."""
    material = _pem(value, "private")
    if b"PRIVATE" not in _pem_kind(material).encode():
        raise UnusableKey(
            "this is a public key; the gateway needs the private one (identity-signing.pem)"
        )
    try:
        key = OKPKey.import_key(material)
    except (JoseError, ValueError, TypeError) as exc:
        raise UnusableKey(f"the PEM is not an Ed25519 private key ({exc})") from None
    if not key.is_private or key.curve_name != "Ed25519":
        raise UnusableKey("this is not an Ed25519 private key")
    return key


def load_verifying_key(value: str) -> OKPKey:
    """A service's public key: PEM (SubjectPublicKeyInfo), or the path of a file holding it."""
    material = _pem(value, "public")
    if b"PRIVATE" in _pem_kind(material).encode():
        raise UnusableKey(
            "this is a private key; give the service only the public key "
            "(the gateway keeps the private one)"
        )
    try:
        key = OKPKey.import_key(material)
    except (JoseError, ValueError, TypeError) as exc:
        raise UnusableKey(f"the PEM is not an Ed25519 public key ({exc})") from None
    if key.is_private or key.curve_name != "Ed25519":
        raise UnusableKey("this is not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class KeyFiles:
    signing: Path
    public: Path


def write_keypair(folder: Path) -> KeyFiles:
    """A new keypair as PEM files in `folder` (the private one readable by its owner only)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = KeyFiles(signing=folder / "identity-signing.pem", public=folder / "identity-public.pem")
    key = OKPKey.generate_key("Ed25519")
    _write_atomically(files.signing, key.as_pem(private=True), mode=0o600)
    _write_atomically(files.public, key.as_pem(private=False), mode=0o644)
    return files


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Write a new file beside `path` with `mode` from its first byte, then rename it over `path`.

    A file (or a planted link) already at `path` is replaced, never written through, and a crash
    leaves either the old file or the whole new one.
    """
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)


def ensure_keypair(folder: Path) -> KeyFiles:
    """The keypair in `folder`, made the first time (so local identities survive a restart)."""
    files = KeyFiles(signing=folder / "identity-signing.pem", public=folder / "identity-public.pem")
    if files.signing.exists() and files.public.exists():
        return files
    return write_keypair(folder)


def mint(identity: Identity, *, key: OKPKey, audience: str, ttl: int = DEFAULT_TTL_SECONDS) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience,
        "sub": identity.subject,
        "roles": list(identity.roles),
        "org": identity.organisation_id,
        "pools": list(identity.pool_ids),
        "name": identity.name,
        "email": identity.email,
        "lang": identity.language,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode({"alg": ALGORITHM}, claims, key, algorithms=[ALGORITHM])


class _Claims(JWTClaimsRegistry):
    """The gateway's claims: `exp` with the registry's (small) leeway, `iat` with a larger one."""

    def validate_iat(self, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise InvalidClaimError("iat", "Claim 'iat' must be a NumericDate value")
        if value > self.now + ISSUED_AT_LEEWAY_SECONDS:
            raise InvalidClaimError(
                "iat",
                f"it was issued more than {ISSUED_AT_LEEWAY_SECONDS} s in the future; "
                "check that this host's clock and the gateway's agree",
            )
        self.check_value("iat", value)


def verify(token: str, *, key: OKPKey, audience: str, leeway: int = EXPIRY_LEEWAY_SECONDS) -> Identity:
    """The identity in `token`, when the gateway signed it for `audience` and it is current.

    `jti` makes each minted token unique, but it is no per-request nonce: the gateway reuses a token
    for a while (gateway/upstream.py), so a service must not refuse a `jti` it has seen.
    """
    return _verified(token, key=key, audience=audience, leeway=leeway)[0]


class VerifiedTokens:
    """`verify` for one key and audience, remembering what it verified by the exact token string.

    A token cannot change: the same string has the same signature and claims, so only time can make
    a verified token invalid, and its expiry is checked again on every use. The gateway reuses a
    token for half its lifetime, so most calls skip the signature check (about a tenth of a
    service's CPU per call). Bounded: the least recently used token goes first. Refusals are not
    kept, so a tampered or garbled token is looked at in full every time.
    """

    def __init__(
        self,
        *,
        key: OKPKey,
        audience: str,
        size: int = 4096,
        leeway: int = EXPIRY_LEEWAY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self._audience = audience
        self._size = size
        self._leeway = leeway
        self._clock = clock
        self._known: OrderedDict[str, tuple[Identity, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._known)

    def verify(self, token: str) -> Identity:
        known = self._known.get(token)
        if known is not None:
            identity, expires = known
            if self._clock() > expires + self._leeway:
                del self._known[token]
                raise InvalidIdentity("the identity has expired")
            self._known.move_to_end(token)
            return identity
        identity, expires = _verified(token, key=self._key, audience=self._audience, leeway=self._leeway)
        self._known[token] = (identity, expires)
        if len(self._known) > self._size:
            self._known.popitem(last=False)
        return identity


def _verified(token: str, *, key: OKPKey, audience: str, leeway: int) -> tuple[Identity, float]:
    """The identity in `token` and when it expires (seconds since the epoch)."""
    try:
        decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
    except JoseError as exc:
        if exc.error in ("bad_signature",):
            raise InvalidIdentity("the signature does not match") from None
        if exc.error == "unsupported_algorithm":
            raise InvalidIdentity(f"the identity must be signed with {ALGORITHM}") from None
        raise InvalidIdentity("the identity token is malformed") from None
    except (ValueError, TypeError):
        raise InvalidIdentity("the identity token is malformed") from None
    claims = decoded.claims
    if claims.get("iss") != ISSUER:
        raise InvalidIdentity("the identity was not issued by the gateway")
    if claims.get("aud") != audience:
        raise InvalidIdentity(f"the identity is meant for {claims.get('aud')!r}, not {audience!r}")
    registry = _Claims(
        leeway=leeway,
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise InvalidIdentity("the identity has expired") from None
    except MissingClaimError as exc:
        raise InvalidIdentity(f"the identity lacks a claim ({exc.description})") from None
    except JoseError as exc:
        raise InvalidIdentity(f"the identity is not valid ({exc.description})") from None
    if claims["exp"] - claims["iat"] > MAX_LIFETIME_SECONDS:
        raise InvalidIdentity(
            f"the identity lives {claims['exp'] - claims['iat']:g} s, more than the "
            f"{MAX_LIFETIME_SECONDS} s the gateway ever gives one"
        )
    roles = tuple(r for r in claims.get("roles", []) if r in ROLES)
    identity = Identity(
        subject=str(claims["sub"]),
        roles=roles,
        organisation_id=claims.get("org"),
        pool_ids=tuple(claims.get("pools") or ()),
        name=claims.get("name"),
        email=claims.get("email"),
        language=claims.get("lang"),
    )
    return identity, float(claims["exp"])


def bearer_headers(identity: Identity, *, key: OKPKey, audience: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(identity, key=key, audience=audience)}"}


# The dependencies below are async although they never wait: FastAPI runs a plain `def`
# dependency in a worker thread, a thread hop on every request for a dictionary lookup.
async def current_identity(request: Request) -> Identity:
    identity = getattr(request.state, "identity", None)
    if identity is None:
        raise HTTPException(status_code=401, detail="Sign in through the gateway to use this service.")
    return identity


CurrentIdentity = Annotated[Identity, Depends(current_identity)]


def require_roles(*roles: str) -> Any:
    """A dependency that lets through only identities with one of `roles`."""

    async def check(identity: CurrentIdentity) -> Identity:
        if not identity.has_role(*roles):
            raise HTTPException(status_code=403, detail="Your role does not allow this.")
        return identity

    return Depends(check)
