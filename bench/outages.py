"""Moves through a Redis outage and a PostgreSQL restart, against real processes (issue #10).

Starts its own throwaway redis-server and a private PostgreSQL cluster
(games/tests/backing.py), migrates, starts one daphne from this checkout on
them with the production defaults (only the throttles raised), and runs
games/tests/outage_play.py's players twice: once while Redis is killed and
restarted, once while PostgreSQL is stopped (fast shutdown) and started.
Prints the figures as Markdown for docs/deploy.md "Outages".

    DEBUG=0 SECRET_KEY=bench-only .venv/bin/python bench/outages.py [--players 8] [--pace 0.5]
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from games.tests import backing  # noqa: E402
from games.tests.outage_play import Figures, run_outage  # noqa: E402
from games.tests.servers import (  # noqa: E402
    HIGH_RATE,
    THROTTLE_SCOPES,
    LiveServer,
    _stop,
    _wait_until_healthy,
    daphne_command,
    free_port,
    http_json,
)


@contextlib.contextmanager
def daphne(env: dict, logdir: Path):
    port = free_port()
    log_path = logdir / "daphne.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [*daphne_command(), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(port=port, process=process, log_path=log_path, env=env)
    try:
        _wait_until_healthy(server, 60)
        yield server
    finally:
        _stop(process)


def row(name: str, f: Figures, health: str) -> str:
    closes = ", ".join(f"{n}× {code}" for code, n in sorted(f.socket_closes.items())) or "none"
    other = ", ".join(f"{n}× {status}" for status, n in sorted(f.other.items())) or "0"
    back = "at once (nothing refused)" if f.back_after is None or not f.refused else f"{f.back_after:.2f} s"
    return (
        f"| {name} | {f.outage_seconds:.1f} s | {back} | {f.moves} | {f.attempts} | {f.accepted} | {f.refused} | {other} | {f.lost} | {f.doubled} "
        f"| {f.slowest_answer_during_outage:.2f} s | {health} | {closes} | {f.sockets_exact}/{f.sockets} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=8)
    parser.add_argument("--moves", type=int, default=3, help="moves per player before and after the outage")
    parser.add_argument("--outage-moves", type=int, default=10, help="attempts per player while it is down")
    parser.add_argument(
        "--pace", type=float, default=0.5, help="seconds between a player's attempts while down"
    )
    args = parser.parse_args()
    if reason := backing.missing_servers():
        sys.exit(f"bench/outages.py {reason}")

    with (
        tempfile.TemporaryDirectory(prefix="mm-outages-") as tmp,
        backing.postgres_cluster() as pg,
        backing.redis_process() as redis,
    ):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only",
            "DATABASE_URL": pg.url,
            "REDIS_URL": redis.url,
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **{f"THROTTLE_{scope.upper()}": HIGH_RATE for scope in THROTTLE_SCOPES},
        }
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        rows, raw = [], {}
        with daphne(env, Path(tmp)) as server:
            for name, service in (("Redis killed, restarted", redis), ("PostgreSQL stopped, started", pg)):
                health = {}

                def during(figures, team, health=health):
                    started = time.monotonic()
                    status, body = http_json("GET", f"{server.http_url}/healthz", timeout=30)
                    failed = [k for k, v in (body or {}).get("checks", {}).items() if v != "ok"]
                    health["text"] = (
                        f"{status} ({', '.join(failed) or 'none'}) in {time.monotonic() - started:.2f} s"
                    )

                figures = run_outage(
                    server,
                    players=args.players,
                    moves_per_phase=args.moves,
                    outage_moves=args.outage_moves,
                    pace=args.pace,
                    stop=service.stop,
                    start=service.start,
                    during=during,
                )
                rows.append(row(name, figures, health.get("text", "?")))
                raw[name] = figures.as_dict()
            log = server.log_path.read_text(errors="replace")

    print(
        "| outage | down for | first move accepted after restart | moves | requests | accepted | refused (503) | other answers | lost | doubled "
        "| slowest answer while down | /healthz while down | socket closes | sockets exact |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print(f"Tracebacks in the server log: {log.count('Traceback')}")
    print(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
