"""Where the async doors (sockets, the bot loop) run their database work.

Channels' `database_sync_to_async` is thread-sensitive: every call in a
server process runs on one thread, so each socket's query waits behind every
other socket's, and under load half that thread's time was spent waiting on
PostgreSQL round trips (issue #9's profile). Socket work is independent per
call (each service is its own transaction and locks the rows it needs), so
it runs here on a bounded pool of WS_DB_THREADS threads instead. Connections
are closed (returned to the psycopg pool) around each call, as Channels does.
"""

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor

from channels import db as channels_db
from django.conf import settings
from django.db import connections

executor = ThreadPoolExecutor(max_workers=settings.WS_DB_THREADS, thread_name_prefix="ws-db")


def database_sync_to_async(func):
    """`func` as an awaitable that runs on the socket database pool.

    What Channels' `DatabaseSyncToAsync(func, thread_sensitive=False,
    executor=...)` does, without asgiref's per-call context copying and
    bookkeeping (a few per cent of a socket move's CPU): the call runs in a
    pool thread between two `close_old_connections()`. Nothing the socket
    code runs reads the caller's context variables.
    """

    @functools.wraps(func)
    async def call(*args, **kwargs):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, functools.partial(_closing, func, args, kwargs))

    return call


def _closing(func, args, kwargs):
    # Looked up on channels.db at each call: Channels' test communicator
    # replaces it with a no-op, as it does for DatabaseSyncToAsync.
    # close_old_connections is django.db's, re-exported by channels.db (not in its stubs).
    channels_db.close_old_connections()  # type: ignore[attr-defined]
    try:
        return func(*args, **kwargs)
    finally:
        channels_db.close_old_connections()  # type: ignore[attr-defined]


def close_connections() -> None:
    """Close the database connection each pool thread holds (their pool connections go back).

    Each call closes its connection when it ends; this is for when that did
    not run, as under Channels' test communicator, which turns it off.
    """
    workers = len(executor._threads)
    if not workers:
        return
    # One task per thread: each waits at the barrier until all are running,
    # so no thread takes two and every thread takes one.
    barrier = threading.Barrier(workers)

    def close():
        barrier.wait(timeout=10)
        connections.close_all()

    for future in [executor.submit(close) for _ in range(workers)]:
        future.result()
