"""The API's browsable documentation (/api/docs/)."""

from django.http import HttpResponse
from drf_spectacular.views import SpectacularSwaggerSplitView


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
