"""`DATABASE_URL=sqlite:///…` gets the embedded SQLite settings (issue #10, defect 6).

Without WAL, a busy timeout and IMMEDIATE transactions, concurrent writers
on SQLite fail with 500 "database is locked". A real daphne on a SQLite
file named by DATABASE_URL serves 8 players guessing at once: every answer
is a 2xx or a 4xx, none a 5xx.
"""

import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from games.tests.servers import http_json, live_server, server_env

pytestmark = pytest.mark.django_db

PLAYERS = 8
GUESSES = 10


def test_concurrent_writers_on_a_database_url_sqlite_file_get_no_500(tmp_path: Path):
    path = tmp_path / "url.sqlite3"
    # Admission control must not shed these requests (an honest 503): every
    # writer gets in, so a 5xx can only be the database's.
    extra = {
        "DATABASE_URL": f"sqlite:///{path}",
        "HTTP_MAX_CONCURRENCY": str(PLAYERS),
        "HTTP_QUEUE_TIMEOUT": "120",
    }
    subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=server_env(extra),
        check=True,
        timeout=300,
    )
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    with live_server(extra) as server:
        start = threading.Barrier(PLAYERS)

        def player(number: int) -> None:
            seen = []
            status, body = http_json(
                "POST",
                f"{server.http_url}/api/v1/auth/register/",
                body={"username": f"writer{number}", "password": "a long passphrase 42"},
                timeout=60,
            )
            seen.append(status)
            token = body["token"] if status == 201 else None
            start.wait(timeout=120)
            for _ in range(3):
                status, room = http_json(
                    "POST", f"{server.http_url}/api/v1/quick-play/", token=token, body={}, timeout=60
                )
                seen.append(status)
                if status != 201:
                    continue
                for _ in range(GUESSES):
                    status, _ = http_json(
                        "POST",
                        f"{server.http_url}/api/v1/rooms/{room['code']}/guesses/",
                        token=token,
                        body={"guess": [0, 1, 2, 3]},
                        timeout=60,
                    )
                    seen.append(status)
            with lock:
                statuses.update(seen)

        threads = [threading.Thread(target=player, args=(n,)) for n in range(PLAYERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        log = server.log_tail(80)

    server_errors = {status: n for status, n in statuses.items() if status >= 500}
    assert not server_errors, f"{server_errors} of {sum(statuses.values())} requests; log:\n{log}"
    assert statuses[201] >= PLAYERS * 4
    assert "database is locked" not in log
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
