"""The bounce pipe's own credential: NOTIFY_BOUNCE_TOKEN, a long random secret set outside development."""

import pytest

from notify.settings import DEVELOPMENT_BOUNCE_TOKEN, Settings

SEALING = "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
LINK = "a production link secret of 32 characters or more"


def _production(identity_keys, **over):
    return Settings(
        **{
            "environment": "production",
            "identity_public_key": str(identity_keys.public),
            "link_secret": LINK,
            "webhooks_secret_keys": SEALING,
        }
        | over
    )


@pytest.mark.parametrize(
    ("token", "refused"),
    [
        (None, "NOTIFY_BOUNCE_TOKEN is not set"),
        ("", "NOTIFY_BOUNCE_TOKEN is not set"),
        ("short-token", "NOTIFY_BOUNCE_TOKEN is too short"),
        (DEVELOPMENT_BOUNCE_TOKEN, "NOTIFY_BOUNCE_TOKEN is the development default"),
    ],
)
def test_production_refuses_a_missing_short_or_default_bounce_token(identity_keys, token, refused):
    with pytest.raises(ValueError, match=refused):
        _production(identity_keys, bounce_token=token)


def test_production_takes_a_long_random_bounce_token_and_development_has_its_own(identity_keys):
    token = "9f2c" * 12
    assert _production(identity_keys, bounce_token=token).bounce_key == token
    assert Settings(environment="test").bounce_key == DEVELOPMENT_BOUNCE_TOKEN
