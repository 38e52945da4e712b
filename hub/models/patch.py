"""The base of every partial update (PATCH body): left out keeps a value, null only clears.

A field is typed as its column is: `active: bool = Field(default=None)` may be left out
but never sent as null (the column is NOT NULL), while `member_price_cents: int | None`
may be null to clear it. Sending null for the first kind used to reach the database and
fail there with a 500; here it is a 422 that says what to do instead, and the OpenAPI
document shows which fields accept null. tests/hub/test_api_patch_nulls.py checks every
update model against its table.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel


def accepts_null(field: FieldInfo) -> bool:
    """Whether the field's type admits None (``X | None``)."""
    annotation = field.annotation
    if annotation is None or annotation is type(None):
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return type(None) in get_args(annotation)
    return False


def _drop_null_defaults(schema: dict[str, Any], cls: type[Any]) -> None:
    # `default: null` on a field that refuses null would tell clients null is fine.
    fields = getattr(cls, "model_fields", {})
    for name, prop in schema.get("properties", {}).items():
        field = fields.get(name)
        if field is not None and not accepts_null(field) and prop.get("default", 0) is None:
            del prop["default"]


class PatchModel(SQLModel):
    """Partial update: every field optional; null refused where the column is NOT NULL."""

    model_config = {"json_schema_extra": _drop_null_defaults}

    @model_validator(mode="before")
    @classmethod
    def _null_only_where_allowed(cls, data: Any) -> Any:
        if isinstance(data, dict):
            refused = sorted(
                name
                for name, value in data.items()
                if value is None
                and name in cls.model_fields
                and not accepts_null(cls.model_fields[name])
            )
            if refused:
                raise PydanticCustomError(
                    "null_not_allowed",
                    "{fields} may not be null: leave a field out to keep its current value",
                    {"fields": ", ".join(refused)},
                )
        return data
