"""The warnings a parse collects for the person who reviews it."""

from __future__ import annotations


class Notes:
    """Warnings in the order found, each once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        if message not in self.items:
            self.items.append(message)
