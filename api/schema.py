"""How the OpenAPI description tells of tokens and of the problems every operation may answer."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from api.problems import PROBLEM_CONTENT_TYPE, ProblemSerializer

PROBLEM_CODES = {
    "GET": ("400", "401", "403", "404", "429"),
    "write": ("400", "401", "403", "404", "409", "429"),
}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on your profile's API tokens page.",
        }


class ApiSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class ProblemAutoSchema(AutoSchema):
    """Every operation documents the problem details it may answer with."""

    def get_tags(self):
        """Grouped by resource: a chapter's list under its agreement is with the chapters."""
        parts = [part for part in self.path.split("/") if part and not part.startswith("{")]
        resources = parts[2:] or parts
        if resources[0] == "agreements" and len(resources) > 1:
            return [resources[1]]
        return [resources[0]]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = PROBLEM_CODES["GET" if self.method == "GET" else "write"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM_CONTENT_TYPE]
                )
        return responses
