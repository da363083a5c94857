"""Errors a client can act on: RFC 9457 problem details (`application/problem+json`).

Every refusal (400, 401, 403, 404, 409, 429, …) says what happened in `title` and `detail`, its
machine-readable `code`, and for bad input each field's errors with a JSON pointer to it. A
write refused because the record changed since it was read (409) carries the current version,
and the record as it is now, so the client can show both and try again."""

from http import HTTPStatus

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.views import exception_handler as drf_exception_handler

from workinggroups.services import EditConflict

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This record was changed by someone else since you read it.")
    default_code = "edit_conflict"

    def __init__(self, detail=None, *, current_version=None, current=None):
        super().__init__(detail)
        self.current_version = current_version
        self.current = current


class VersionRequired(exceptions.ValidationError):
    default_code = "version_required"


def _field_errors(detail, pointer=""):
    """[{pointer, field, detail, code}] for every message in a DRF error structure."""
    if isinstance(detail, dict):
        found = []
        for name, value in detail.items():
            found += _field_errors(value, f"{pointer}/{name}")
        return found
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [_one_error(item, pointer) for item in detail]
        found = []
        for index, value in enumerate(detail):
            found += _field_errors(value, f"{pointer}/{index}")
        return found
    return [_one_error(detail, pointer)]


def _one_error(message, pointer):
    field = pointer.rsplit("/", 1)[-1] if pointer else ""
    return {
        "pointer": f"#{pointer}",
        "field": "" if field == "non_field_errors" else field,
        "detail": str(message),
        "code": getattr(message, "code", "invalid"),
    }


def _detail_text(detail) -> str:
    if isinstance(detail, (list, dict)):
        return str(_("The request has invalid fields: see the errors."))
    return str(detail)


def problem_exception_handler(exc, context):
    """DRF's handler, with the services' refusals understood and every answer a problem."""
    if isinstance(exc, EditConflict):
        exc = Conflict(current_version=getattr(exc.current, "version", None))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    renderer = getattr(context.get("request"), "accepted_renderer", None)
    if isinstance(renderer, TemplateHTMLRenderer):
        # A page (the API reference) answers as a page.
        return response
    phrase = HTTPStatus(response.status_code).phrase
    problem = {
        "type": "about:blank",
        "title": phrase,
        "status": response.status_code,
        "detail": "",
        "code": "error",
    }
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        problem["code"] = codes if isinstance(codes, str) else "invalid"
        problem["detail"] = _detail_text(exc.detail)
        if isinstance(exc.detail, (list, dict)):
            problem["errors"] = _field_errors(exc.detail)
    if isinstance(exc, Conflict):
        problem["current_version"] = exc.current_version
        if exc.current is not None:
            problem["current"] = exc.current
    response.data = problem
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


class FieldErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text=_("JSON pointer to the field in the request."))
    field = serializers.CharField()
    detail = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(allow_blank=True)
    code = serializers.CharField()
    errors = FieldErrorSerializer(many=True, required=False)
    current_version = serializers.JSONField(
        required=False, help_text=_("On 409: the version as it is now.")
    )
    current = serializers.JSONField(required=False, help_text=_("On 409: the record as it is now."))
