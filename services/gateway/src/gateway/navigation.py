"""Where to send people after a form: only paths on this site, never somewhere else."""

from __future__ import annotations


def safe_next(target: str | None, default: str = "/") -> str:
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target:
        return default
    return target
