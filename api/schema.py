"""OpenAPI post-processing: every operation documents its problem-details answers and the
headers its answers carry, and the schema reads cleanly in client generators (component
names, enums on filters, success bodies as JSON, no 64-bit bounds)."""

from drf_spectacular.openapi import AutoSchema

from subscriptions.status import Status

from .bulk import DEPRECATED

PROBLEM_ITEM_SCHEMA = {
    "type": "object",
    "description": "One subscription an operation on several refused, and why.",
    "properties": {
        "subscription": {"type": "integer", "description": "The subscription's id."},
        "field": {
            "type": "string",
            "description": "The request's field that named it: `subscriptions.N`, its "
            "position in the list sent.",
        },
        "code": {"type": "string", "description": "Why, as the problem types name it."},
        "detail": {"type": "string", "description": "Why, as a sentence."},
    },
    "required": ["subscription", "field", "code", "detail"],
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "The request's field at fault."},
        "errors": {
            "type": "object",
            "description": "Invalid input: each field (an item of a list by its position, "
            "`subscriptions.0`) and its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "items": {
            "type": "array",
            "description": "A refused bulk renewal: each subscription refused.",
            "items": {"$ref": "#/components/schemas/ProblemItem"},
        },
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}

PROBLEMS = {
    "400": "Invalid input or a refused operation",
    "401": "No valid token",
    "403": "Read-only user, or not allowed",
    "404": "Not found, or outside your scope",
    "405": "Method not allowed",
    "415": "The body is not JSON",
    "409": "Refused (not enough licenses, already renewed, nothing to "
    "undo or too late to undo, not due)",
    "422": "Idempotency-Key reused for another request",
    "429": "Too many requests for this token",
}
WRITE_ONLY = {"409", "422"}
# The filters naming an organization by id: the server refuses anything below 1 (an id
# from 1 outside the caller's scope is a 404, api/filters.py).
ORGANIZATION_FILTERS = ("reseller", "organization")


RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "Calls this token may make in its current window.",
    "RateLimit-Remaining": "Calls left in the current window.",
    "RateLimit-Reset": "Seconds until the current window ends.",
}
RETRY_AFTER = {"Retry-After": "Seconds to wait before calling again."}
REPLAYED = {
    "Idempotent-Replayed": "`true` when this is the stored answer to an earlier request "
    "with the same Idempotency-Key, `false` when the request was carried out now.",
}


def _headers(descriptions, schema=None):
    return {
        name: {"description": text, "schema": schema or {"type": "integer"}}
        for name, text in descriptions.items()
    }


def _declare_headers(operation):
    """The headers every answer carries (the rate limit's), a 429's Retry-After and a
    write's Idempotent-Replayed, so that a generated client can read them."""
    idempotent = any(
        parameter["in"] == "header" and parameter["name"] == "Idempotency-Key"
        for parameter in operation.get("parameters", [])
    )
    for code, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        headers.update(_headers(RATE_LIMIT_HEADERS))
        if code == "429":
            headers.update(_headers(RETRY_AFTER))
        if idempotent and code.startswith("2"):
            headers.update(_headers(REPLAYED, {"type": "string", "enum": ["true", "false"]}))


# The status filter's values: the renewals due are expiring or expired subscriptions.
STATUS_FILTERS = {"/api/v1/renewals-due/": list(Status.TO_RENEW)}
INT64 = 2**63 - 1


def _status_enum(path, parameter):
    if parameter["in"] == "query" and parameter["name"] == "status":
        parameter["schema"] = {
            **parameter["schema"], "enum": STATUS_FILTERS.get(path, list(Status.ALL))
        }


def _json_only(operation):
    """A success answers application/json; problem+json is for errors only."""
    for code, response in operation["responses"].items():
        if code.startswith("2") and "application/json" in response.get("content", {}):
            response["content"] = {"application/json": response["content"]["application/json"]}


def _without_int64_bounds(schemas):
    """A 64-bit column's bounds are no business rule, and generators turn such a maximum
    into a type of its own."""
    for schema in schemas.values():
        for field in schema.get("properties", {}).values():
            if field.get("maximum") == INT64:
                field.pop("maximum")
                field.pop("minimum", None)


def _plain_request_names(result):
    """`RenewalRequest`, not `RenewalRequestRequest`: our input serializers are already
    named …Request, and the split of request and response components adds it again."""
    schemas = result["components"]["schemas"]
    renamed = {
        name: name.removesuffix("Request")
        for name in schemas
        if name.endswith("RequestRequest") and name.removesuffix("Request") not in schemas
    }
    if not renamed:
        return result
    for old, new in renamed.items():
        schemas[new] = schemas.pop(old)
    references = {
        f"#/components/schemas/{old}": f"#/components/schemas/{new}"
        for old, new in renamed.items()
    }

    def follow(node):
        if isinstance(node, dict):
            if node.get("$ref") in references:
                node["$ref"] = references[node["$ref"]]
            for value in node.values():
                follow(value)
        elif isinstance(node, list):
            for value in node:
                follow(value)

    follow(result)
    return result


def _mark_deprecated(schemas):
    """The first spellings of renamed properties, still sent for the clients built on
    them (api/bulk.py)."""
    for component, names in DEPRECATED.items():
        for name in names:
            schemas[component]["properties"][name]["deprecated"] = True


def _clean_cursor_examples(schemas):
    """DRF's example of a cursor page's `next` ends in a stray quote: not a URL."""
    for schema in schemas.values():
        for name in ("next", "previous"):
            link = schema.get("properties", {}).get(name, {})
            if "cursor=" in link.get("example", ""):
                link["example"] = link["example"].rstrip('"')


def add_problem_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["ProblemItem"] = PROBLEM_ITEM_SCHEMA
    _mark_deprecated(schemas)
    _clean_cursor_examples(schemas)
    reference = {"$ref": "#/components/schemas/Problem"}
    _without_int64_bounds(result["components"]["schemas"])
    for address, path in result.get("paths", {}).items():
        for method, operation in path.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _json_only(operation)
            for parameter in operation.get("parameters", []):
                _status_enum(address, parameter)
                if parameter["in"] == "query" and parameter["name"] in ORGANIZATION_FILTERS:
                    parameter["schema"] = {**parameter["schema"], "minimum": 1}
            for code, description in PROBLEMS.items():
                if code in WRITE_ONLY and method == "get":
                    continue
                operation["responses"].setdefault(
                    code,
                    {
                        "description": description,
                        "content": {
                            "application/problem+json": {"schema": reference},
                            "application/json": {"schema": reference},
                        },
                    },
                )
            _declare_headers(operation)
    return _plain_request_names(result)


class RenewalsDueSchema(AutoSchema):
    """The renewals due are numbered pages of subscriptions, where `/subscriptions/` has a
    cursor: their page gets a name of its own, not the subscriptions' page's."""

    def get_paginated_name(self, serializer_name):
        return "PaginatedRenewalsDueList"
