"""The tables' rows, written in Python, are the rows django-tables2's own template writes:
each row's and cell's attributes (callable ones too), escaping, localisation per column, the
empty text."""

import datetime as dt
import re

import django_tables2 as tables
import pytest
from django.test import RequestFactory
from django.test.html import parse_html
from django.utils import translation


class Sample(tables.Table):
    name = tables.Column(attrs={"td": {"data-name": lambda record: record["name"]}})
    amount = tables.Column(localize=True)
    code = tables.Column(localize=False)
    day = tables.Column()
    plain = tables.Column()
    missing = tables.Column(default="—")

    class Meta:
        row_attrs = {"data-id": lambda record: record["id"]}
        empty_text = "Nothing <here>"
        orderable = False


ROWS = [
    {
        "id": 1,
        "name": "Rules & <Origin>",
        "amount": 12345.5,
        "code": 12345,
        "day": dt.date(2026, 12, 1),
        "plain": 7,
        "missing": None,
    },
    {"id": 2, "name": "ការប្រជុំ", "amount": 3, "code": 3, "day": None, "plain": "x", "missing": "y"},
]


def tbody(table, template, request):
    table.template_name = template
    html = table.as_html(request)
    return parse_html(re.search(r"<tbody.*?</tbody>", html, re.S)[0])


@pytest.mark.parametrize("language", ["en", "km", "zh-hans"])
@pytest.mark.parametrize("rows", [ROWS, []], ids=["rows", "empty"])
def test_the_rows_are_those_of_the_libraries_template(settings, language, rows):
    settings.USE_THOUSAND_SEPARATOR = True
    request = RequestFactory().get("/")
    with translation.override(language):
        ours = tbody(Sample(rows), "django_tables2/tracker.html", request)
        theirs = tbody(Sample(rows), "django_tables2/bootstrap5.html", request)
    assert ours == theirs
    if rows:
        text = str(ours)
        assert "Rules &amp; &lt;Origin&gt;" in text
        assert 'data-id="2"' in text
        assert 'data-name="ការប្រជុំ"' in text
    else:
        assert "Nothing &lt;here&gt;" in str(ours)
