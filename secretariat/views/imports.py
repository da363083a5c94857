"""Importing an agreement's parties, working groups, chapters, people, rounds and meetings from a
spreadsheet: upload, preview, confirm.

The upload is imported at once in a transaction that is rolled back: that is the preview. The
file and the preview are then kept for an hour under a random token that only this session
holds, for this agreement; confirming imports that same file for real, without a second upload.
They are kept in files of the server's temporary folder, which every worker process of one
server shares (the default cache is local to each process).
"""

import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from negotiations import permissions
from negotiations.models import Agreement
from secretariat.resources import (
    MAX_FILE_SIZE,
    RESOURCES,
    ImportReport,
    import_workbook,
    template_workbook,
)

# Uploads waiting for confirmation, in the session: {token: {agreement, at, name}}.
PENDING = "secretariat_imports"
PENDING_SECONDS = 60 * 60
STASH = Path(tempfile.gettempdir()) / "tracker-imports"
TOKEN = re.compile(r"[A-Za-z0-9_-]{40,64}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STATUS_LABELS = {
    "new": gettext_lazy("New"),
    "update": gettext_lazy("Changed"),
    "skip": gettext_lazy("Unchanged"),
    "error": gettext_lazy("Error"),
}


class ImportForm(forms.Form):
    """The file to import. (Kept beside its only view rather than in secretariat/forms.py.)"""

    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An Excel workbook (.xlsx) or a CSV file, at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,.csv,{XLSX},text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_SIZE:
            raise ValidationError(
                _("This file is %(size)s: the limit is 2 MB. Split it into smaller files.")
                % {"size": filesizeformat(upload.size)}
            )
        return upload


class ImportRowTable(tables.Table):
    """The rows of one sheet of the file: their cells, and what importing each does (or why
    it cannot be imported)."""

    number = tables.Column(verbose_name=gettext_lazy("Row"))
    status = tables.Column(verbose_name=gettext_lazy("Result"))
    effects = tables.Column(verbose_name=gettext_lazy("What it does"), empty_values=())

    class Meta:
        orderable = False
        attrs = {"class": "table compact"}
        row_attrs = {"class": lambda record: "has-error" if record["status"] == "error" else ""}
        sequence = ("number", "status", "...", "effects")

    def render_status(self, value):
        """New, changed, unchanged or error, as a badge."""
        return format_html('<span class="badge">{}</span>', STATUS_LABELS.get(value, value))

    def render_effects(self, record):
        """The row's errors first, then what importing it does."""
        errors = format_html_join(
            "", '<li class="danger">{}</li>', ((e,) for e in record["errors"])
        )
        effects = format_html_join("", "<li>{}</li>", ((e,) for e in record["effects"]))
        if not errors and not effects:
            return "—"
        return format_html('<ul class="plain">{}{}</ul>', errors, effects)


def _sheet_table(sheet) -> ImportRowTable:
    """A sheet's rows as a table, with a column for each column of the file."""
    labels = sheet.column_labels
    records = [
        {
            "number": row.number,
            "status": row.status,
            "effects": row.effects,
            "errors": row.errors,
            **{f"cell_{index}": row.values.get(key, "") for index, (key, _l) in enumerate(labels)},
        }
        for row in sheet.rows
    ]
    cells = [
        (f"cell_{index}", tables.Column(verbose_name=label, empty_values=()))
        for index, (_key, label) in enumerate(labels)
    ]
    return ImportRowTable(records, extra_columns=cells)


# --- The uploads kept between preview and confirmation ----------------------------------------


def _path(token: str, kind: str) -> Path:
    """Where an upload ("upload") or its preview ("json") is kept."""
    return STASH / f"{token}.{kind}"


def _write(path: Path, data: bytes, *, new: bool) -> None:
    """Write a kept file, readable by this server's user only."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if new else os.O_TRUNC)
    with os.fdopen(os.open(path, flags, 0o600), "wb") as file:
        file.write(data)


def _keep(data: bytes, report: ImportReport) -> str:
    """Keep an upload and its preview; the token that finds them again."""
    STASH.mkdir(mode=0o700, parents=True, exist_ok=True)
    _sweep()
    token = secrets.token_urlsafe(32)
    _write(_path(token, "upload"), data, new=True)
    _write(_path(token, "json"), json.dumps(report.as_data()).encode(), new=True)
    return token


def _sweep() -> None:
    """Delete the uploads nobody confirmed within the hour."""
    oldest = time.time() - PENDING_SECONDS
    for path in STASH.iterdir():
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except FileNotFoundError:
            pass  # another worker swept it first


def _forget(request, token: str) -> None:
    """Drop an upload: from the session, and from the disk."""
    pending = request.session.get(PENDING, {})
    pending.pop(token, None)
    request.session[PENDING] = pending
    for kind in ("upload", "json"):
        _path(token, kind).unlink(missing_ok=True)


def _remember(request, token: str, agreement, name: str) -> None:
    """Hand this session the token of its upload (forgetting its expired ones)."""
    now = time.time()
    pending = {
        key: entry
        for key, entry in request.session.get(PENDING, {}).items()
        if now - entry["at"] < PENDING_SECONDS
    }
    pending[token] = {"agreement": agreement.pk, "at": now, "name": name}
    request.session[PENDING] = pending


def _pending(request, agreement, token: str) -> dict | None:
    """This session's upload under `token` for this agreement (404 for any other token);
    None once it has expired."""
    entry = request.session.get(PENDING, {}).get(token)
    if entry is None or entry["agreement"] != agreement.pk or not TOKEN.fullmatch(token):
        raise Http404
    kept = all(_path(token, kind).exists() for kind in ("upload", "json"))
    if time.time() - entry["at"] >= PENDING_SECONDS or not kept:
        _forget(request, token)
        return None
    return entry


# --- Views -------------------------------------------------------------------------------------


def _agreement_or_403(request, slug) -> Agreement:
    """The agreement of the URL, if this person may manage it."""
    agreement = get_object_or_404(Agreement, slug=slug)
    if not permissions.can_manage_agreement(request.user, agreement.pk):
        raise PermissionDenied
    return agreement


def _sheet_guide() -> list[dict]:
    """The sheets and columns a file may hold, for the upload page."""
    return [
        {
            "title": resource.sheet_title,
            "help": resource.help_text,
            "columns": [
                {"key": c.key, "label": c.label, "required": c.required} for c in resource.columns()
            ],
        }
        for resource in RESOURCES
    ]


@require_http_methods(["GET", "POST"])
def import_start(request, slug):
    """Upload a spreadsheet: it is imported for a preview, and kept for the confirmation."""
    agreement = _agreement_or_403(request, slug)
    form = ImportForm()
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            try:
                report = import_workbook(
                    agreement=agreement, by=request.user, uploaded_file=data, dry_run=True
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                token = _keep(data, report)
                _remember(request, token, agreement, upload.name)
                return redirect("secretariat:import-confirm", slug=agreement.slug, token=token)
    return render(
        request,
        "secretariat/import.html",
        {"agreement": agreement, "form": form, "sheets": _sheet_guide()},
        status=400 if form.is_bound else 200,
    )


@require_http_methods(["GET", "POST"])
def import_confirm(request, slug, token):
    """Show the preview of an upload (GET), or import it for real, all or nothing (POST)."""
    agreement = _agreement_or_403(request, slug)
    entry = _pending(request, agreement, token)
    if entry is None:
        messages.warning(request, _("That preview has expired: upload the file again."))
        return redirect("secretariat:import", slug=agreement.slug)
    report = ImportReport.from_data(json.loads(_path(token, "json").read_bytes()))
    status = 200
    if request.method == "POST":
        if not report.has_errors:
            report = import_workbook(
                agreement=agreement,
                by=request.user,
                uploaded_file=_path(token, "upload").read_bytes(),
                dry_run=False,
            )
        if not report.has_errors:
            _forget(request, token)
            messages.success(
                request,
                _(
                    "%(file)s imported. Added: %(new)s; changed: %(changed)s; "
                    "unchanged: %(unchanged)s."
                )
                % {
                    "file": entry["name"],
                    "new": report.count("new"),
                    "changed": report.count("update"),
                    "unchanged": report.count("skip"),
                },
            )
            return redirect(agreement)
        # The agreement changed since the preview: nothing was written; the preview now
        # says what stands in the way.
        _write(_path(token, "json"), json.dumps(report.as_data()).encode(), new=False)
        messages.error(request, _("Nothing was imported: correct the problems listed below."))
        status = 400
    sheets = [
        {
            "sheet": sheet,
            "table": _sheet_table(sheet),
            "new": sheet.count("new"),
            "changed": sheet.count("update"),
            "unchanged": sheet.count("skip"),
            "errors": sheet.count("error") + len(sheet.errors),
        }
        for sheet in report.sheets
    ]
    return render(
        request,
        "secretariat/import_preview.html",
        {
            "agreement": agreement,
            "report": report,
            "sheets": sheets,
            "token": token,
            "file_name": entry["name"],
            "totals": {
                "new": report.count("new"),
                "changed": report.count("update"),
                "unchanged": report.count("skip"),
            },
        },
        status=status,
    )


@require_GET
def import_template(request, slug):
    """An empty workbook with the six sheets and their headers, to fill in and upload."""
    _agreement_or_403(request, slug)
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="import-template.xlsx"'
    return response
