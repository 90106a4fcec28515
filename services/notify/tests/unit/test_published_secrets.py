"""Outside development, notify refuses its own development values published in the source: the
link secret, the bounce token and the webhook sealing key, given in a variable or in a key file.

The development-only marker they carry is switched off here, so what is tested is notify's own list
(`Settings.published_secrets`), which still holds when a development value loses its marker."""

from __future__ import annotations

import pytest

from notify.settings import (
    DEVELOPMENT_BOUNCE_TOKEN,
    DEVELOPMENT_LINK_SECRET,
    DEVELOPMENT_WEBHOOK_KEYS,
    Settings,
)

SEALING = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
LINK = "a production link secret of 32 characters or more"
TOKEN = "9f2c" * 12
DEVELOPMENT_KEY = DEVELOPMENT_WEBHOOK_KEYS.partition(":")[2]


@pytest.fixture(autouse=True)
def _no_marker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("backbone.settings.DEVELOPMENT_MARKER", "\x00 no value holds this \x00")


def _production(identity_keys, **over):
    return Settings(
        **{
            "environment": "production",
            "identity_public_key": str(identity_keys.public),
            "link_secret": LINK,
            "bounce_token": TOKEN,
            "webhooks_secret_keys": SEALING,
        }
        | over
    )


def test_production_with_values_of_its_own_starts(identity_keys, tmp_path):
    assert _production(identity_keys).link_key == LINK
    keys = tmp_path / "keys"
    keys.write_text(SEALING + "\n")
    assert _production(identity_keys, webhooks_secret_keys=None, webhooks_secret_keys_file=keys)


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("link_secret", DEVELOPMENT_LINK_SECRET, "NOTIFY_LINK_SECRET"),
        ("bounce_token", DEVELOPMENT_BOUNCE_TOKEN, "NOTIFY_BOUNCE_TOKEN"),
        ("webhooks_secret_keys", DEVELOPMENT_WEBHOOK_KEYS, "NOTIFY_WEBHOOKS_SECRET_KEYS"),
        ("webhooks_secret_keys", f"2027:{DEVELOPMENT_KEY}", "NOTIFY_WEBHOOKS_SECRET_KEYS"),
    ],
)
def test_production_refuses_each_published_development_value(identity_keys, setting, value, named):
    with pytest.raises(ValueError, match=f"{named} is the development default") as refused:
        _production(identity_keys, **{setting: value})
    assert value not in str(refused.value)


@pytest.mark.parametrize("text", [DEVELOPMENT_WEBHOOK_KEYS, f"{SEALING}\nold:{DEVELOPMENT_KEY}\n"])
def test_production_refuses_a_key_file_holding_the_development_key(identity_keys, tmp_path, text):
    keys = tmp_path / "keys"
    keys.write_text(text)
    with pytest.raises(ValueError, match="NOTIFY_WEBHOOKS_SECRET_KEYS_FILE is the development default"):
        _production(identity_keys, webhooks_secret_keys=None, webhooks_secret_keys_file=keys)


def test_development_reads_the_development_key_from_a_file(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(DEVELOPMENT_WEBHOOK_KEYS)
    box = Settings(environment="test", webhooks_secret_keys_file=keys).webhook_secret_box
    assert box.current_id == "dev"
