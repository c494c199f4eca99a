"""/healthz, the OpenAPI schema and the API docs pages (SPEC §3, "served without any CDN")."""

import re
from urllib.parse import urlsplit

import pytest
import yaml

HEALTHZ = "/healthz"
SCHEMA = "/api/schema/"
DOCS_PAGES = ["/api/docs/", "/api/redoc/"]

ROOM_PATHS = {
    "/api/v1/rooms/",
    "/api/v1/rooms/{code}/",
    "/api/v1/rooms/{code}/join/",
    "/api/v1/rooms/{code}/leave/",
    "/api/v1/rooms/{code}/start/",
    "/api/v1/rooms/{code}/secret/",
    "/api/v1/rooms/{code}/guesses/",
    "/api/v1/rooms/{code}/rematch/",
    "/api/v1/quick-play/",
    "/api/v1/leaderboard/",
}

# Port 1 on the loopback: nothing listens there, so the connection is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


def referenced_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)


# --- healthz ---------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_is_200_when_every_backing_service_answers(client, settings):
    response = client.get(HEALTHZ)
    assert response.status_code == 200
    expected = {"database": "ok", "redis": "ok"} if settings.REDIS_URL else {"database": "ok"}
    assert response.json() == {"status": "ok", "checks": expected}


@pytest.mark.django_db
def test_healthz_needs_no_login_and_is_not_cached(client):
    response = client.get(HEALTHZ)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_naming_redis_when_redis_does_not_answer(client, settings):
    settings.REDIS_URL = DEAD_REDIS
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}}


def test_healthz_is_503_naming_the_database_when_it_does_not_answer(client, settings):
    # No django_db mark: pytest-django refuses every connection attempt, as a
    # database that is down would.
    settings.REDIS_URL = ""
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unavailable"}}


@pytest.mark.django_db
def test_healthz_failure_does_not_leak_the_redis_address(client, settings):
    settings.REDIS_URL = "redis://:hunter2@127.0.0.1:1/0"
    response = client.get(HEALTHZ)
    assert response.status_code == 503
    assert "hunter2" not in response.content.decode()
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_only_answers_get(client):
    assert client.post(HEALTHZ).status_code == 405


# --- schema ----------------------------------------------------------------------


@pytest.fixture
def schema(client) -> dict:
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
def test_schema_is_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"]


@pytest.mark.django_db
def test_schema_is_served_as_yaml_by_default(client):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


@pytest.mark.django_db
def test_schema_needs_no_token(anon_api):
    assert anon_api.get(SCHEMA).status_code == 200


@pytest.mark.django_db
def test_schema_declares_the_knox_token_scheme(schema):
    schemes = schema["components"]["securitySchemes"]
    [(name, scheme)] = [(name, s) for name, s in schemes.items() if s.get("name") == "Authorization"]
    assert scheme["type"] == "apiKey"
    assert scheme["in"] == "header"
    assert "Token" in scheme["description"]
    # Room endpoints require it.
    assert {name: []} in schema["paths"]["/api/v1/rooms/"]["get"]["security"]


@pytest.mark.django_db
def test_schema_lists_the_room_paths(schema):
    assert set(schema["paths"]) >= ROOM_PATHS


@pytest.mark.django_db
def test_schema_lists_the_auth_paths(schema):
    assert {f"/api/v1/auth/{name}/" for name in ("register", "login", "logout", "logoutall", "me")} <= set(
        schema["paths"]
    )


@pytest.mark.django_db
def test_schema_documents_the_guess_result(schema):
    created = schema["paths"]["/api/v1/rooms/{code}/guesses/"]["post"]["responses"]["201"]
    ref = created["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(component["properties"]) == {
        "number",
        "guess",
        "exact",
        "misplaced",
        "solved",
        "remaining",
        "version",
    }


# --- docs pages --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", DOCS_PAGES)
def test_docs_page_is_html(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    if f'src="{path}?script="' in html:
        # Swagger UI's start-up script is a file of its own (the CSP allows no inline script).
        html = client.get(f"{path}?script=").content.decode()
    assert "/api/schema/" in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", DOCS_PAGES)
def test_docs_page_references_no_cdn(client, path):
    html = client.get(path).content.decode()
    for cdn in ("https://cdn", "unpkg", "jsdelivr", "cdnjs"):
        assert cdn not in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", DOCS_PAGES)
def test_docs_page_loads_nothing_from_another_host(client, path):
    html = client.get(path).content.decode()
    offsite = [ref for ref in referenced_urls(html) if urlsplit(ref).netloc]
    assert offsite == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", DOCS_PAGES)
def test_docs_page_static_assets_are_served(client, path):
    html = client.get(path).content.decode()
    # Our own paths: /static/, and ReDoc's bundle served without its CDN logo.
    assets = [ref for ref in referenced_urls(html) if ref.startswith("/") and not ref.startswith("//")]
    assert any(ref.endswith(".js") for ref in assets)
    for ref in assets:
        response = client.get(ref)
        assert response.status_code == 200, ref
        # WhiteNoise streams files: read the body, then close the file.
        content = b"".join(response.streaming_content) if response.streaming else response.content
        response.close()
        assert content


@pytest.mark.django_db
def test_the_redoc_bundle_asks_no_cdn_for_its_logo(client):
    html = client.get("/api/redoc/").content.decode()
    [bundle] = [ref for ref in referenced_urls(html) if ref.endswith("redoc.standalone.js")]
    response = client.get(bundle)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    source = response.content.decode()
    assert "cdn.redoc.ly" not in source
    assert "/static/api/redoc-logo.svg" in source
    assert client.get("/static/api/redoc-logo.svg").status_code == 200
