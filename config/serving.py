"""How one server process serves HTTP beside the sockets (chosen by measurement, issue #9).

`HTTP_HANDLER=wsgi` (the default): Django's WSGI handler on a fixed pool of
threads inside the ASGI app (`WSGIBridge`), so a request runs start to
finish on one thread with no async/sync hop per middleware, and crosses
between the loop and its thread once each way. `HTTP_HANDLER=asgi`:
Django's ASGI handler, with its request threads reused. Both run the same
middleware (sessions, CSRF, HTMX, WhiteNoise) and views; WebSockets are
Channels' either way. docs/performance.md has the side-by-side figures.
"""

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

from a2wsgi.wsgi import build_environ
from asgiref.sync import ThreadSensitiveContext
from django.core.handlers.asgi import ASGIHandler
from django.core.wsgi import get_wsgi_application

from games import events


class PooledThreadsASGIHandler(ASGIHandler):
    """Django's ASGI handler, with its request threads kept and reused.

    Django runs each request's synchronous code (sync-only middleware such as
    WhiteNoise, and the view) in a ThreadSensitiveContext of its own, which
    starts a new thread for every request. Here a request borrows an idle
    single-thread executor for its whole life (all its sync code runs on one
    thread, as Django requires) and gives it back after.
    """

    def __init__(self, *, keep: int):
        super().__init__()
        self.keep = keep
        self.idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.idle.pop() if self.idle else ThreadPoolExecutor(1, thread_name_prefix="http")
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(self.idle) < self.keep:
                self.idle.append(executor)
            else:
                executor.shutdown(wait=False)


class WSGIBridge:
    """A WSGI app served from an ASGI server on a fixed pool of threads, one hand-off each way.

    a2wsgi's `WSGIMiddleware` (the first version of this path) hands every
    response message from the request's thread to the loop and waits for it:
    three blocking round trips for a one-chunk response, 10-20 % of a small
    request's CPU in issue #9's profiles (`Condition.notify`,
    `_chain_future`). Here the loop reads the request body before the thread
    starts, the thread runs the app and collects the response, and the loop
    sends it: one trip to the thread and one back. A response longer than
    `BUFFER_BYTES` (a large file) is streamed from the thread chunk by chunk
    instead, as a2wsgi does. The environ is a2wsgi's.
    """

    BUFFER_BYTES = 1024 * 1024

    def __init__(self, app, *, threads: int):
        self.app = app
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="http")

    async def __call__(self, scope, receive, send):
        body = await self.read_body(receive)
        if body is None:
            return  # the client went away before the request was complete
        # a2wsgi's hint names its own streaming Body; WSGI needs only a file-like object.
        environ = build_environ(scope, io.BytesIO(body))  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(self.executor, self.run, environ, loop, send)
        if response is None:
            return  # streamed: the thread has sent it all
        status, headers, body = response
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def read_body(receive) -> bytes | None:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)

    def run(self, environ, loop, send) -> tuple[int, list, bytes] | None:
        """In a pool thread: (status, headers, body), or None once a long response has been streamed."""
        start: list = []
        chunks: list[bytes] = []

        def start_response(status, response_headers, exc_info=None):
            # Nothing has been sent before the body is complete, so an error
            # page may always replace what was started (PEP 3333).
            start[:] = [
                int(status.split(" ", 1)[0]),
                [
                    (k.strip().lower().encode("latin1"), v.strip().encode("latin1"))
                    for k, v in response_headers
                ],
            ]
            return chunks.append

        iterable = self.app(environ, start_response)
        try:
            # One iterator for both loops: a Django response's __iter__ starts over.
            rest = iter(iterable)
            size = 0
            for chunk in rest:
                chunks.append(chunk)
                size += len(chunk)
                if size > self.BUFFER_BYTES:
                    self.stream(start, chunks, rest, loop, send)
                    return None
        finally:
            getattr(iterable, "close", lambda: None)()
        return start[0], start[1], b"".join(chunks)

    @staticmethod
    def stream(start, chunks, rest, loop, send) -> None:
        """Send what is buffered, then the `rest` of the chunks, each message handed to the loop."""

        def hand(message):
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        hand({"type": "http.response.start", "status": start[0], "headers": start[1]})
        hand({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
        for chunk in rest:
            hand({"type": "http.response.body", "body": chunk, "more_body": True})
        hand({"type": "http.response.body", "body": b""})


def http_application(handler: str, *, threads: int):
    """The ASGI app for HTTP: "wsgi" (WSGIBridge over Django's WSGI handler) or "asgi"."""
    if handler == "wsgi":
        return WSGIBridge(get_wsgi_application(), threads=threads)
    if handler == "asgi":
        return PooledThreadsASGIHandler(keep=threads)
    raise ValueError(f"HTTP_HANDLER must be wsgi or asgi, not {handler!r}")


class RememberServerLoop:
    """Tell the live layer which event loop is the server's, so any thread can broadcast on it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        events.server_loop = asyncio.get_running_loop()
        return await self.app(scope, receive, send)
