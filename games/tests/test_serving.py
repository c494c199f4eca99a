"""Both ways config.asgi serves HTTP answer alike, under any ASGI server's `receive` (issue #9)."""

import asyncio
import json

import pytest

from config.serving import http_application

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def awaitable_receive(messages: list[dict]):
    """A `receive` returning a Future, not a coroutine, as granian's does.

    After the request's messages it waits, as a server does until the client
    goes away (Django's ASGI handler listens for that disconnect meanwhile).
    """

    def receive():
        future = asyncio.get_running_loop().create_future()
        if messages:
            future.set_result(messages.pop(0))
        return future

    return receive


async def call(
    app, method: str, path: str, body: bytes = b"", headers=(), *, messages: list[dict] | None = None
) -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent = []

    async def send(message):
        sent.append(message)

    if messages is None:
        messages = [{"type": "http.request", "body": body, "more_body": False}]
    receive = awaitable_receive(messages)
    await asyncio.wait_for(app(scope, receive, send), 10)
    if not sent:
        return 0, {}, b""
    assert [m["type"] for m in sent].count("http.response.start") == 1
    assert not sent[-1].get("more_body", False)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers: dict[str, str] = {}
    for name, value in start["headers"]:
        name = name.decode().lower()
        headers[name] = f"{headers[name]}, {value.decode()}" if name in headers else value.decode()
    return start["status"], headers, content


@pytest.mark.parametrize("handler", ["wsgi", "asgi"])
async def test_a_json_body_is_read_whatever_the_servers_receive_returns(handler):
    app = http_application(handler, threads=2)
    body = json.dumps({"username": "nobody", "password": "wrong"}).encode()
    status, headers, content = await call(
        app,
        "POST",
        "/api/v1/auth/login/",
        body,
        headers=[(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    )
    # Bad credentials: the body was parsed and judged (400), not a 500.
    assert status == 400, content[:300]
    assert headers["content-type"] == "application/json"
    assert json.loads(content)["code"]


@pytest.mark.parametrize("handler", ["wsgi", "asgi"])
async def test_pages_come_with_the_same_session_and_csrf_cookies(handler):
    app = http_application(handler, threads=2)
    status, headers, content = await call(app, "GET", "/accounts/login/")
    assert status == 200
    assert b'name="csrfmiddlewaretoken"' in content
    assert "csrftoken=" in headers.get("set-cookie", "")


async def test_a_body_sent_in_pieces_is_read_whole():
    app = http_application("wsgi", threads=2)
    body = json.dumps({"username": "nobody", "password": "wrong"}).encode()
    pieces = [body[:7], body[7:20], body[20:]]
    messages = [{"type": "http.request", "body": p, "more_body": i < 2} for i, p in enumerate(pieces)]
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    status, _, content = await call(app, "POST", "/api/v1/auth/login/", headers=headers, messages=messages)
    assert status == 400, content[:300]
    assert json.loads(content)["code"]


async def test_a_client_gone_before_its_body_arrived_gets_nothing_and_runs_nothing(monkeypatch):
    app = http_application("wsgi", threads=2)
    ran = []
    monkeypatch.setattr(app, "app", lambda environ, start_response: ran.append(environ) or [])
    messages = [
        {"type": "http.request", "body": b"{", "more_body": True},
        {"type": "http.disconnect"},
    ]
    assert await call(app, "POST", "/api/v1/auth/login/", messages=messages) == (0, {}, b"")
    assert ran == []


async def test_a_response_longer_than_the_buffer_is_streamed_whole(monkeypatch):
    app = http_application("wsgi", threads=2)
    status, headers, buffered = await call(app, "GET", "/accounts/login/")
    assert status == 200 and len(buffered) > 1000
    monkeypatch.setattr(type(app), "BUFFER_BYTES", 100)
    streamed_status, streamed_headers, streamed = await call(app, "GET", "/accounts/login/")
    assert streamed_status == 200
    assert streamed_headers["content-type"] == headers["content-type"]
    # The same page (its CSRF token aside), all of it, after the streaming started.
    assert len(streamed) == len(buffered)
    assert streamed.endswith(b"</html>\n") or streamed.rstrip().endswith(b"</html>")
