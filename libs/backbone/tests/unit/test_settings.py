"""Settings are production unless told otherwise, and production refuses to start without real keys."""

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from backbone.identity import write_keypair
from backbone.settings import ServiceSettings


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
