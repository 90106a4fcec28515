"""What every request body of the volunteers API shares: unknown fields refused, text that can be
stored and shown, keys that read well in links."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

# Control characters: PostgreSQL cannot store NUL, and a bare CR or LF in a one-line field breaks
# the lines of mail headers and CSV reports.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(
            "Texten innehåller tecken som inte går att spara (osynliga styrtecken). "
            "Skriv in texten igen i stället för att klistra in den"
        )
    return value


def _one_line(value: str) -> str:
    _printable(value)
    if _LINE_BREAK.search(value):
        raise ValueError("Texten ska stå på en enda rad. Ta bort radbrytningarna")
    return value


OneLine = AfterValidator(_one_line)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), OneLine]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5_000), AfterValidator(_printable)
]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
# A language as in BCP 47's short form: "sv", "en", "ar", "so", "fa-AF".
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=5, max_length=40, pattern=r"^[0-9+() -]+$")
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
