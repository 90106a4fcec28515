"""How a dead letter's payload is shown to people: never an error, whatever the bytes are."""

import pytest

from backbone.deadletter_admin import PAYLOAD_SHOWN_BYTES, payload_text


@pytest.mark.parametrize("data", [b"[" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000, b"\xff\xfe"])
def test_a_payload_that_cannot_be_indented_is_shown_as_text(data):
    shown = data[:PAYLOAD_SHOWN_BYTES].decode("utf-8", errors="backslashreplace")
    assert payload_text(data).startswith(shown)


def test_json_is_indented():
    assert payload_text(b'{"a": 1}') == '{\n  "a": 1\n}'
