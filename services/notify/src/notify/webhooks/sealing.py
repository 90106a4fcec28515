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

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backbone.logs import get_logger
from notify.webhooks.store import q

log = get_logger(__name__)

SCHEME = "enc1"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class SealingKeyProblem(ValueError):
    """The configured keys cannot be read, or a stored secret names a key that is not configured."""


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
        _, key_id, body = stored.split(":", 2)
        key = dict(self.keys).get(key_id)
        if key is None:
            raise SealingKeyProblem(
                f"A webhook secret is sealed with key {key_id!r}, which NOTIFY_WEBHOOKS_SECRET_KEYS does "
                "not list. Add that key again (after the current one) until every secret is resealed."
            )
        raw = base64.b64decode(body)
        try:
            opened = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound_to(endpoint_id))
            return opened.decode()
        except InvalidTag:
            raise SealingKeyProblem(
                f"The webhook secret of endpoint {endpoint_id} does not open with key {key_id!r}: the key "
                "has changed under the same id, or the row was altered. Restore the key that sealed it."
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


async def reseal_stored_secrets(pool: asyncpg.Pool, box: SecretBox, *, batch: int = 200) -> int:
    """Seal every secret still in plain text, or sealed under another key than the current one; how many.

    Each row in a transaction of its own, locked, so a rotation at the same moment is not undone.
    """
    moved = 0
    async with pool.acquire() as conn:
        ids = await q.endpoints_not_sealed_with.fetch(
            conn, prefix=f"{SCHEME}:{box.current_id}:", limit=batch
        )
        for row in ids:
            async with conn.transaction():
                current = await q.lock_endpoint_secrets.fetchrow(conn, id=row["id"])
                if current is None:
                    continue
                endpoint_id = current["id"]
                secret = current["secret"]
                previous = current["previous_secret"]
                await q.store_sealed_secrets.execute(
                    conn,
                    id=endpoint_id,
                    secret=_resealed(box, secret, endpoint_id),
                    previous_secret=_resealed(box, previous, endpoint_id) if previous else None,
                )
                moved += 1
    if moved:
        log.info("webhook secrets sealed under the current key", endpoints=moved, key=box.current_id)
    return moved


def _resealed(box: SecretBox, stored: str, endpoint_id: uuid.UUID) -> str:
    if box.is_current(stored):
        return stored
    return box.seal(box.open(stored, endpoint_id=endpoint_id), endpoint_id=endpoint_id)
