"""Validators shared by the models of every app."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Control characters (line breaks, tabs, escapes) and the Unicode line and paragraph
# separators: none belongs in a title, a name or a place, and in an email subject they split
# the header.
_BREAKING_CATEGORIES = {"Cc", "Zl", "Zp"}


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(c) in _BREAKING_CATEGORIES for c in value or "")


def one_line(value: str) -> str:
    """The value with every control character or line break turned into a single space."""
    cleaned = "".join(
        " " if unicodedata.category(c) in _BREAKING_CATEGORIES else c for c in value or ""
    )
    return " ".join(cleaned.split()) if cleaned != value else value


def validate_single_line(value: str) -> None:
    """A title, name or place: one line, no control characters."""
    if has_control_characters(value):
        raise ValidationError(
            _("Write this on one line, without line breaks, tabs or control characters."),
            code="single_line",
        )
