"""Links of long lists, built from one reversed pattern per list rather than a reverse() per
row: a dashboard links every chapter, point, commitment, meeting and round it lists."""

import functools

from django.urls import reverse

# Argument values no real one is (keys and round numbers stay far below): placed in the
# reversed URL, then replaced by each row's own value.
NUMBER = 987654321
SLUG = "0placeholder0"


def url_pattern(name: str, varying: str, placeholder=NUMBER, **fixed):
    """A function of one value: the URL `name` reverses to with that value as its argument
    `varying` (and the `fixed` ones). Reversed once; each call is a string format."""
    pattern = reverse(name, kwargs={**fixed, varying: placeholder})
    head, _sep, tail = pattern.rpartition(str(placeholder))
    return lambda value: f"{head}{value}{tail}"


def give_urls(rows, name: str, *, varying="pk", attribute="pk", **fixed):
    """Give each row (a model instance, as the page lists it) a `get_absolute_url` built from
    one pattern: the same URL its model's method gives, which templates call as before."""
    url = url_pattern(name, varying, **fixed)
    for row in rows:
        if row is not None:
            row.get_absolute_url = functools.partial(url, getattr(row, attribute))
    return rows
