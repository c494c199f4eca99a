"""The in-process benchmark (the first one; `make bench` now runs bench/perf.py).

`DEBUG=0 SECRET_KEY=b .venv/bin/python bench/run.py`, embedded or with
DATABASE_URL/REDIS_URL set. Drives the REST API through DRF's test client in
this process, with no server, on a throwaway database (created and destroyed
here; on PostgreSQL it is named mm_bench_inproc, never a test database other
runs use), and prints a Markdown table. Timings are medians of repeated runs
on a shared, noisy machine: read them as orders of magnitude and ratios.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from games import rules, services  # noqa: E402


def median_seconds(
    func, *, repeat: int = 5, number: int = 1, clock=time.perf_counter, warm: int = 0
) -> float:
    """Median seconds per call of `clock` (wall time; `time.process_time` for this process's CPU)."""
    for _ in range(warm):
        func()
    samples = []
    for _ in range(repeat):
        start = clock()
        for _ in range(number):
            func()
        samples.append((clock() - start) / number)
    return statistics.median(samples)


def bench_score(rows):
    for length, colors in ((4, 6), (8, 10)):
        gs = rules.GameSettings(code_length=length, colors=colors)
        pairs = [(rules.draw_secret(gs), rules.draw_secret(gs)) for _ in range(1000)]

        def run(pairs=pairs):
            for secret, guess in pairs:
                rules.score(secret, guess)

        per_call = median_seconds(run) / len(pairs)
        rows.append((f"rules.score, {length} pegs × {colors} colours", f"{per_call * 1e6:.2f} µs/call"))


def api_client(user):
    client = APIClient()
    _, token = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def bench_api(rows):
    from django.contrib.auth import get_user_model

    from games.api import room_list

    # Through override_settings, so DRF reloads its cached settings.
    override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.THROTTLE_DEFAULTS, "1000000/min"),
        }
    ).enable()
    users = [get_user_model().objects.create_user(f"bench{i}", password="x") for i in range(8)]
    clients = [api_client(u) for u in users]

    # 100 public rooms of 4 players for the list.
    for i in range(100):
        room = services.room_create(user=users[i % 8], mode="race")
        for j in range(1, 4):
            services.room_join(room_code=room.code, user=users[(i + j) % 8])
    rows.append(
        (
            "GET /api/v1/rooms/ (page of 20, 100 rooms × 4 players)",
            f"{median_seconds(lambda: clients[0].get('/api/v1/rooms/'), repeat=20) * 1e3:.1f} ms",
        )
    )

    def list_rendered_afresh():
        room_list._kept.clear()  # as before games/api/room_list.py: every room read and serialised
        clients[0].get("/api/v1/rooms/")

    rows.append(
        (
            "the same, every room rendered afresh (kept renderings dropped before each call)",
            f"{median_seconds(list_rendered_afresh, repeat=20) * 1e3:.1f} ms",
        )
    )

    room = services.quick_play(user=users[0], max_guesses=20)
    rows.append(
        (
            "GET /api/v1/rooms/{code}/",
            f"{median_seconds(lambda: clients[0].get(f'/api/v1/rooms/{room.code}/'), repeat=20) * 1e3:.1f} ms",
        )
    )

    # Guess POSTs: solo rooms of 20 guesses, never the secret.
    timings = []
    for _ in range(10):
        room = services.quick_play(user=users[1], max_guesses=20)
        room.refresh_from_db()
        wrong = [(room.secret[0] + 1) % 6, *room.secret[1:]]
        for _ in range(19):
            start = time.perf_counter()
            response = clients[1].post(f"/api/v1/rooms/{room.code}/guesses/", {"guess": wrong}, format="json")
            timings.append(time.perf_counter() - start)
            assert response.status_code == 201, response.content
    timings.sort()
    rows.append(
        (
            f"POST /api/v1/rooms/{{code}}/guesses/ ({len(timings)} guesses)",
            f"median {statistics.median(timings) * 1e3:.1f} ms, p95 {timings[int(len(timings) * 0.95)] * 1e3:.1f} ms",
        )
    )


def bench_guess_service(rows):
    """CPU per `services.guess_submit` call, the service alone (issue #9).

    As under a server: broadcasts go to an event loop of their own thread
    (games.events.server_loop). Process CPU time (every thread), so the
    figure holds on a busy machine better than wall time does; a quick play
    every 19 guesses is included, as in `make bench`'s guess workloads.
    """
    import asyncio
    import threading

    from django.contrib.auth import get_user_model

    from games import events

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    events.server_loop = loop
    user = get_user_model().objects.create_user("bench-guesser", password="x")

    def play(guesses: int) -> None:
        done = 0
        while done < guesses:
            room = services.quick_play(user=user, max_guesses=20)
            wrong = [(room.secret[0] + 1) % 6, *room.secret[1:]]
            for _ in range(min(19, guesses - done)):
                services.guess_submit(room_code=room.code, user=user, guess=wrong)
                done += 1

    try:
        play(50)  # warm: statements built, connections made
        samples = []
        for _ in range(5):
            start = time.process_time()
            play(200)
            samples.append((time.process_time() - start) / 200)
    finally:
        events.server_loop = None
        loop.call_soon_threadsafe(loop.stop)
    rows.append(
        (
            "services.guess_submit, CPU per call (5 × 200 calls, median)",
            f"{statistics.median(samples) * 1e3:.2f} ms",
        )
    )


def bench_floors(rows):
    """The pieces every authenticated REST request pays before its own work (issue #9's ratio targets).

    What an authenticated request adds to the hello view, each alone and as
    served: Knox's token check (one statement compiled once, a SHA-512), the
    user throttle (one Redis script, or the local cache embedded), one more
    statement compiled once, and `me`'s own two reads. CPU per call of this
    process (the database's own CPU is not in it).
    """
    from django.contrib.auth import get_user_model
    from rest_framework.renderers import JSONRenderer

    from accounts.auth import TokenAuthentication
    from config import rows as compiled
    from config.api.throttling import UserRateThrottle, socket_allows
    from games import ratings, selectors
    from games.api import room_list
    from games.models import Rating

    user = get_user_model().objects.create_user("bench-floor", password="x")
    _, token = AuthToken.objects.create(user=user)
    Rating.objects.create(user=user, mode="race", mu=1500.0, sigma=300.0, games=3, wins=1)
    auth = TokenAuthentication()
    key = token.encode()
    figures = [
        (
            "Knox token check (`authenticate_credentials`: 1 statement + SHA-512)",
            lambda: auth.authenticate_credentials(key),
        ),
        ("user throttle check (`UserRateThrottle`)", lambda: socket_allows(UserRateThrottle, user)),
        (
            "one more statement compiled once (`config.rows.select`, 1 row)",
            lambda: compiled.select(Rating, "user", user.pk),
        ),
        (
            "`me`'s own reads (`player_stats` + `ratings.of_user`)",
            lambda: (selectors.player_stats(user=user), ratings.of_user(user)),
        ),
    ]
    rooms = list(selectors.room_keys_visible(user=user).order_by("-created_at")[:20])
    page = room_list.render_page(rooms, user=user)
    figures.append(
        (f"JSON of a page of {len(page)} rooms (`JSONRenderer`)", lambda: JSONRenderer().render(page))
    )
    for name, func in figures:
        rows.append(
            (
                f"{name}, CPU per call",
                f"{median_seconds(func, number=500, clock=time.process_time, warm=20) * 1e3:.3f} ms",
            )
        )


def main():
    setup_test_environment()
    db_label = connection.vendor
    if db_label == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = "mm_bench_inproc"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    rows = []
    try:
        bench_score(rows)
        bench_guess_service(rows)
        bench_api(rows)
        bench_floors(rows)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    layer = "redis" if settings.REDIS_URL else "in-memory"
    print(f"Database: {db_label}; channel layer: {layer}; Python {sys.version.split()[0]}")
    print()
    print("| benchmark | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
