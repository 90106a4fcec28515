"""The keys that seal webhook secrets: read from the setting, refused with what to do."""

import base64
import uuid

import pytest

from notify.settings import Settings
from notify.webhooks.sealing import SealingKeyProblem, parse_keys

KEY = base64.b64encode(bytes(range(32))).decode()


def test_the_first_key_seals_and_each_listed_key_opens() -> None:
    endpoint = uuid.uuid4()
    old = parse_keys(f"a:{KEY}")
    sealed = old.seal("whsec_abc", endpoint_id=endpoint)
    assert sealed.startswith("enc1:a:") and "whsec_abc" not in sealed
    both = parse_keys(f"b:{base64.b64encode(b'b' * 32).decode()}, a:{KEY}")
    assert both.current_id == "b"
    assert both.open(sealed, endpoint_id=endpoint) == "whsec_abc"
    assert not both.is_current(sealed)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "No webhook secret key"),
        (KEY, "<id>:<base64"),
        ("a:not base64!", "not valid base64"),
        (f"a:{base64.b64encode(b'short').decode()}", "needs 32"),
        (f"a:{KEY} a:{KEY}", "listed twice"),
    ],
)
def test_a_key_that_cannot_be_used_is_refused_with_what_to_do(text: str, says: str) -> None:
    with pytest.raises(SealingKeyProblem, match=says):
        parse_keys(text)


def test_production_needs_its_own_keys(tmp_path, identity_keys) -> None:
    with pytest.raises(ValueError, match="NOTIFY_WEBHOOKS_SECRET_KEYS is not set"):
        Settings(
            environment="production", link_secret="x" * 40, identity_public_key=str(identity_keys.public)
        )
    keys = tmp_path / "keys"
    keys.write_text(f"k1:{KEY}\n")
    assert Settings(environment="test", webhooks_secret_keys_file=keys).webhook_secret_box.current_id == "k1"
