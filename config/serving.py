"""How one server process serves HTTP beside the sockets (chosen by measurement, issue #9).

`HTTP_HANDLER=wsgi` (the default): Django's WSGI handler on a fixed pool of
threads inside the ASGI app (a2wsgi), so a request runs start to finish on
one thread with no async/sync hop per middleware. `HTTP_HANDLER=asgi`:
Django's ASGI handler, with its request threads reused. Both run the same
middleware (sessions, CSRF, HTMX, WhiteNoise) and views; WebSockets are
Channels' either way. docs/performance.md has the side-by-side figures.
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from a2wsgi import WSGIMiddleware
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


class CoroutineReceive:
    """Hand the app a `receive` that returns a coroutine, whatever the server's returns.

    a2wsgi reads a request body with `run_coroutine_threadsafe(receive())`,
    which takes only coroutines; granian's `receive()` returns another
    awaitable, and every request with a body failed with a 500 under it.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def receive_coroutine():
            return await receive()

        return await self.app(scope, receive_coroutine, send)


def http_application(handler: str, *, threads: int):
    """The ASGI app for HTTP: "wsgi" (a2wsgi over Django's WSGI handler) or "asgi"."""
    if handler == "wsgi":
        return CoroutineReceive(WSGIMiddleware(get_wsgi_application(), workers=threads))
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
