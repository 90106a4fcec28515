"""The gateway's settings: production unless told otherwise, and never with a default or short secret."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from backbone.identity import write_keypair
from gateway.settings import Settings

REAL = {"secret_key": "s" * 40, "metrics_token": "m" * 32, "behind_tls": True}


@pytest.fixture(autouse=True)
def _nothing_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "SECRET_KEY", "IDENTITY_SIGNING_KEY", "METRICS_TOKEN", "BEHIND_TLS"):
        monkeypatch.delenv(f"GATEWAY_{name}", raising=False)


@pytest.fixture
def signing_key(tmp_path: Path) -> str:
    return str(write_keypair(tmp_path).signing)


def test_without_an_environment_the_gateway_is_production_and_refuses_the_default_secret(
    signing_key: str,
) -> None:
    with pytest.raises(ValidationError, match="GATEWAY_SECRET_KEY"):
        Settings(identity_signing_key=signing_key, metrics_token="m" * 32, behind_tls=True)


def test_production_refuses_a_short_secret_or_token(signing_key: str) -> None:
    with pytest.raises(ValidationError, match="GATEWAY_SECRET_KEY"):
        Settings(**{**REAL, "secret_key": "real"}, identity_signing_key=signing_key)
    with pytest.raises(ValidationError, match="GATEWAY_METRICS_TOKEN"):
        Settings(**{**REAL, "metrics_token": "scrape"}, identity_signing_key=signing_key)


def test_production_refuses_to_start_without_the_signing_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="GATEWAY_IDENTITY_SIGNING_KEY"):
        Settings(**REAL)
    public_only = str(write_keypair(tmp_path).public)
    with pytest.raises(ValidationError, match="GATEWAY_IDENTITY_SIGNING_KEY"):
        Settings(**REAL, identity_signing_key=public_only)


def test_production_starts_with_real_secrets(signing_key: str) -> None:
    settings = Settings(**REAL, identity_signing_key=signing_key)
    assert settings.environment == "production"
    assert not settings.development
    assert settings.signing_key is not None


SSO = {
    "oidc_issuer": "https://login.kommun.example",
    "oidc_client_id": "delaktig",
    "oidc_client_secret": "c" * 32,
    "oidc_redirect_url": "https://delaktig.kommun.example/sign-in/sso/callback",
}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"oidc_issuer": "http://login.kommun.example"}, "GATEWAY_OIDC_ISSUER"),
        ({"oidc_redirect_url": "http://delaktig.kommun.example/callback"}, "GATEWAY_OIDC_REDIRECT_URL"),
        ({"oidc_client_secret": None}, "GATEWAY_OIDC_CLIENT_SECRET"),
        ({"oidc_client_secret": ""}, "GATEWAY_OIDC_CLIENT_SECRET"),
    ],
)
def test_production_refuses_single_sign_on_without_https_or_a_client_secret(
    signing_key: str, change: dict[str, object], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**REAL, identity_signing_key=signing_key, **{**SSO, **change})


def test_production_takes_single_sign_on_over_https_with_a_secret(signing_key: str) -> None:
    assert Settings(**REAL, identity_signing_key=signing_key, **SSO).oidc_enabled


def test_development_may_use_a_local_provider_over_http() -> None:
    local = {**SSO, "oidc_issuer": "http://127.0.0.1:9000", "oidc_client_secret": None}
    assert Settings(environment="development", **local).oidc_enabled
