"""A complete .env for a test stack: fresh secrets and an Ed25519 identity keypair, never committed."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PASSWORDS = (
    "POSTGRES_PASSWORD",
    "MEETINGS_DB_PASSWORD",
    "EVENTS_DB_PASSWORD",
    "VOLUNTEERS_DB_PASSWORD",
    "NOTIFY_DB_PASSWORD",
    "GATEWAY_DB_PASSWORD",
    "MEETINGS_NATS_PASSWORD",
    "EVENTS_NATS_PASSWORD",
    "VOLUNTEERS_NATS_PASSWORD",
    "NOTIFY_NATS_PASSWORD",
    "GATEWAY_NATS_PASSWORD",
    "OPS_NATS_PASSWORD",
    "NATS_ROUTE_PASSWORD",
    "GATEWAY_SECRET_KEY",
    "GATEWAY_METRICS_TOKEN",
    "NOTIFY_LINK_SECRET",
    "EVENTS_LINK_SECRET",
    "VOLUNTEERS_LINK_SECRET",
    "NOTIFY_BOUNCE_TOKEN",
)


def _quoted(pem: bytes) -> str:
    return '"' + pem.decode().strip() + '"'


def values(*, images: dict[str, str], publish: str, project: str) -> dict[str, str]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    env = {name: secrets.token_hex(24) for name in PASSWORDS}
    env.update(
        COMPOSE_PROJECT_NAME=project,
        GATEWAY_IDENTITY_SIGNING_KEY=_quoted(private),
        IDENTITY_PUBLIC_KEY=_quoted(public),
        NOTIFY_PUBLIC_URL=f"http://{publish}",
        GATEWAY_PUBLISH=publish,
        # Production settings: the smoke test plays the TLS proxy (X-Forwarded-Proto is not needed).
        GATEWAY_BEHIND_TLS="true",
        # The mail catcher the smoke test reads, as deploy/env.example brings it to try the stack out.
        COMPOSE_PROFILES="dev",
        NOTIFY_SMTP_ALLOW_PLAIN="true",
        NOTIFY_WEBHOOKS_SECRET_KEYS="1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        **images,
    )
    return env


def write(path: Path, env: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    path.chmod(0o600)
    return path
