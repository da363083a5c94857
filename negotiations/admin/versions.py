"""Records with a version column (chapters, contested points, commitments) in the
administration site: the form carries the version it showed, a save based on an older one is
refused with both versions shown and nothing written, and every write goes through the same
service as on the product's pages.

- `ShownInitialForm`: a saved row's form remembers what it showed (Django's hidden initial
  values), so that "what this person changed" is told apart from "what someone else changed
  since the page was opened";
- `VersionCheckedForm`: the hidden `version` field and the refusal of a stale save;
- `VersionCheckedAdmin`: shows a refusal raised by a service after the form was valid (a save
  that lost a race, a move the service refuses) on the form again, with nothing written.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from negotiations.admin.scoping import AgreementScopedForm
from negotiations.forms.schedule import _raw, _shown
from workinggroups.services import EditConflict

# Where the admin keeps a service's refusal between the refused attempt and the form shown again.
REFUSAL_ATTRIBUTE = "_refused_by_service"


class ShownInitialForm(AgreementScopedForm):
    """The form of a saved row posts back what it showed beside what was typed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name, field in self.fields.items():
                if name != "version":
                    field.show_hidden_initial = True

    @cached_property
    def changed_data(self):
        """What this person changed: against what the page showed where it was sent back,
        else (a client that sends no shown values) against what is saved."""
        return [name for name, bound in self._bound_items() if self._changed(bound)]

    def _changed(self, bound) -> bool:
        if bound.field.show_hidden_initial and bound.html_initial_name not in self.data:
            return bound.field.has_changed(bound.initial, bound.data)
        return bound._has_changed()


class VersionCheckedForm(ShownInitialForm):
    """Carries the version of the record it showed; refuses, writing nothing, a save made when
    the saved record is another version, saying what is saved now and what was typed, and
    shows the form again ready to apply this person's changes on top of the saved version."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A new record starts at version 1: there is nothing to be stale against.
        if self.instance.pk is not None:
            self.fields["version"].required = True
            self.initial["version"] = self.instance.version

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("version")
        if self.instance.pk is None or seen is None:
            return cleaned
        current = type(self.instance)._default_manager.filter(pk=self.instance.pk).first()
        if current is not None and current.version != seen:
            refuse_stale_version(self, current=current, seen=seen)
        return cleaned


def refuse_stale_version(form, *, current, seen: int) -> None:
    """Refuse the form's save: name both versions and each field where the saved record and
    what was sent differ; then keep this person's changes, give the fields they left alone the
    saved values, and carry the saved version, so that saving again applies theirs on top."""
    saved = model_to_dict(current, fields=[name for name in form.fields if name != "version"])
    changed = set(form.changed_data)
    data = form.data.copy()
    differ = []
    for name, field in form.fields.items():
        if name not in saved:
            continue
        bound, value = form[name], saved[name]
        if field.has_changed(value, bound.data):
            differ.append(
                gettext("%(field)s — saved now: %(saved)s; yours: %(yours)s")
                % {
                    "field": field.label,
                    "saved": _shown(field, value),
                    "yours": _shown(field, _typed(form, name)),
                }
            )
        raw = [_raw(item) for item in value] if isinstance(value, list | tuple) else _raw(value)
        if isinstance(raw, list):
            if name not in changed:
                data.setlist(bound.html_name, raw)
            data.setlist(bound.html_initial_name, raw)
            continue
        if name not in changed:
            data[bound.html_name] = raw
        data[bound.html_initial_name] = raw
    data[form.add_prefix("version")] = str(current.version)
    form.data = data
    form.add_error(
        None,
        [
            gettext(
                "Not saved: someone changed this meanwhile. Saved now: version %(saved)s; "
                "yours was based on version %(yours)s. Nothing was written."
            )
            % {"saved": current.version, "yours": seen},
            *(differ or [gettext("The saved values are the same as yours.")]),
            gettext(
                "Yours is kept below where you changed it; the rest shows what is saved now. "
                "Save again to apply yours on top of the saved version."
            ),
        ],
    )


def _typed(form, name):
    """What was sent for a field, as the field reads it (the raw text where it is invalid)."""
    if name in getattr(form, "cleaned_data", {}):
        return form.cleaned_data[name]
    return form[name].data


class _ShowsRefusal:
    """A form shown again after a service refused its save: the refusal is among its errors."""

    refusal = None

    def clean(self):
        cleaned = super().clean()
        refusal = self.refusal
        if isinstance(refusal, EditConflict):
            if not self.non_field_errors():
                self.add_error(
                    None,
                    gettext(
                        "Not saved: someone changed %(record)s meanwhile (saved now: version "
                        "%(version)s). Nothing was written; open it again to see what is saved."
                    )
                    % {"record": refusal.current, "version": refusal.current.version},
                )
        elif hasattr(refusal, "error_dict"):
            for name, errors in refusal.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        elif refusal is not None:
            self.add_error(None, refusal.messages)
        return cleaned


class VersionCheckedAdmin:
    """For an admin that writes versioned records through their services: a refusal the
    service raises once the form was valid rolls the whole save back (the admin saves in one
    transaction) and shows the same form again with the refusal among its errors."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal is None:
            return form
        return type(form.__name__, (_ShowsRefusal, form), {"refusal": refusal})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (EditConflict, ValidationError) as refusal:
            if request.method != "POST" or getattr(request, REFUSAL_ATTRIBUTE, None) is not None:
                raise
            setattr(request, REFUSAL_ATTRIBUTE, refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("version"))
    def saved_version(self, obj):
        """The version saved now (the form posts the one it showed, hidden)."""
        return obj.version if obj is not None and obj.pk else "—"
