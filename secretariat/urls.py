from django.urls import path

from secretariat.views import agreements, imports, parties, structure

app_name = "secretariat"

urlpatterns = [
    path("agreements/new/", agreements.agreement_create, name="agreement-create"),
    path("agreements/<slug:slug>/manage/", agreements.workspace, name="workspace"),
    path("agreements/<slug:slug>/settings/", agreements.agreement_settings, name="settings"),
    path("agreements/<slug:slug>/parties/", parties.parties, name="parties"),
    path("agreements/<slug:slug>/structure/", structure.structure, name="structure"),
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
