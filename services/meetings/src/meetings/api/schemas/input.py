"""What every request body of the meetings API shares: unknown fields refused, time zones checked."""

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Domain = TypeVar("Domain", bound="DataclassInstance")


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def _into(self, domain: type[Domain], **given: Any) -> Domain:
        """The use case's frozen dataclass `domain`, from this body's fields of the same names;
        `given` supplies (or replaces) what the body does not say as the dataclass wants it."""
        names = {f.name for f in dataclasses.fields(domain)} - set(given)
        return domain(
            **{name: getattr(self, name) for name in names if name in type(self).model_fields}, **given
        )


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"'{value}' is not a time zone we know; give an IANA name (Region/City), "
            "or leave it out for the service's own"
        ) from None
    return value


TimeZone = Annotated[str, AfterValidator(_known_zone)]
