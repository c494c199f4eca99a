"""drf-spectacular postprocessing: every operation declares the errors it can answer (SPEC §3).

The views declare the errors that are theirs (403, 404, 409 with their own
descriptions); this hook adds those every operation shares, so a client
generated from the schema can decode any error into the one Error type:
405, 429 and 503 everywhere (with Retry-After on 429/503), 500 (a bug, but
still the shape), 401 where a token is accepted, 400/413/415 where a body is
read, 400 where query parameters are, 404 where the path names a room.
"""

ERROR_REF = {"$ref": "#/components/schemas/Error"}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}
DESCRIPTIONS = {
    "400": "Bad input (a field, a malformed or too deeply nested JSON body, a bad query parameter); nothing was stored.",
    "401": "No token, or a bad, expired or revoked one.",
    "404": "No such room, or a private room you are not in.",
    "405": "This method is not allowed here.",
    "413": "The request body is too large.",
    "415": "The body is not JSON.",
    "429": "Throttled; see Retry-After.",
    "500": "A bug on the server (logged); nothing was stored.",
    "503": "The server is overloaded or a backing service is down; see Retry-After.",
}
METHODS = {"get", "post", "put", "patch", "delete"}
WRITES = {"post", "put", "patch"}


def _statuses(path: str, method: str, operation: dict) -> set[str]:
    statuses = {"405", "429", "500", "503"}
    if any(requirement for requirement in operation.get("security", [])):
        statuses.add("401")
    if method in WRITES or "requestBody" in operation:  # DELETE /auth/me/ reads a body too
        statuses |= {"400", "413", "415"}
    if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
        statuses.add("400")
    if "{" in path:
        statuses.add("404")
    return statuses


def refuse_unknown_fields(result, generator, request, public):
    """Request bodies are StrictSerializers (config/api/fields.py): an unknown field is a 400, so say so."""
    schemas = result.get("components", {}).get("schemas", {})
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                if ref.startswith("#/components/schemas/"):
                    schemas[ref.rsplit("/", 1)[1]]["additionalProperties"] = False
    return result


def declare_errors(result, generator, request, public):
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(path, method, operation)):
                responses.setdefault(
                    status,
                    {
                        "content": {"application/json": {"schema": ERROR_REF}},
                        "description": DESCRIPTIONS[status],
                    },
                )
            for status in ("429", "503"):
                responses[status].setdefault("headers", {}).update(RETRY_AFTER)
    return result
