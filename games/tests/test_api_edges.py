"""Issue #10's small REST edges: list parameters, the Idempotency-Key error, Retry-After, CORS."""

import base64

import pytest
from django.test import Client

from games import services
from games.models import ChatMessage, Guess

ROOMS = "/api/v1/rooms/"
SPA = "https://spa.example"

pytestmark = pytest.mark.django_db


def assert_400_on(response, field: str) -> None:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == field
    assert field in body["errors"]


def cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


# --- cursor -------------------------------------------------------------------------


@pytest.fixture
def rooms(alice):
    return [services.room_create(user=alice, mode="race", name=f"Room {i}").code for i in range(3)]


@pytest.mark.parametrize(
    "value",
    [
        "cj0xJnA9JTI3",  # r=1&p=%27: a position that is no datetime
        cursor("p=not-a-date"),
        cursor("o=-5"),
        cursor("p=%00"),
        "%%%",
        "bm90IGEgY3Vyc29y",  # "not a cursor"
    ],
)
def test_a_malformed_cursor_is_400(alice_api, rooms, value):
    assert_400_on(alice_api.get(ROOMS, {"cursor": value}), "cursor")


def test_a_malformed_cursor_is_400_when_ordered_by_name(alice_api, rooms):
    assert_400_on(alice_api.get(ROOMS, {"cursor": cursor("p=%00"), "ordering": "name"}), "cursor")


def test_a_real_cursor_still_pages(alice_api, rooms):
    first = alice_api.get(ROOMS, {"page_size": 2}).json()
    second = alice_api.get(first["next"]).json()
    assert len(first["results"]) == 2
    assert len(second["results"]) == 1


# --- page_size ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["false", "-1", "0", "1e9", "2.5", "101", "", "x"])
def test_a_bad_page_size_is_400(alice_api, rooms, value):
    assert_400_on(alice_api.get(ROOMS, {"page_size": value}), "page_size")


@pytest.mark.parametrize("value", ["1", "100"])
def test_page_size_within_bounds_is_honoured(alice_api, rooms, value):
    response = alice_api.get(ROOMS, {"page_size": value})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(int(value), 3)


# --- ordering -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["secret", "-secret", "code", "", "name,created_at", "password"])
def test_an_unknown_ordering_is_400(alice_api, rooms, value):
    assert_400_on(alice_api.get(ROOMS, {"ordering": value}), "ordering")


def test_the_schema_lists_the_orderings_as_an_enum(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    params = {p["name"]: p for p in schema["paths"]["/api/v1/rooms/"]["get"]["parameters"]}
    assert set(params["ordering"]["schema"]["enum"]) == {"created_at", "-created_at", "name", "-name"}
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}


# --- Idempotency-Key ----------------------------------------------------------------


def test_an_idempotency_key_reused_for_another_guess_is_named_as_the_header(alice_api, alice):
    room = services.room_create(user=alice, mode="solo")
    url = f"{ROOMS}{room.code}/guesses/"
    first = alice_api.post(url, {"guess": [0, 1, 2, 3]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201
    again = alice_api.post(url, {"guess": [3, 2, 1, 0]}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert_400_on(again, "Idempotency-Key")
    assert "Idempotency-Key" in again.json()["detail"]
    assert "request_id" not in again.content.decode()
    assert Guess.objects.filter(player__room=room).count() == 1


def test_an_idempotency_key_too_long_is_named_as_the_header(alice_api, alice):
    room = services.room_create(user=alice, mode="solo")
    response = alice_api.post(
        f"{ROOMS}{room.code}/guesses/", {"guess": [0, 1, 2, 3]}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 65
    )
    assert_400_on(response, "Idempotency-Key")
    assert "request_id" not in response.content.decode()
    assert not Guess.objects.filter(player__room=room).exists()


# --- the HTML chat's 429 ------------------------------------------------------------


def test_the_html_chat_429_says_when_to_retry(alice, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "chat": "1/min"},
    }
    browser = Client()
    browser.force_login(alice)
    room = services.room_create(user=alice, mode="race")
    url = f"/rooms/{room.code}/chat/"
    assert browser.post(url, {"text": "hello"}).status_code == 302
    response = browser.post(url, {"text": "again"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert ChatMessage.objects.filter(room=room).count() == 1


# --- CORS ---------------------------------------------------------------------------


@pytest.fixture
def spa(settings):
    settings.CORS_ALLOWED_ORIGINS = [SPA]


def test_a_spa_may_send_an_idempotency_key(spa, client):
    response = client.options(
        f"{ROOMS}ABCDEF/guesses/",
        HTTP_ORIGIN=SPA,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA
    allowed = {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed


def test_a_spa_may_read_retry_after(spa, anon_api):
    response = anon_api.get(ROOMS, HTTP_ORIGIN=SPA)
    assert response["Access-Control-Allow-Origin"] == SPA
    exposed = {h.strip().lower() for h in response["Access-Control-Expose-Headers"].split(",")}
    assert "retry-after" in exposed


def test_another_origin_gets_no_cors_headers(spa, anon_api):
    response = anon_api.get(ROOMS, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


# --- found by schemathesis ----------------------------------------------------------


@pytest.mark.parametrize("params", [{"status": ""}, {"mode": ""}, {"joinable": ""}, {"mine": ""}])
def test_a_blank_filter_is_400_not_ignored(alice_api, rooms, params):
    assert_400_on(alice_api.get(ROOMS, params), next(iter(params)))


def test_a_blank_cursor_is_the_first_page(alice_api, rooms):
    response = alice_api.get(ROOMS, {"cursor": ""})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (ROOMS, {"mode": "solo", "name": 0}, "name"),
        ("/api/v1/quick-play/", {"name": ["x"]}, "name"),
        ("/api/v1/auth/login/", {"username": 5, "password": "x"}, "username"),
        ("/api/v1/auth/register/", {"username": 12345, "password": "a long passphrase"}, "username"),
    ],
)
def test_a_number_or_list_is_not_a_string(alice_api, path, body, field):
    before = ChatMessage.objects.count(), Guess.objects.count()
    assert_400_on(alice_api.post(path, body, format="json"), field)
    assert (ChatMessage.objects.count(), Guess.objects.count()) == before
