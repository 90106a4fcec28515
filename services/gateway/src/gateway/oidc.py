"""Single sign-on with OpenID Connect: authorization code flow with PKCE (S256), ID token signed RS256.

Only people who already have an account may sign in this way: the account is found by the
provider's subject, or the first time by a verified e-mail address, which then links the two.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from gateway.auth import SettingsDep
from gateway.i18n import _
from gateway.navigation import safe_next
from gateway.rendering import render
from gateway.settings import Settings
from gateway.store import ConnDep, Q

router = APIRouter(tags=["pages"])


class InvalidIdToken(ValueError):
    pass


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_challenge(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


def _public_key(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    n = int.from_bytes(b64url_decode(jwk["n"]), "big")
    e = int.from_bytes(b64url_decode(jwk["e"]), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def verify_id_token(
    token: str, *, jwks: dict[str, Any], issuer: str, client_id: str, nonce: str, leeway: int = 60
) -> dict[str, Any]:
    try:
        header_b64, body_b64, sig_b64 = token.split(".")
        header = json.loads(b64url_decode(header_b64))
        claims: dict[str, Any] = json.loads(b64url_decode(body_b64))
    except ValueError as exc:
        raise InvalidIdToken("the ID token is malformed") from exc
    if header.get("alg") != "RS256":
        raise InvalidIdToken("the ID token is not signed with RS256")
    keys = [k for k in jwks.get("keys", []) if k.get("kty") == "RSA" and k.get("kid") == header.get("kid")]
    if not keys:
        raise InvalidIdToken("no key in the provider's JWKS matches the ID token")
    try:
        _public_key(keys[0]).verify(
            b64url_decode(sig_b64), f"{header_b64}.{body_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise InvalidIdToken("the ID token's signature does not match") from exc
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    now = time.time()
    if claims.get("iss") != issuer:
        raise InvalidIdToken("the ID token comes from another issuer")
    if client_id not in audiences:
        raise InvalidIdToken("the ID token is meant for another client")
    if int(claims.get("exp", 0)) + leeway < now:
        raise InvalidIdToken("the ID token has expired")
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise InvalidIdToken("the ID token's nonce does not match this sign-in")
    return claims


@dataclass(frozen=True)
class Provider:
    authorization_endpoint: str
    token_endpoint: str
    jwks: dict[str, Any]


async def provider(request: Request, settings: Settings) -> Provider:
    cached: Provider | None = getattr(request.app.state, "oidc_provider", None)
    if cached is not None:
        return cached
    client: httpx.AsyncClient = request.app.state.http
    discovery = (await client.get(f"{settings.oidc_issuer}/.well-known/openid-configuration")).json()
    jwks = (await client.get(discovery["jwks_uri"])).json()
    found = Provider(discovery["authorization_endpoint"], discovery["token_endpoint"], jwks)
    request.app.state.oidc_provider = found
    return found


@router.get("/sign-in/sso")
async def start_sign_in(request: Request, conn: ConnDep, settings: SettingsDep, next: str = "/") -> Response:
    found = await provider(request, settings)
    state, verifier, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(48), secrets.token_urlsafe(24)
    await conn.execute(Q.insert_oidc_attempt, state, verifier, nonce, safe_next(next))
    query = httpx.QueryParams(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id or "",
            "redirect_uri": settings.oidc_redirect_url or "",
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": pkce_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return RedirectResponse(f"{found.authorization_endpoint}?{query}", status_code=303)


def _refuse(request: Request) -> Response:
    return render(
        request,
        "pages/error.html",
        status_code=403,
        heading=_("Inloggningen gick inte"),
        message=_(
            "Vi kunde inte logga in dig med kommunens inloggning. "
            "Försök igen, eller fråga en administratör om du har ett konto i Delaktig."
        ),
    )


@router.get("/sign-in/sso/callback")
async def finish_sign_in(
    request: Request, conn: ConnDep, settings: SettingsDep, code: str = "", state: str = ""
) -> Response:
    from gateway.pages.auth import begin_session  # the page module owns the session cookie

    attempt = await conn.fetchrow(Q.take_oidc_attempt, state) if state and code else None
    if attempt is None:
        return _refuse(request)
    found = await provider(request, settings)
    client: httpx.AsyncClient = request.app.state.http
    answer = await client.post(
        found.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": settings.oidc_redirect_url or "",
            "code_verifier": attempt["code_verifier"],
            "client_id": settings.oidc_client_id or "",
            "client_secret": settings.oidc_client_secret or "",
        },
    )
    if answer.status_code != 200 or "id_token" not in answer.json():
        return _refuse(request)
    try:
        claims = verify_id_token(
            answer.json()["id_token"],
            jwks=found.jwks,
            issuer=settings.oidc_issuer or "",
            client_id=settings.oidc_client_id or "",
            nonce=attempt["nonce"],
        )
    except InvalidIdToken:
        return _refuse(request)
    subject = f"{settings.oidc_issuer}|{claims['sub']}"
    user = await conn.fetchrow(Q.user_by_oidc_subject, subject)
    if user is None and claims.get("email") and claims.get("email_verified"):
        user = await conn.fetchrow(Q.user_by_email, claims["email"])
        if user is not None and user["oidc_subject"] is None:
            await conn.execute(Q.link_oidc_subject, user["id"], subject)
        else:
            user = None
    if user is None or not user["active"]:
        return _refuse(request)
    return await begin_session(
        request, conn, settings, user_id=user["id"], email=user["email"], next_path=attempt["next_path"]
    )
