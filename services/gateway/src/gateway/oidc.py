"""Single sign-on with OpenID Connect through Authlib: authorization code flow with PKCE (S256).

Only people who already have an account may sign in this way: the account is found by the
provider's subject, or the first time by a verified e-mail address, which then links the two (never
for an administrator's account: whoever controls that address at the provider would own the site).
Each attempt (state, nonce, code verifier) is bound to the browser's pre-session cookie, so a
callback URL copied from a log does not work in another browser. No database connection is held
while the provider is asked: a slow provider makes sign-ins wait, not the rest of the gateway.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import timedelta
from typing import Any, Generic, NamedTuple, TypeVar

import asyncpg
import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from backbone.logs import get_logger
from gateway import audit, csrf, roles
from gateway.auth import SettingsDep, client_ip
from gateway.i18n import N_, _
from gateway.navigation import safe_next
from gateway.rendering import render
from gateway.settings import Settings
from gateway.store import Q

log = get_logger(__name__)
router = APIRouter(tags=["pages"])

# Long enough to sign in at the provider, short enough that a stale attempt is worth nothing.
ATTEMPT_LIFETIME = timedelta(minutes=10)
# A few tabs' worth per browser; an older attempt of the same browser is dropped.
ATTEMPTS_PER_BROWSER = 3
# Unfinished attempts per client address within ATTEMPT_LIFETIME. A finished attempt is deleted, so
# an office behind one address only gets here by abandoning thirty sign-ins in ten minutes, while a
# script without cookies (a new browser each time) is stopped here.
ATTEMPTS_PER_ADDRESS = 30
# Each call to the provider, and all calls of one sign-in together: then the person gets a page
# saying the provider does not answer, instead of a request that hangs.
PROVIDER_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
SIGN_IN_DEADLINE = 10.0
# Discovery is read again now and then, so a provider that moves an endpoint is followed.
DISCOVERY_TTL = 3600.0
SCOPE = "openid email profile"
ASYMMETRIC = ("RS", "PS", "ES", "Ed")
_NEEDED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


class InvalidIdToken(ValueError):
    """The ID token is not signed by the provider's key or its claims do not fit this sign-in."""


class UnknownSigningKey(InvalidIdToken):
    """The ID token names a key that is not in the JWKS we have: the provider may have rotated it."""


class ProviderUnusable(RuntimeError):
    """The provider cannot be reached, or its discovery document does not fit our settings."""


class NoAccount(Exception):
    """No active account belongs to this person at the provider (the message says why, for the log)."""


class AdministratorNotLinked(NoAccount):
    """The e-mail address is an administrator's, whose account is never linked by e-mail address."""


def verify_id_token(
    raw: str,
    *,
    keys: KeySet,
    issuer: str,
    client_id: str,
    nonce: str,
    algorithms: Collection[str] = ("RS256",),
    leeway: int = 60,
) -> dict[str, Any]:
    """The claims of a valid ID token: signature, `iss`, `aud` (and `azp`), `exp`, `iat`, `nonce`."""
    try:
        token = jwt.decode(raw, keys, algorithms=list(algorithms))
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": client_id},
            },
            params={"client_id": client_id, "nonce": nonce},
        )
        claims.validate(leeway=leeway)
    except InvalidKeyIdError as exc:
        raise UnknownSigningKey(str(exc)) from exc
    except (JoseError, ValueError) as exc:
        raise InvalidIdToken(str(exc)) from exc
    return dict(claims)


def verified_email(claims: dict[str, Any]) -> str | None:
    # Only the JSON boolean: some providers send the string "false", which is truthy.
    email = claims.get("email")
    return email if isinstance(email, str) and email and claims.get("email_verified") is True else None


T = TypeVar("T")


class Kept(Generic[T]):
    """Something read from the provider, kept for `ttl` seconds. It may be read again early (`early`),
    but at most once per `min_refresh` seconds. When reading it again fails, the old value stays in
    use (and is tried again after `min_refresh`): a provider down for a while does not stop sign-ins
    that the keys and endpoints we have still serve."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[T]],
        *,
        what: str,
        ttl: float,
        min_refresh: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self._what, self._clock = fetch, what, clock
        self._ttl, self._min_refresh = ttl, min_refresh
        self._value: T | None = None
        # None, not 0.0, for "never": the monotonic clock may start near zero after a boot.
        self._fetched_at: float | None = None
        self._early_at: float | None = None

    async def get(self, *, early: bool = False) -> T:
        now = self._clock()
        early = early and (self._early_at is None or now - self._early_at >= self._min_refresh)
        fresh = self._fetched_at is not None and now - self._fetched_at < self._ttl
        if self._value is not None and fresh and not early:
            return self._value
        if early:
            self._early_at = now
        try:
            self._value = await self._fetch()
        except ProviderUnusable as exc:
            if self._value is None:
                raise
            log.warning(
                "single sign-on keeps what it has, reading it again failed", what=self._what, error=str(exc)
            )
            # Not again at every sign-in while the provider is down.
            self._fetched_at = now - self._ttl + self._min_refresh
            return self._value
        self._fetched_at = now
        return self._value


class SigningKeys(Kept[KeySet]):
    """The provider's JWKS, kept for `ttl` seconds and fetched again early when a token names a key
    we do not have (a rotation), but such early fetches at most once per `min_refresh` seconds, so
    tokens with made-up key ids cannot make us hammer the provider."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[KeySet]],
        *,
        ttl: float = 3600.0,
        min_refresh: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(fetch, what="signing keys", ttl=ttl, min_refresh=min_refresh, clock=clock)

    async def key_set(self, *, unknown_kid: bool = False) -> KeySet:
        return await self.get(early=unknown_kid)


def signing_algorithms(metadata: dict[str, Any]) -> list[str]:
    """The provider's algorithms we accept for ID tokens; an empty list would let joserfc take its
    default list, HMAC included, so a provider offering none of ours is unusable."""
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    # Never "none", and never HMAC with the provider's public key as the secret.
    algorithms = [alg for alg in offered if isinstance(alg, str) and alg.startswith(ASYMMETRIC)]
    if not algorithms:
        raise ProviderUnusable(
            f"The provider offers no asymmetric algorithm for ID tokens (it offers {offered!r}); "
            "set it to sign ID tokens with RS256, PS256, ES256 or EdDSA."
        )
    return algorithms


class Provider:
    """The configured provider: its discovery document (checked against our settings) and its keys."""

    def __init__(
        self, http: httpx.AsyncClient, settings: Settings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._http, self._settings = http, settings
        self._discovery = Kept(self._discover, what="discovery document", ttl=DISCOVERY_TTL, clock=clock)
        self.keys = SigningKeys(self._fetch_jwks, clock=clock)

    @property
    def issuer(self) -> str:
        return self._settings.oidc_issuer or ""

    async def metadata(self) -> dict[str, Any]:
        return await self._discovery.get()

    async def _discover(self) -> dict[str, Any]:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            answer = await self._http.get(url, timeout=PROVIDER_TIMEOUT)
            answer.raise_for_status()
            found = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnusable(f"Could not read the discovery document at {url}: {exc!r}") from exc
        missing = [k for k in _NEEDED if not isinstance(found, dict) or not isinstance(found.get(k), str)]
        if missing:
            raise ProviderUnusable(f"The discovery document at {url} lacks {', '.join(missing)}.")
        # OpenID Connect Discovery 1.0 §4.3: the issuer must be exactly the one we asked.
        if found["issuer"] != self.issuer:
            raise ProviderUnusable(
                f"The discovery document at {url} names the issuer {found.get('issuer')!r}, "
                f"not {self.issuer!r}; check GATEWAY_OIDC_ISSUER."
            )
        signing_algorithms(found)
        return found

    async def _fetch_jwks(self) -> KeySet:
        url = (await self.metadata())["jwks_uri"]
        try:
            answer = await self._http.get(url, timeout=PROVIDER_TIMEOUT)
            answer.raise_for_status()
            return KeySet.import_key_set(answer.json())
        except (httpx.HTTPError, JoseError, ValueError, TypeError, KeyError) as exc:
            raise ProviderUnusable(f"Could not read the provider's keys at {url}: {exc!r}") from exc

    async def verify(self, raw: str, *, nonce: str) -> dict[str, Any]:
        algorithms = signing_algorithms(await self.metadata())

        def check(keys: KeySet) -> dict[str, Any]:
            client_id = self._settings.oidc_client_id or ""
            return verify_id_token(
                raw, keys=keys, issuer=self.issuer, client_id=client_id, nonce=nonce, algorithms=algorithms
            )

        try:
            return check(await self.keys.key_set())
        except UnknownSigningKey:
            return check(await self.keys.key_set(unknown_kid=True))

    async def claims_for(self, code: str, *, code_verifier: str, nonce: str) -> dict[str, Any]:
        """The checked claims of the ID token the provider gives for this authorization code."""
        metadata = await self.metadata()
        url = metadata["token_endpoint"]
        try:
            async with self.client(metadata) as client:
                token = await client.fetch_token(url, code=code, code_verifier=code_verifier)
        except httpx.HTTPError as exc:
            raise ProviderUnusable(f"The token endpoint {url} did not answer: {exc!r}") from exc
        except ValueError as exc:  # a 200 that is not JSON, e.g. a proxy's error page
            raise ProviderUnusable(f"The token endpoint {url} did not answer with a token: {exc}") from exc
        return await self.verify(str(token.get("id_token", "")), nonce=nonce)

    def client(self, metadata: dict[str, Any]) -> AsyncOAuth2Client:
        settings = self._settings
        # client_secret_basic is the default of OpenID Connect; some providers only take the form field.
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        return AsyncOAuth2Client(
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            token_endpoint_auth_method="client_secret_basic"
            if "client_secret_basic" in methods
            else "client_secret_post",
            scope=SCOPE,
            redirect_uri=settings.oidc_redirect_url,
            code_challenge_method="S256",
            timeout=PROVIDER_TIMEOUT,
        )


def provider_of(request: Request, settings: Settings) -> Provider:
    found: Provider | None = getattr(request.app.state, "oidc_provider", None)
    if found is None:
        found = request.app.state.oidc_provider = Provider(request.app.state.http, settings)
    return found


def browser_hash(pre_session_id: str) -> bytes:
    return hashlib.sha256(f"oidc:{pre_session_id}".encode()).digest()


async def start_attempt(
    conn: asyncpg.Connection,
    *,
    state: str,
    browser: bytes,
    code_verifier: str,
    nonce: str,
    next_path: str,
    ip: str,
) -> bool:
    """Stores a new attempt; False when the address has too many unfinished ones."""
    stored = await Q.insert_oidc_attempt.fetchval(
        conn,
        state=state,
        browser_hash=browser,
        code_verifier=code_verifier,
        nonce=nonce,
        next_path=next_path,
        client_ip=ip,
        keep_per_browser=ATTEMPTS_PER_BROWSER - 1,
        lifetime=ATTEMPT_LIFETIME,
        per_address=ATTEMPTS_PER_ADDRESS,
    )
    return stored is not None


async def delete_old_attempts(conn: asyncpg.Connection) -> str:
    """Removes attempts past their lifetime (they are refused anyway; this keeps the table small)."""
    return str(await Q.delete_old_oidc_attempts.execute(conn, lifetime=ATTEMPT_LIFETIME))


async def account_for(
    conn: asyncpg.Connection, *, subject: str, email: str | None, ip: str
) -> asyncpg.Record:
    """The active account of this subject; the first time, the account of this verified e-mail
    address, which is then linked to the subject (and the link written to the audit log)."""
    user = await Q.user_by_oidc_subject.fetchrow(conn, oidc_subject=subject)
    if user is not None:
        if not user["active"]:
            raise NoAccount("the account of this subject is deactivated")
        return user
    if not email:
        raise NoAccount("no account has this subject, and the provider gave no verified e-mail address")
    user = await Q.user_by_email.fetchrow(conn, email=email)
    if user is None:
        raise NoAccount("no account has this e-mail address")
    refusal = _refusal_to_link(user)
    if refusal is None:
        async with conn.transaction():
            # The query checks again: another sign-in may have linked the account since we read it.
            linked = await Q.link_oidc_subject.fetchrow(conn, id=user["id"], oidc_subject=subject)
            if linked is not None:
                await audit.record(
                    conn,
                    action="oidc_linked",
                    actor_id=user["id"],
                    actor_email=user["email"],
                    target=user["email"],
                    detail={"subject": subject},
                    ip=ip,
                )
                return linked
        refusal = NoAccount("the account of this e-mail address was linked by another sign-in meanwhile")
    await audit.record(
        conn,
        action="sign_in_failed",
        actor_id=user["id"],
        actor_email=user["email"],
        detail={"method": "oidc", "subject": subject, "reason": str(refusal)},
        ip=ip,
    )
    raise refusal


def _refusal_to_link(user: asyncpg.Record) -> NoAccount | None:
    if user["oidc_subject"] is not None:
        return NoAccount("the account of this e-mail address is linked to another subject")
    if not user["active"]:
        return NoAccount("the account of this e-mail address is deactivated")
    if any(role in roles.ADMINISTER for role in user["roles"]):
        return AdministratorNotLinked("an administrator's account is not linked by its e-mail address")
    return None


def _pool(request: Request) -> asyncpg.Pool:
    return request.app.state.runtime.pool


class _ErrorPage(NamedTuple):
    status_code: int
    heading: str  # message ids, translated when shown
    message: str


_REFUSED = _ErrorPage(
    403,
    N_("Inloggningen gick inte"),
    N_(
        "Vi kunde inte logga in dig med kommunens inloggning. "
        "Försök igen, eller fråga en administratör om du har ett konto i Delaktig."
    ),
)
_ADMINISTRATOR_USES_PASSWORD = _ErrorPage(
    403,
    N_("Logga in med e-post och lösenord"),
    N_(
        "Ditt konto är ett administratörskonto. Av säkerhetsskäl kopplas det inte automatiskt "
        "till kommunens inloggning. Logga in med e-post och lösenord i stället."
    ),
)
_TOO_MANY = _ErrorPage(
    429,
    N_("För många inloggningsförsök"),
    N_(
        "Många inloggningar har påbörjats från din adress utan att bli klara. "
        "Vänta tio minuter och försök igen, eller logga in med e-post och lösenord."
    ),
)
_UNAVAILABLE = _ErrorPage(
    502,
    N_("Inloggningen fungerar inte just nu"),
    N_(
        "Kommunens inloggning svarar inte som den ska. "
        "Försök igen om en stund, eller logga in med e-post och lösenord."
    ),
)


def _error_page(request: Request, page: _ErrorPage) -> Response:
    return render(
        request,
        "pages/error.html",
        status_code=page.status_code,
        heading=_(page.heading),
        message=_(page.message),
    )


def _unavailable(request: Request, exc: Exception) -> Response:
    log.error("single sign-on is unavailable", error=str(exc) or type(exc).__name__)
    return _error_page(request, _UNAVAILABLE)


@router.get("/sign-in/sso")
async def start_sign_in(request: Request, settings: SettingsDep, next: str = "/") -> Response:
    provider = provider_of(request, settings)
    try:
        async with asyncio.timeout(SIGN_IN_DEADLINE):
            metadata = await provider.metadata()
    except (ProviderUnusable, TimeoutError) as exc:
        return _unavailable(request, exc)
    # The response first, because a browser without a pre-session gets its cookie on it; the
    # provider's address is set below.
    response = RedirectResponse("/sign-in", status_code=303)
    pre_session = csrf.ensure_pre_session(request, response)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    async with _pool(request).acquire() as conn:
        started = await start_attempt(
            conn,
            state=state,
            browser=browser_hash(pre_session),
            code_verifier=verifier,
            nonce=nonce,
            next_path=safe_next(next),
            ip=client_ip(request),
        )
    if not started:
        return _error_page(request, _TOO_MANY)
    async with provider.client(metadata) as client:
        url, _state = client.create_authorization_url(
            metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
        )
    response.headers["location"] = url
    return response


@router.get("/sign-in/sso/callback")
async def finish_sign_in(
    request: Request, settings: SettingsDep, code: str = "", state: str = ""
) -> Response:
    from gateway.pages.auth import begin_session  # the page module owns the session cookie

    pre_session = csrf.pre_session_id(request)
    if not (state and code and pre_session):
        return _error_page(request, _REFUSED)
    async with _pool(request).acquire() as conn:
        attempt = await Q.take_oidc_attempt.fetchrow(
            conn,
            state=state,
            browser_hash=browser_hash(pre_session),
            lifetime=ATTEMPT_LIFETIME,
        )
    if attempt is None:
        return _error_page(request, _REFUSED)
    provider = provider_of(request, settings)
    try:
        async with asyncio.timeout(SIGN_IN_DEADLINE):
            claims = await provider.claims_for(
                code, code_verifier=attempt["code_verifier"], nonce=attempt["nonce"]
            )
    except (ProviderUnusable, TimeoutError) as exc:
        return _unavailable(request, exc)
    except (OAuthError, InvalidIdToken) as exc:
        log.warning("single sign-on refused", reason=str(exc))
        return _error_page(request, _REFUSED)
    async with _pool(request).acquire() as conn:
        try:
            user = await account_for(
                conn,
                subject=f"{provider.issuer}|{claims['sub']}",
                email=verified_email(claims),
                ip=client_ip(request),
            )
        except AdministratorNotLinked:
            return _error_page(request, _ADMINISTRATOR_USES_PASSWORD)
        except NoAccount as exc:
            log.info("single sign-on found no account", reason=str(exc))
            return _error_page(request, _REFUSED)
        return await begin_session(
            request, conn, settings, user_id=user["id"], email=user["email"], next_path=attempt["next_path"]
        )
