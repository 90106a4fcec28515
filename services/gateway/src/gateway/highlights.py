"""Search snippets with their hits marked: only <mark> survives, everything else is shown as text."""

from __future__ import annotations

import html
import re

from markupsafe import Markup, escape

_MARK = re.compile(r"(</?mark>)")


def safe_snippet(snippet_html: str) -> Markup:
    """Re-escapes the service's snippet so that no tag but <mark> can reach the page."""
    parts = []
    for part in _MARK.split(snippet_html):
        if part in ("<mark>", "</mark>"):
            parts.append(part)
        else:
            parts.append(str(escape(html.unescape(part))))
    opened = sum(1 for p in parts if p == "<mark>") - sum(1 for p in parts if p == "</mark>")
    return Markup("".join(parts) + "</mark>" * max(opened, 0))
