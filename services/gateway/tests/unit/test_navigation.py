"""Where the gateway sends a browser after sign-in: only to paths on this site."""

from __future__ import annotations

import pytest

from gateway.navigation import safe_next


@pytest.mark.parametrize("path", ["/", "/account", "/meetings?from=2026-01-01", "/search?q=m%C3%B6te#top"])
def test_paths_on_this_site_are_followed(path: str) -> None:
    assert safe_next(path) == path


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        # Browsers drop tabs and newlines from addresses, and some treat other controls the same way:
        # each of these becomes //evil.example on the way out.
        "/\t/evil.example",
        "/\r//evil.example",
        "/\n/evil.example",
        "/\x00/evil.example",
        "/\x0b/evil.example",
        "/ /evil.example",
        "/\u00a0/evil.example",
        "/\u200b/evil.example",
        "/account\n",
        "javascript:alert(1)",
        "",
        None,
    ],
)
def test_anything_that_could_leave_the_site_goes_to_the_start_page(target: str | None) -> None:
    assert safe_next(target) == "/"
