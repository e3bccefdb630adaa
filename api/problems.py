"""Every API error as an RFC 9457 problem details document (application/problem+json)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://partner-portal.example/problems/"


class ProblemJSONRenderer(JSONRenderer):
    """Lets a client that asks for `application/problem+json` get JSON."""

    media_type = PROBLEM_CONTENT_TYPE


def problem(status_code, *, code, title, detail=None, **extra):
    body = {
        "type": PROBLEM_BASE + code,
        "title": str(title),
        "status": status_code,
    }
    if detail is not None:
        body["detail"] = str(detail)
    body.update(extra)
    return body


def problem_response(status_code, *, code, title, detail=None, headers=None, **extra):
    return Response(
        problem(status_code, code=code, title=title, detail=detail, **extra),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


# A title per kind of error that says what happened without the particulars (DRF's
# default messages hold placeholders such as "{method}", filled in only in the detail).
TITLES = {
    "method_not_allowed": _lazy("This method is not allowed here."),
    "unsupported_media_type": _lazy("This media type is not supported."),
    "not_acceptable": _lazy("The requested format is not available."),
    "parse_error": _lazy("The request body could not be read."),
    "not_authenticated": _lazy("Authentication credentials were not provided."),
    "authentication_failed": _lazy("The authentication credentials are incorrect."),
    "permission_denied": _lazy("You do not have permission to perform this action."),
    "not_found": _lazy("Not found."),
    "throttled": _lazy("Too many requests were made."),
}


def _messages(errors):
    if isinstance(errors, list):
        return [message for item in errors for message in _messages(item)]
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _messages(value)]
    return [str(errors)]


def _flatten(errors, prefix=""):
    """{"field": [messages]}, one entry per field; an item of a list (or a field of a
    nested object) gets its own entry, named by its path: `subscriptions.0`."""
    flat = {}
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, prefix=f"{name}."))
        elif isinstance(value, list) and any(isinstance(item, dict) for item in value):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    flat.update(_flatten(item, prefix=f"{name}.{index}."))
                elif item:
                    flat.setdefault(name, []).extend(_messages(item))
        else:
            flat[name] = _messages(value)
    return flat


def problem_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    headers = {
        name: value
        for name, value in response.items()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        errors = _flatten(detail if isinstance(detail, dict) else {"non_field_errors": detail})
        return problem_response(
            status.HTTP_400_BAD_REQUEST,
            code="invalid",
            title="Invalid input",
            detail="; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in errors.items()
            ),
            errors=errors,
            headers=headers,
        )
    code = getattr(exc, "default_code", "error")
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(detail, list | dict):
        detail = str(detail)
    return problem_response(
        response.status_code,
        code=str(code),
        title=str(TITLES.get(str(code), getattr(exc, "default_detail", _("Error")))),
        detail=detail,
        headers=headers,
    )


def _is_api(request):
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """Django's 404 (a URL that matches no route): problem details under `/api/`, so a
    client gets the same kind of error wherever it went wrong; the portal's page elsewhere."""
    if _is_api(request):
        return JsonResponse(
            problem(404, code="not_found", title=_("Not found."),
                    detail=_("No API endpoint at this address.")),
            status=404, content_type=PROBLEM_CONTENT_TYPE,
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(
            problem(500, code="server_error", title=_("Server error")),
            status=500, content_type=PROBLEM_CONTENT_TYPE,
        )
    return defaults.server_error(request)
