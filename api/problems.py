"""Every API error as an RFC 9457 problem details document (application/problem+json)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
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


def _flatten(errors):
    if isinstance(errors, dict):
        return {key: _flatten(value) for key, value in errors.items()}
    if isinstance(errors, list):
        flat = []
        for item in errors:
            value = _flatten(item)
            flat.extend(value if isinstance(value, list) else [value])
        return flat
    return [str(errors)]


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
        title=str(getattr(exc, "default_detail", "Error")),
        detail=detail,
        headers=headers,
    )
