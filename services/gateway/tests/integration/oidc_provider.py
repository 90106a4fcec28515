"""A tiny OpenID Connect provider for the tests: discovery, authorize (consents at once), token, JWKS.

It checks what a real provider checks for the authorization code flow with PKCE: the client, the
redirect URI, the one-time code, and the code verifier against the S256 challenge.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import RedirectResponse

from gateway.oidc import b64url

CLIENT_ID = "delaktig"
CLIENT_SECRET = "test-client-secret"


class Provider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issuer = ""
        self.codes: dict[str, dict[str, Any]] = {}
        # Who "signs in" at the provider next: the tests set it.
        self.next_user: dict[str, Any] = {"sub": "nobody"}
        self.app = self._build()

    def id_token(self, claims: dict[str, Any]) -> str:
        header = b64url(json.dumps({"alg": "RS256", "kid": "test-key", "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        signature = self.key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{body}.{b64url(signature)}"

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            numbers = self.key.public_key().public_numbers()
            n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
            return {
                "keys": [
                    {
                        "kty": "RSA",
                        "kid": "test-key",
                        "alg": "RS256",
                        "use": "sig",
                        "n": b64url(n),
                        "e": b64url(numbers.e.to_bytes(3, "big")),
                    }
                ]
            }

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
            grant_type: str = Form(),
            code: str = Form(),
            redirect_uri: str = Form(),
            code_verifier: str = Form(),
            client_id: str = Form(),
            client_secret: str = Form(),
        ) -> dict[str, Any]:
            issued = self.codes.pop(code, None)  # one use only
            if grant_type != "authorization_code" or issued is None:
                raise HTTPException(400, "invalid_grant")
            if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
                raise HTTPException(401, "invalid_client")
            if redirect_uri != issued["redirect_uri"]:
                raise HTTPException(400, "redirect_uri does not match")
            if b64url(hashlib.sha256(code_verifier.encode()).digest()) != issued["challenge"]:
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
