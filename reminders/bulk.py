"""New ledger rows in one statement, however many: the scan's cost must not grow with them.

Django's `bulk_create` writes a statement per few hundred rows (PostgreSQL and SQLite both
cap a statement's parameters) and prepares every value in Python. Here the rows travel as one
JSON document, which the database itself unpacks into rows: one parameter, one statement,
on PostgreSQL (`jsonb_to_recordset`) and on SQLite (`json_each`) alike.
"""

import datetime as dt
import json

from django.db import connection, models
from django.utils import timezone


def _converter(field, vendor):
    """How one field's Python value goes into the JSON document (None: as it is)."""
    if isinstance(field, models.DateTimeField):
        # The same moments come back row after row (the scan's now, a meeting's start):
        # each is written out once.
        written = {None: None}

        def moment(value):
            if value not in written:
                if vendor == "sqlite":  # as Django stores them there: UTC, without an offset
                    written[value] = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
                else:
                    written[value] = value.isoformat()
            return written[value]

        return moment
    if isinstance(field, models.JSONField):
        # Stored as its text on SQLite; on PostgreSQL only the default needs it (a parameter).
        return json.dumps if vendor == "sqlite" else None
    if isinstance(field, models.UUIDField):
        return lambda value: None if value is None else value.hex
    return None


def _default(field, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def insert_new(model, rows: list[dict], returning: tuple[str, ...] = ()):
    """Insert `rows` ({attribute: value}, the same attributes in each, `agreement_id` say) in
    one statement; a row that would break a unique constraint is left out, as
    `bulk_create(ignore_conflicts=True)` does. Attributes not given take their fields'
    defaults. Returns how many rows were inserted, or with `returning` (attribute names) those
    attributes of each row inserted."""
    if not rows:
        return [] if returning else 0
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):  # pragma: no cover - the two backends we run
        raise NotImplementedError(f"one-statement inserts are written for {vendor}")
    given = set(rows[0])
    fields = [f for f in model._meta.concrete_fields if f.attname in given]
    # The others take their default, the same for every row: a parameter each.
    others = [
        f for f in model._meta.concrete_fields if f.attname not in given and not f.primary_key
    ]
    now = timezone.now()
    converters = [(f.attname, _converter(f, vendor)) for f in fields]
    document = json.dumps(
        [
            [row[name] if convert is None else convert(row[name]) for name, convert in converters]
            for row in rows
        ]
    )
    defaults = []
    for field in others:
        value = _default(field, now)
        convert = _converter(field, vendor)
        if isinstance(field, models.JSONField):
            convert = json.dumps
        defaults.append(value if convert is None else convert(value))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields + others)
    table = quote(model._meta.db_table)
    if vendor == "postgresql":
        values = [
            f"value->{n}"
            if isinstance(field, models.JSONField)
            else f"(value->>{n})::{field.db_type(connection)}"
            for n, field in enumerate(fields)
        ] + [f"%s::{field.db_type(connection)}" for field in others]
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {', '.join(values)} "
            f"FROM jsonb_array_elements(%s::jsonb) ON CONFLICT DO NOTHING"
        )
    else:
        values = [f"json_extract(value, '$[{n}]')" for n in range(len(fields))]
        values += ["%s"] * len(others)
        # "WHERE true" tells SQLite's parser the ON CONFLICT clause is not part of a join.
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT {', '.join(values)} "
            f"FROM json_each(%s) WHERE true ON CONFLICT DO NOTHING"
        )
    if returning:
        meta = model._meta
        sql += " RETURNING " + ", ".join(quote(meta.get_field(name).column) for name in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, document])
        return cursor.fetchall() if returning else cursor.rowcount
