"""SPEC §3 "One error shape": every error under /api/ is JSON {detail, code, field?, errors?}.

What a generated client sees: whatever went wrong (bad field, bad JSON, a
path that does not exist, a wrong method, a body too large, a bug), it can
decode the body into one Error type.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from games import services

ROOMS = "/api/v1/rooms/"
LOGIN = "/api/v1/auth/login/"
REGISTER = "/api/v1/auth/register/"
QUICK_PLAY = "/api/v1/quick-play/"

# 1000 levels of nesting in 2 KB: json.loads overflows the recursion limit.
DEEP = "[" * 1000 + "]" * 1000


def assert_error(response, status: int, code: str, *, field: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["code"] == code, body
    assert set(body) <= {"detail", "code", "field", "errors"}, body
    if field is None:
        assert "field" not in body, body
    else:
        assert body["field"] == field, body
        assert isinstance(body["errors"], dict)
        assert field in body["errors"]
        assert all(
            isinstance(messages, list) and all(isinstance(m, str) for m in messages)
            for messages in body["errors"].values()
        ), body
    assert "Traceback" not in response.content.decode()
    return body


# --- validation errors -------------------------------------------------------------


@pytest.mark.django_db
def test_a_setting_out_of_range_is_one_error_naming_its_field(alice_api):
    response = alice_api.post(ROOMS, {"mode": "solo", "colors": 99}, format="json")
    body = assert_error(response, 400, "invalid", field="colors")
    assert "10" in body["detail"]


@pytest.mark.django_db
def test_a_bad_item_in_a_guess_names_the_guess_and_its_position(alice_api, alice):
    room = services.room_create(user=alice, mode="solo")
    response = alice_api.post(f"{ROOMS}{room.code}/guesses/", {"guess": [0, "1", 2, 3]}, format="json")
    body = assert_error(response, 400, "invalid", field="guess")
    assert body["errors"]["guess"][0].startswith("item 1: ")


@pytest.mark.django_db
def test_an_unknown_field_is_one_error_naming_it(alice_api):
    response = alice_api.post(QUICK_PLAY, {"colour": 3}, format="json")
    assert_error(response, 400, "invalid", field="colour")


@pytest.mark.django_db
def test_several_bad_fields_are_all_listed(alice_api):
    response = alice_api.post(ROOMS, {"mode": "chess", "colors": 99}, format="json")
    body = assert_error(response, 400, "invalid", field="colors")  # the serializer's field order
    assert set(body["errors"]) == {"mode", "colors"}


@pytest.mark.django_db
def test_a_domain_error_on_a_field_carries_errors_too(alice_api, alice):
    room = services.room_create(user=alice, mode="solo")
    response = alice_api.post(f"{ROOMS}{room.code}/guesses/", {"guess": [0, 1]}, format="json")
    body = assert_error(response, 400, "invalid", field="guess")
    assert body["errors"] == {"guess": [body["detail"]]}


@pytest.mark.django_db
def test_a_bad_login_is_one_error(anon_api, alice):
    response = anon_api.post(LOGIN, {"username": "alice", "password": "wrong"}, format="json")
    assert_error(response, 400, "bad_credentials")


@pytest.mark.django_db
def test_a_register_error_names_the_field(anon_api, alice):
    response = anon_api.post(REGISTER, {"username": "alice", "password": "a long passphrase"}, format="json")
    assert_error(response, 400, "invalid", field="username")


# --- malformed bodies -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", [LOGIN, REGISTER])
def test_deeply_nested_json_is_a_parse_error_without_a_token(path):
    response = Client().post(path, DEEP, content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.django_db
@pytest.mark.parametrize("suffix", ["", "{code}/guesses/", "{code}/join/", "{code}/secret/"])
def test_deeply_nested_json_is_a_parse_error_on_room_endpoints(alice_api, alice, suffix):
    room = services.room_create(user=alice, mode="solo")
    response = alice_api.post(ROOMS + suffix.format(code=room.code), DEEP, content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.django_db
def test_deeply_nested_json_object_is_a_parse_error(alice_api):
    body = '{"a":' * 1000 + "1" + "}" * 1000
    response = alice_api.post(QUICK_PLAY, body, content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.django_db
def test_malformed_json_is_a_parse_error(alice_api):
    response = alice_api.post(QUICK_PLAY, '{"colors": ', content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_415(alice_api):
    response = alice_api.post(QUICK_PLAY, "colors=6", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_413_json(alice_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"name": "x" * 2000, "mode": "solo"})
    response = alice_api.post(ROOMS, payload, content_type="application/json")
    assert_error(response, 413, "too_large")


@pytest.mark.django_db
def test_a_body_over_the_upload_limit_is_413_without_a_token(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = json.dumps({"username": "x" * 2000, "password": "p"})
    response = Client().post(LOGIN, payload, content_type="application/json")
    assert_error(response, 413, "too_large")


# --- paths and methods ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/nope/", "/api/v1/rooms/ABCDEF/nope/", "/api/nope", "/api/v2/rooms/"]
)
def test_an_unknown_api_path_is_a_json_404(alice_api, path):
    assert_error(alice_api.get(path), 404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["AB.CDE", "a.b", ".", "K7QX2M.json"])
def test_a_room_code_with_a_dot_is_a_json_404(alice_api, code):
    assert_error(alice_api.get(f"{ROOMS}{code}/"), 404, "not_found")


@pytest.mark.django_db
def test_an_unknown_room_is_a_json_404(alice_api):
    assert_error(alice_api.get(f"{ROOMS}ZZZZZZ/"), 404, "not_found")


@pytest.mark.django_db
def test_a_wrong_method_is_a_json_405(alice_api, alice):
    room = services.room_create(user=alice, mode="coop")
    response = alice_api.put(f"{ROOMS}{room.code}/", {"name": "x"}, format="json")
    assert_error(response, 405, "method_not_allowed")


def test_a_wrong_method_on_an_anonymous_endpoint_is_a_json_405():
    assert_error(Client().get(LOGIN), 405, "method_not_allowed")


@pytest.mark.django_db
def test_no_token_is_a_json_401(anon_api):
    response = anon_api.get(ROOMS)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_a_bad_token_is_a_json_401(anon_api):
    anon_api.credentials(HTTP_AUTHORIZATION="Token nope")
    assert_error(anon_api.get(ROOMS), 401, "authentication_failed")


@pytest.mark.django_db
def test_not_the_owner_is_a_json_403(bob_api, alice):
    room = services.room_create(user=alice, mode="coop")
    response = bob_api.delete(f"{ROOMS}{room.code}/")
    assert_error(response, 403, "not_allowed")


@pytest.mark.django_db
def test_throttled_is_a_json_429_with_retry_after(anon_api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "1/min"},
    }
    anon_api.post(LOGIN, {"username": "a", "password": "b"}, format="json")
    response = anon_api.post(LOGIN, {"username": "a", "password": "b"}, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


# --- bugs ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/test-500/", "/api/test-500-plain/"])
def test_a_bug_under_api_is_a_json_500_without_the_traceback(settings, alice_api, path, caplog):
    settings.ROOT_URLCONF = "games.tests.urls_500"
    alice_api.raise_request_exception = False
    response = alice_api.get(path)
    body = assert_error(response, 500, "server_error")
    assert "boom" not in json.dumps(body)
    # Operators still get the traceback, in the log.
    assert any("boom" in (record.exc_text or str(record.exc_info)) for record in caplog.records)


@pytest.mark.django_db
def test_a_database_outage_in_an_api_view_is_a_json_503_with_retry_after(settings, anon_api):
    settings.ROOT_URLCONF = "games.tests.urls_500"
    anon_api.raise_request_exception = False
    response = anon_api.get("/api/v1/test-db-down/")
    body = assert_error(response, 503, "unavailable")
    assert "connection" not in body["detail"]
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("raised", "status", "code"),
    [
        (Http404("No Room matches the given query."), 404, "not_found"),
        (PermissionDenied(), 403, "not_allowed"),
    ],
)
def test_djangos_own_404_and_403_inside_an_api_view_keep_the_one_shape(raised, status, code):
    """A DRF view may raise Django's Http404 (get_object_or_404) or PermissionDenied: never a 500."""
    from config.api.errors import exception_handler

    response = exception_handler(raised, {"request": None, "view": None})
    assert response.status_code == status
    assert response.data["code"] == code and response.data["detail"]
