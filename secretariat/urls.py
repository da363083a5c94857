from django.urls import path

from secretariat.views import imports, setup

app_name = "secretariat"

urlpatterns = [
    path("agreements/new/", setup.agreement_create, name="agreement-create"),
    path("agreements/<slug:slug>/manage/", setup.workspace, name="workspace"),
    path("agreements/<slug:slug>/settings/", setup.agreement_settings, name="settings"),
    path("agreements/<slug:slug>/parties/", setup.parties, name="parties"),
    path("agreements/<slug:slug>/structure/", setup.structure, name="structure"),
    path("agreements/<slug:slug>/import/", imports.import_start, name="import"),
    path(
        "agreements/<slug:slug>/import/<str:token>/",
        imports.import_confirm,
        name="import-confirm",
    ),
    path(
        "agreements/<slug:slug>/import-template.xlsx",
        imports.import_template,
        name="import-template",
    ),
]
