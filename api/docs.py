"""The API's browsable documentation (/api/docs/)."""

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView, SpectacularSwaggerSplitView


class Schema(SpectacularAPIView):
    """The OpenAPI schema, in English whatever the caller's Accept-Language (a generated
    client must not change with the language of whoever fetched the schema); `?lang=fr`
    asks for the French descriptions."""

    @extend_schema(**SCHEMA_KWARGS)
    def get(self, request, *args, **kwargs):
        language = request.GET.get("lang")
        if language not in {code for code, _name in settings.LANGUAGES}:
            language = "en"
        with translation.override(language):
            return self._get_schema_response(request)


class SwaggerPage(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's static files (no CDN). The split view
    serves its start-up script as a file and our template has no inline style: the
    portal's Content-Security-Policy holds on this page too. (Redoc is left out: its
    template loads web fonts from a CDN.)"""

    def options(self, request, *args, **kwargs):
        # DRF's metadata answer would go through this page's template renderer, which
        # cannot render it: the allowed methods are the whole answer.
        response = HttpResponse(status=200)
        response["Allow"] = ", ".join(self.allowed_methods)
        return response
