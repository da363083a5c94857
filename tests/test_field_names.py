"""Every field of the tracker's own models is named in the reader's language: the
administration's column headers and filters, the forms and the API's schema take its name."""

import pytest
from django.apps import apps
from django.utils import translation
from django.utils.functional import Promise

from workinggroups.models import Chapter

OWN_APPS = ("negotiations", "workinggroups", "reminders", "audit", "meetings", "secretariat")


def test_every_field_of_our_models_has_a_translated_name():
    untranslated = [
        f"{model._meta.label}.{field.name}"
        for label in OWN_APPS
        if apps.is_installed(label)
        for model in apps.get_app_config(label).get_models()
        for field in model._meta.get_fields()
        if not field.auto_created
        and field.name != "id"
        and not isinstance(field.verbose_name, Promise)
    ]
    assert untranslated == []


@pytest.mark.parametrize(
    ("language", "name"), [("en", "working group"), ("km", "ក្រុមការងារ"), ("zh-hans", "工作组")]
)
def test_a_chapters_working_group_is_named_in_the_readers_language(language, name):
    with translation.override(language):
        assert str(Chapter._meta.get_field("working_group").verbose_name) == name
