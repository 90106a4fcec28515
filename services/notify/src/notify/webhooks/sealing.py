"""Webhook secrets sealed at rest: AES-GCM under a key named by its id, so the keys can rotate.

HMAC signing needs each `whsec_` secret as it is, so it cannot be hashed; a copy of the database (a
backup, a dump for a bug report) must still not let anyone sign as us. Each secret is stored as
`enc1:<key id>:<base64 of nonce and ciphertext>`, bound to its endpoint (the associated data), so a
sealed secret copied onto another endpoint does not open. The first key of the settings seals; every
key listed opens, and `reseal_stored_secrets` moves rows sealed under an older key (or still in plain
text, from before migration 0013) to the current one.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from prometheus_client import Counter, Gauge

from backbone.logs import get_logger
from notify.webhooks.store import q

log = get_logger(__name__)

SCHEME = "enc1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

# Loud where operators look: a secret that does not open stops that endpoint's deliveries.
SECRETS_UNOPENED = Counter(
    "webhook_secrets_unopened", "Webhook secrets that did not open with the configured keys"
)
SECRETS_UNDER_OLD_KEYS = Gauge(
    "webhook_secrets_under_old_keys",
    "Webhook endpoints whose secrets are, after the last reseal, not sealed under the current key",
)


class SealingKeyProblem(ValueError):
    """The configured keys cannot be read, or a stored secret names a key that is not configured.

    `key_id` names the key a stored secret was sealed with, when the problem is with one secret.
    """

    def __init__(self, message: str, *, key_id: str | None = None) -> None:
        super().__init__(message)
        self.key_id = key_id


@dataclass(frozen=True)
class SecretBox:
    """Seals with the first key, opens with any: `keys` in the order of the setting."""

    keys: tuple[tuple[str, bytes], ...]

    @property
    def current_id(self) -> str:
        return self.keys[0][0]

    def seal(self, secret: str, *, endpoint_id: uuid.UUID) -> str:
        key_id, key = self.keys[0]
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, secret.encode(), _bound_to(endpoint_id))
        return f"{SCHEME}:{key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, stored: str, *, endpoint_id: uuid.UUID) -> str:
        if not is_sealed(stored):
            return stored  # from before migration 0013, until reseal_stored_secrets has run
        # "enc1:<key id>:<body>"; a row cut short has no body, and then opens with no key.
        key_id, _, body = stored.removeprefix(f"{SCHEME}:").partition(":")
        key = dict(self.keys).get(key_id)
        if key is None:
            raise SealingKeyProblem(
                f"A webhook secret is sealed with key {key_id!r}, which NOTIFY_WEBHOOKS_SECRET_KEYS does "
                "not list. Add that key again (after the current one) until every secret is resealed.",
                key_id=key_id,
            )
        try:
            raw = base64.b64decode(body, validate=True)
            opened = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(endpoint_id))
            return opened.decode()
        except (InvalidTag, binascii.Error, ValueError):
            # ValueError: too short to hold a nonce and a tag, or not UTF-8 inside.
            raise SealingKeyProblem(
                f"The webhook secret of endpoint {endpoint_id} does not open with key {key_id!r}: the key "
                "has changed under the same id, or the row was altered. Restore the key that sealed it.",
                key_id=key_id,
            ) from None

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{SCHEME}:{self.current_id}:")


def is_sealed(stored: str) -> bool:
    return stored.startswith(f"{SCHEME}:")


def _bound_to(endpoint_id: uuid.UUID) -> bytes:
    return f"webhook-secret:{endpoint_id}".encode()


def parse_keys(text: str) -> SecretBox:
    """`id:base64key` entries separated by spaces, commas or new lines; the first one seals."""
    keys: list[tuple[str, bytes]] = []
    for entry in re.split(r"[\s,]+", text.strip()):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise SealingKeyProblem(
                "Write each webhook secret key as <id>:<base64 of 32 random bytes>, for example "
                "2026a:$(openssl rand -base64 32); the id is letters, digits, - or _."
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise SealingKeyProblem(f"Webhook secret key {key_id!r} is not valid base64.") from None
        if len(key) != KEY_BYTES:
            raise SealingKeyProblem(
                f"Webhook secret key {key_id!r} has {len(key)} bytes; it needs {KEY_BYTES} "
                "(`openssl rand -base64 32`)."
            )
        if any(key_id == seen for seen, _ in keys):
            raise SealingKeyProblem(f"Webhook secret key id {key_id!r} is listed twice; give each its own.")
        keys.append((key_id, key))
    if not keys:
        raise SealingKeyProblem("No webhook secret key is given.")
    return SecretBox(tuple(keys))


@dataclass(frozen=True)
class ResealReport:
    """What a reseal run did: rows moved to the current key, and rows still under another key."""

    moved: int
    remaining: int


async def reseal_stored_secrets(
    pool: asyncpg.Pool, box: SecretBox, *, batch: int = 200, now: datetime | None = None
) -> ResealReport:
    """Seal every secret still in plain text, or sealed under another key than the current one.

    Each row in a transaction of its own, locked, so a rotation at the same moment is not undone. A
    row that does not open is logged and passed over (in id order, so once per run), never the end of
    the run; a previous secret whose overlap is over is dropped, not opened: it no longer signs.
    """
    now = now or datetime.now(UTC)
    prefix = f"{SCHEME}:{box.current_id}:"
    moved = 0
    after: uuid.UUID | None = None
    async with pool.acquire() as conn:
        while ids := await q.endpoints_not_sealed_with.fetch(conn, prefix=prefix, after=after, limit=batch):
            for row in ids:
                after = row["id"]
                async with conn.transaction():
                    current = await q.lock_endpoint_secrets.fetchrow(conn, id=row["id"])
                    if current is None:
                        continue
                    if await _reseal_row(conn, box, current, now):
                        moved += 1
        remaining = int(await q.count_not_sealed_with.fetchval(conn, prefix=prefix))
    SECRETS_UNDER_OLD_KEYS.set(remaining)
    if moved:
        log.info("webhook secrets sealed under the current key", endpoints=moved, key=box.current_id)
    if remaining:
        log.error(
            "webhook secrets still sealed under an old key: keep that key listed after the current one "
            "in NOTIFY_WEBHOOKS_SECRET_KEYS, or have the organisations rotate these endpoints' secrets",
            endpoints=remaining,
            key=box.current_id,
        )
    return ResealReport(moved=moved, remaining=remaining)


async def _reseal_row(
    conn: asyncpg.Connection, box: SecretBox, current: asyncpg.Record, now: datetime
) -> bool:
    """Reseal what opens of one locked row; what does not open stays as stored. Whether it changed."""
    endpoint_id: uuid.UUID = current["id"]
    secret = _resealed_or_kept(box, current["secret"], endpoint_id)
    previous: str | None = current["previous_secret"]
    until: datetime | None = current["previous_secret_until"]
    if previous is not None and (until is None or until <= now):
        previous = None  # the overlap is over: signing_secrets no longer uses it
    elif previous is not None:
        previous = _resealed_or_kept(box, previous, endpoint_id)
    if (secret, previous) == (current["secret"], current["previous_secret"]):
        return False
    await q.store_sealed_secrets.execute(conn, id=endpoint_id, secret=secret, previous_secret=previous)
    return True


def _resealed_or_kept(box: SecretBox, stored: str, endpoint_id: uuid.UUID) -> str:
    if box.is_current(stored):
        return stored
    try:
        return box.seal(box.open(stored, endpoint_id=endpoint_id), endpoint_id=endpoint_id)
    except SealingKeyProblem as problem:
        SECRETS_UNOPENED.inc()
        log.error(
            "webhook secret cannot be resealed",
            endpoint_id=str(endpoint_id),
            key=problem.key_id,
            problem=str(problem),
        )
        return stored
