"""Settings are production unless told otherwise, and production refuses to start without real keys."""

import base64
import secrets
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr, ValidationError

from backbone.identity import write_keypair
from backbone.settings import ServiceSettings, refuse_published_secret


@pytest.fixture(autouse=True)
def _nothing_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SERVICE_ENVIRONMENT", "SERVICE_IDENTITY_PUBLIC_KEY", "SERVICE_GATEWAY_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_settings_without_an_environment_are_production_and_refuse_to_start_without_a_key() -> None:
    with pytest.raises(ValidationError, match="SERVICE_IDENTITY_PUBLIC_KEY"):
        ServiceSettings()


def test_production_refuses_the_old_development_key_and_a_private_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SERVICE_IDENTITY_PUBLIC_KEY"):
        ServiceSettings(identity_public_key="development-only-signing-key-change-me")
    files = write_keypair(tmp_path)
    with pytest.raises(ValidationError, match="private key"):
        ServiceSettings(identity_public_key=str(files.signing))


def test_production_starts_with_the_gateways_public_key(tmp_path: Path) -> None:
    files = write_keypair(tmp_path)
    settings = ServiceSettings(identity_public_key=str(files.public))
    assert settings.environment == "production"
    assert settings.verifying_key is not None


def test_development_is_only_what_is_said(tmp_path: Path) -> None:
    assert ServiceSettings(environment="development").verifying_key is None
    assert ServiceSettings(environment="test").verifying_key is None


def test_a_relay_batch_never_exceeds_what_nats_lets_be_pending() -> None:
    """nats-py stalls publish_async at 4,000 pending acks; a batch above that could block for good."""
    assert ServiceSettings(environment="test", relay_batch_size=1000).relay_batch_size == 1000
    with pytest.raises(ValidationError, match="relay_batch_size"):
        ServiceSettings(environment="test", relay_batch_size=5000)


def test_the_time_zone_is_one_setting_and_an_unknown_zone_stops_the_start() -> None:
    assert ServiceSettings(environment="test").zone == ZoneInfo("Europe/Stockholm")
    assert ServiceSettings(environment="test", timezone="Europe/Helsinki").zone == ZoneInfo("Europe/Helsinki")
    with pytest.raises(ValidationError, match="not a time zone"):
        ServiceSettings(environment="test", timezone="Mars/Olympus_Mons")


class _WithSecrets(ServiceSettings):
    """A service with secrets of its own, one of them with a development value in its source."""

    published_secrets: ClassVar[tuple[str, ...]] = ("a-published-default-that-has-no-marker-0123456789",)
    link_secret: SecretStr | None = None
    sealing_keys: SecretStr | None = None


def _production(tmp_path: Path, **secrets: str) -> _WithSecrets:
    files = write_keypair(tmp_path)
    return _WithSecrets(identity_public_key=str(files.public), **secrets)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        "a-published-default-that-has-no-marker-0123456789",  # the service's own published value
        "development-only-volunteer-link-secret-not-for-production",  # any development-only value
        "  development-only-link-secret-not-for-production\n",
    ],
)
def test_production_refuses_a_secret_published_as_a_development_value(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValidationError, match="SERVICE_LINK_SECRET") as refused:
        _production(tmp_path, link_secret=value)
    assert value.strip() not in str(refused.value), "the message repeats the secret"


def test_production_refuses_a_published_key_in_a_list_of_keys(tmp_path: Path) -> None:
    """`id:base64` keys: the development key is refused under any id and beside other keys."""
    dev = base64.b64encode(b"development-only-webhook-key-32b").decode()
    for keys in (
        f"dev:{dev}",
        f"1:{base64.b64encode(secrets.token_bytes(32)).decode()},dev:{dev}",
        f"2026a:{dev}",
    ):
        with pytest.raises(ValidationError, match="SERVICE_SEALING_KEYS"):
            _production(tmp_path, sealing_keys=keys)


def test_production_takes_secrets_of_its_own_and_development_takes_the_published_ones(tmp_path: Path) -> None:
    own = secrets.token_hex(32)
    key = f"1:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    settings = _production(tmp_path, link_secret=own, sealing_keys=key)
    assert settings.link_secret is not None and settings.link_secret.get_secret_value() == own
    for environment in ("development", "test"):
        dev = _WithSecrets(
            environment=environment,  # type: ignore[arg-type]
            link_secret=SecretStr("development-only-link-secret-not-for-production"),
            sealing_keys=SecretStr("a-published-default-that-has-no-marker-0123456789"),
        )
        assert dev.link_secret is not None


def test_a_secret_read_elsewhere_is_checked_by_the_same_rule() -> None:
    """A secret from a file (not a field) goes through `refuse_published_secret` too."""
    dev = base64.b64encode(b"development-only-webhook-key-32b").decode()
    with pytest.raises(ValueError, match="SERVICE_KEYS_FILE"):
        refuse_published_secret(f"dev:{dev}\n", setting="SERVICE_KEYS_FILE", published=())
    refuse_published_secret(secrets.token_hex(32), setting="SERVICE_KEYS_FILE", published=("x" * 40,))
