"""A tiny OpenID Connect provider for the tests: discovery, authorize (consents at once), token, JWKS.

It checks what a real provider checks for the authorization code flow with PKCE: the client, the
redirect URI, the one-time code, and the code verifier against the S256 challenge. The tests can
rotate its signing key, make its discovery document lie about the issuer, make an endpoint hang
(as a provider that is overloaded) and make the token endpoint answer something that is not JSON.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from typing import Annotated, Any

from fastapi import FastAPI, Form, Header, HTTPException
from fastapi.responses import PlainTextResponse, RedirectResponse
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "delaktig"
CLIENT_SECRET = "test-client-secret"
# However long a test lets an endpoint hang, it answers after this at the latest.
LONGEST_HANG = 30.0


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class Provider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig", "alg": "RS256"})
        self.issuer = ""
        # What discovery says the issuer is; None means the truth.
        self.discovery_issuer: str | None = None
        self.codes: dict[str, dict[str, Any]] = {}
        self.authorization_requests: list[dict[str, str]] = []
        self.jwks_requests = 0
        # Who "signs in" at the provider next: the tests set it.
        self.next_user: dict[str, Any] = {"sub": "nobody"}
        # Endpoints ("discovery", "token", "jwks") that hang until the test takes them out again.
        self.hanging: set[str] = set()
        # Requests that have been hanging (counted when they start to).
        self.hung = 0
        # A 200 that is not JSON from the token endpoint, as from a proxy's error page.
        self.token_not_json = False
        self.app = self._build()

    def rotate_key(self) -> None:
        kid = f"key-{secrets.token_hex(4)}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})

    async def _maybe_hang(self, endpoint: str) -> None:
        if endpoint not in self.hanging:
            return
        self.hung += 1
        deadline = time.monotonic() + LONGEST_HANG
        while endpoint in self.hanging and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def id_token(self, claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}, claims, self.key)

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            await self._maybe_hang("discovery")
            return {
                "issuer": self.discovery_issuer or self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            self.jwks_requests += 1
            await self._maybe_hang("jwks")
            return {"keys": [self.key.as_dict(private=False)]}

        @app.get("/authorize")
        async def authorize(
            response_type: str,
            client_id: str,
            redirect_uri: str,
            state: str,
            nonce: str,
            code_challenge: str,
            code_challenge_method: str,
            scope: str = "",
        ) -> RedirectResponse:
            self.authorization_requests.append(
                {"code_challenge": code_challenge, "code_challenge_method": code_challenge_method}
            )
            if response_type != "code" or client_id != CLIENT_ID or code_challenge_method != "S256":
                raise HTTPException(400, "bad authorization request")
            if "openid" not in scope.split():
                raise HTTPException(400, "openid scope missing")
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": nonce,
                "challenge": code_challenge,
                "redirect_uri": redirect_uri,
                "user": dict(self.next_user),
            }
            return RedirectResponse(f"{redirect_uri}?code={code}&state={state}", status_code=302)

        @app.post("/token")
        async def token(
            grant_type: Annotated[str, Form()],
            code: Annotated[str, Form()],
            redirect_uri: Annotated[str, Form()],
            code_verifier: Annotated[str, Form()],
            client_id: Annotated[str | None, Form()] = None,
            client_secret: Annotated[str | None, Form()] = None,
            authorization: Annotated[str | None, Header()] = None,
        ) -> Any:
            await self._maybe_hang("token")
            if self.token_not_json:
                return PlainTextResponse("<html>Service temporarily unavailable</html>")
            issued = self.codes.pop(code, None)  # one use only
            if grant_type != "authorization_code" or issued is None:
                raise HTTPException(400, "invalid_grant")
            if authorization and authorization.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(authorization[6:]).decode().partition(":")
            if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
                raise HTTPException(401, "invalid_client")
            if redirect_uri != issued["redirect_uri"]:
                raise HTTPException(400, "redirect_uri does not match")
            if s256(code_verifier) != issued["challenge"]:
                raise HTTPException(400, "PKCE verification failed")
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": issued["nonce"],
                **issued["user"],
            }
            return {"access_token": "unused", "token_type": "Bearer", "id_token": self.id_token(claims)}

        return app
