"""Admission control for HTTP: a bounded amount of work in flight, a fast 503 past it.

Without it, a server pushed past its capacity took every request in: each
waited for a thread and a database connection, the pool's wait ran out after
`DB_POOL_TIMEOUT` and the client got a 500 after ten seconds. Here at most
`HTTP_MAX_CONCURRENCY` requests run at once, at most `HTTP_MAX_QUEUE` wait
for a slot (each for at most `HTTP_QUEUE_TIMEOUT` seconds), and any other is
answered at once with 503 and `Retry-After` (SPEC §3, §6): a client that
retries later gets in, and the requests already admitted stay fast. A
request that would wait longer than the timeout (by the recent time per
request) is refused on arrival rather than after the wait.

WebSocket handshakes are not counted here (a socket holds no slot while it
is idle), nor is `/healthz`, which a load balancer must still reach.
"""

import asyncio
import json
import logging
import time

from games import metrics

logger = logging.getLogger(__name__)

EXEMPT_PATHS = ("/healthz",)
BUSY_DETAIL = "The server is busy; try again in a moment."


class AdmissionControl:
    """ASGI middleware: run at most `concurrency` HTTP requests, queue `queue` more, shed the rest."""

    def __init__(self, app, *, concurrency: int, queue: int, queue_timeout: float, retry_after: int = 1):
        if concurrency < 1 or queue < 0:
            raise ValueError("concurrency must be at least 1 and queue at least 0")
        self.app = app
        self.concurrency = concurrency
        self.queue = queue
        self.queue_timeout = queue_timeout
        self.retry_after = retry_after
        self.running = 0
        self.waiting = 0
        self.shed = 0
        # Seconds a request holds its slot, a moving average: how long a newcomer would queue.
        self.service_time = 0.0
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_warning = 0.0

    def slots(self) -> asyncio.Semaphore:
        # One semaphore per event loop: a server has one; tests start many.
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._slots is None:
            self._loop, self._slots = loop, asyncio.Semaphore(self.concurrency)
            self.running = self.waiting = 0
        return self._slots

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            return await self.app(scope, receive, send)
        slots = self.slots()
        if slots.locked():
            # Refuse at once, not after the wait, when the queue is full or
            # the wait ahead is already more than half the timeout: a 503 is
            # worth the most when it is fast, and the estimate is a moving
            # average, so the margin keeps the admitted from timing out later.
            expected_wait = (self.waiting + 1) * self.service_time / self.concurrency
            if self.waiting >= self.queue or expected_wait > self.queue_timeout / 2:
                return await self.busy(scope, send)
            self.waiting += 1
            metrics.HTTP_QUEUED.set(self.waiting)
            try:
                await asyncio.wait_for(slots.acquire(), self.queue_timeout)
            except TimeoutError:
                return await self.busy(scope, send)
            finally:
                self.waiting -= 1
                metrics.HTTP_QUEUED.set(self.waiting)
        else:
            await slots.acquire()
        self.running += 1
        metrics.HTTP_RUNNING.set(self.running)
        started = time.monotonic()
        try:
            return await self.app(scope, receive, send)
        finally:
            self.service_time += 0.1 * (time.monotonic() - started - self.service_time)
            self.running -= 1
            metrics.HTTP_RUNNING.set(self.running)
            slots.release()

    async def busy(self, scope, send) -> None:
        self.shed += 1
        metrics.HTTP_SHED.inc()
        now = time.monotonic()
        if now - self._last_warning >= 10:
            self._last_warning = now
            logger.warning(
                "overloaded: answering 503 (%d running, %d queued, %d shed so far)",
                self.running,
                self.waiting,
                self.shed,
            )
        if scope["path"].startswith("/api/"):
            body = json.dumps({"detail": BUSY_DETAIL, "code": "unavailable"}).encode()
            content_type = b"application/json"
        else:
            body = BUSY_DETAIL.encode()
            content_type = b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(self.retry_after).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
