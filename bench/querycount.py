"""Count every SQL statement a server process runs (bench only: BENCH_COUNT_QUERIES=1).

Each thread's DatabaseWrapper gets an execute wrapper when it connects, so
statements from request threads, from the sockets' database thread and from
any pool are all counted. BEGIN/COMMIT are not statements here, as in
Django's own query capture. GET /bench/queries/ answers the running total.
"""

import threading

from django.db.backends.signals import connection_created

_lock = threading.Lock()
_count = 0


def total() -> int:
    return _count


def _counting(execute, sql, params, many, context):
    global _count
    with _lock:
        _count += 1
    return execute(sql, params, many, context)


def _on_connect(sender, connection, **kwargs):
    if _counting not in connection.execute_wrappers:
        connection.execute_wrappers.append(_counting)


def install() -> None:
    connection_created.connect(_on_connect, dispatch_uid="bench-querycount")
