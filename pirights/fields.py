"""Marshmallow fields shared by the schemas of every package."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate


class Text(fields.String):
    """A string that can be stored and shown: valid Unicode without NUL or lone surrogates."""

    def __init__(self, *, max_length: int, min_length: int = 1, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Length(min=min_length, max=max_length))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        """Refuse text a database or a page would choke on, then trim outer spaces."""
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("must not contain NUL characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("must be valid Unicode text") from None
        return text.strip()


def one_of(choices: tuple[str, ...], **kwargs: Any) -> fields.String:
    """A string restricted to `choices`, listed in the error and in the OpenAPI enum."""
    return fields.String(
        validate=validate.OneOf(choices, error="must be one of: {choices}"), **kwargs
    )
