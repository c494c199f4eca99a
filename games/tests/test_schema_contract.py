"""What a generated client learns from /api/schema/ (issue #10, items 9 and 13).

Every operation declares the errors it can answer, all with the one Error
component; always-present output fields are required, so generated types
are not all optional; and the schema names a server.
"""

import pytest

from games.tests.api import GUESS_RESULT_KEYS, ROOM_KEYS

pytestmark = pytest.mark.django_db

METHODS = {"get", "post", "put", "patch", "delete"}
WRITES = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_error_component_is_spec_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "code", "field", "errors"}
    assert set(error["required"]) == {"detail", "code"}
    assert error["properties"]["errors"]["additionalProperties"]["items"]["type"] == "string"


def test_every_operation_declares_its_errors_as_the_error_component(schema):
    missing = []
    for path, method, operation in operations(schema):
        expected = {"405", "429", "500", "503"}
        if operation.get("security") and any(operation["security"]):
            expected.add("401")
        if method in WRITES:
            expected |= {"400", "413", "415"}
        if "{" in path:
            expected.add("404")
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("400")
        responses = operation["responses"]
        for status in sorted(expected):
            ref = responses.get(status, {}).get("content", {}).get("application/json", {}).get("schema", {})
            if ref != {"$ref": "#/components/schemas/Error"}:
                missing.append(f"{method.upper()} {path} {status}")
    assert missing == []


def test_throttled_and_unavailable_declare_retry_after(schema):
    for path, method, operation in operations(schema):
        for status in ("429", "503"):
            headers = operation["responses"][status].get("headers", {})
            assert headers["Retry-After"]["schema"]["type"] == "integer", (path, method, status)


def test_every_error_status_uses_the_error_component(schema):
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }, (path, method, status)


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        ("Room", ROOM_KEYS),
        ("Player", {"username", "status", "role", "guesses_used", "solved_at", "place", "rating_change"}),
        ("Guess", {"number", "username", "guess", "exact", "misplaced", "created_at"}),
        ("GuessResult", GUESS_RESULT_KEYS),
        ("Token", {"user", "token", "expiry"}),
        ("Me", {"id", "username", "stats"}),
    ],
)
def test_always_present_output_fields_are_required(schema, component, fields):
    assert set(schema["components"]["schemas"][component]["required"]) >= fields


def test_nullable_output_fields_say_so(schema):
    room = schema["components"]["schemas"]["Room"]["properties"]
    for name in ("started_at", "finished_at", "winner", "secret", "rematch"):
        assert room[name].get("nullable") is True, name


def test_the_schema_names_a_server(schema):
    assert schema["servers"]
    assert all(server["url"] for server in schema["servers"])


def test_request_bodies_refuse_unknown_fields_in_the_schema_too(schema):
    """The server 400s an unknown field; a schema that allowed extras would promise otherwise."""
    for path, method, operation in operations(schema):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        name = body["schema"]["$ref"].rsplit("/", 1)[1]
        assert schema["components"]["schemas"][name].get("additionalProperties") is False, (path, method)
