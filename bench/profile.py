"""Profile one workload's daphne with py-spy: `.venv/bin/python bench/profile.py --workload rest`.

Sets up like bench/perf.py (its own database, seed users, raised throttles),
starts one daphne serving config.asgi:application, drives it with 32
closed-loop clients (`rest`: REST guesses; `socket`: `make_move` over the
room socket; `hello`, `me`, `rooms`), and meanwhile runs
`py-spy record --pid <daphne> --duration N --format raw --nonblocking`.
Prints the top frames by own time (the frame was running) and by total time
(the frame was on the stack) as Markdown, over the samples of busy threads
(py-spy leaves out idle ones unless --idle; --gil keeps only the thread
holding the GIL, i.e. Python CPU without waits); keeps the raw stacks (`--raw`)
for a flame graph (e.g. with inferno or speedscope). Needs py-spy
(`.venv/bin/pip install py-spy`) and the right to ptrace (root, or
CAP_SYS_PTRACE).
"""

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

TREE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TREE))

from bench import loadgen, perf, workloads  # noqa: E402

WORKLOADS = {
    "rest": lambda: workloads.RestGuess(),
    "socket": lambda: workloads.SocketGuess(),
    "hello": lambda: workloads.HttpGet("hello", "/bench/hello/", authenticated=False),
    "hello-signed-in": lambda: workloads.HttpGet(
        "hello-signed-in", "/bench/hello-signed-in/", authenticated=True
    ),
    "page-signed-in": lambda: workloads.HttpGet(
        "page-signed-in", "/bench/hello-signed-in-page/", authenticated=True
    ),
    "me": lambda: workloads.HttpGet("me", "/api/v1/auth/me/", authenticated=True),
    "rooms": lambda: workloads.HttpGet("rooms", "/api/v1/rooms/", authenticated=True),
}
# Frames on nearly every stack that say nothing about the work: threads, loops,
# the sync/async bridges and the middleware chains that wrap each request or socket.
# (The bridges' own cost shows in the own-time table.) --all-frames keeps them.
PLUMBING = (
    "(threading.py)",
    "(concurrent/futures/thread.py)",
    "(asyncio/events.py)",
    "(asyncio/base_events.py)",
    "(twisted/",
    "(daphne/",
    "(bin/daphne)",
    "<frozen runpy>",
    "<module> (",
    "(asgiref/sync.py)",
    "(asgiref/current_thread_executor.py)",
    "(django/core/handlers/",
    "convert_exception_to_response",
    "MiddlewareMixin.",
    "WhiteNoiseMiddleware.__call__",
    "_view_wrapper (django/views/decorators/csrf.py)",
    "as_view.<locals>.view",
    "(channels/consumer.py)",
    "(channels/utils.py)",
    "(channels/routing.py)",
    "(channels/sessions.py)",
    "(channels/auth.py)",
    "(channels/middleware.py)",
    "(channels/security/websocket.py)",
    "DatabaseSyncToAsync.thread_handler",
    "BotRunnerMiddleware.__call__",
    "TokenAuthMiddleware.__call__",
    "OriginPolicy.__call__",
    "Middleware.__acall__",
)
FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def short_path(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3.", str(TREE) + "/"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker == "/lib/python3." else tail
    return path


def frame_name(frame: str) -> str:
    """`function (file:line)` → `function (short/file.py)`: one entry per function."""
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    return f"{match['func']} ({short_path(match['file'])})"


def summarize(
    raw: str, top: int, top_total: int, *, all_frames: bool = False
) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    own: Counter = Counter()
    total: Counter = Counter()
    samples = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [frame_name(f) for f in stack.split(";") if f]
        # py-spy's raw output starts a stack with the process/thread when asked to; keep code frames only.
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples += n
        own[frames[-1]] += n
        for name in set(frames):
            if all_frames or not any(mark in name for mark in PLUMBING):
                total[name] += n
    return samples, own.most_common(top), total.most_common(top_total)


def table(title: str, rows: list[tuple[str, int]], samples: int) -> list[str]:
    out = [f"| {title} | samples | share |", "|---|---:|---:|"]
    for name, n in rows:
        out.append(f"| `{name}` | {n:,} | {n / samples * 100:.1f} % |")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="rest")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=12, help="rows of the own-time table")
    parser.add_argument("--top-total", type=int, default=25, help="rows of the total-time table")
    parser.add_argument("--idle", action="store_true", help="include idle threads (waits) in the samples")
    parser.add_argument(
        "--gil", action="store_true", help="sample only the thread holding the GIL: Python CPU, no waits"
    )
    parser.add_argument("--raw", help="keep py-spy's raw (collapsed) stacks in this file")
    parser.add_argument(
        "--all-frames", action="store_true", help="keep the plumbing frames in the total table"
    )
    parser.add_argument("--from-raw", help="only summarize this raw file of an earlier run")
    parser.add_argument(
        "--share",
        action="append",
        default=[],
        metavar="TEXT",
        help="also print the share of samples whose stack contains TEXT (repeatable), e.g. check_throttles",
    )
    args = parser.parse_args()
    if args.from_raw:
        samples, own, total = summarize(
            Path(args.from_raw).read_text(), args.top, args.top_total, all_frames=args.all_frames
        )
        print_tables(samples, own, total)
        print_shares(Path(args.from_raw).read_text(), args.share)
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    perf.remember_original_env()
    loadgen.raise_fd_limit()
    plan = perf.Plan(list_rooms=100 if args.workload == "rooms" else 0, fanout_moves=1)
    with tempfile.TemporaryDirectory(prefix="mm-profile-") as tmp:
        env = perf.prepare_env(Path(tmp), Path(tmp))
        db_cpu = perf.DbCpu(env)
        bench = None
        try:
            seed = perf.seed(plan, random.Random(9))
            bench = perf.Bench(args, plan, env, seed, db_cpu)
            server = bench.start("daphne (profiled)", "daphne", perf.APP)
            raw_path = Path(args.raw) if args.raw else Path(tmp) / "profile.txt"
            command = [
                py_spy,
                "record",
                *("--pid", str(server.process.pid)),
                *("--duration", str(args.seconds)),
                *("--rate", str(args.rate)),
                *("--format", "raw", "--output", str(raw_path), "--nonblocking"),
                *(["--idle"] if args.idle else []),
                *(["--gil"] if args.gil else []),
            ]
            work = WORKLOADS[args.workload]()
            result = {}

            def load():
                async def go():
                    clients = workloads.make_clients(perf.CLIENTS, [server.port], seed.tokens)
                    await workloads.closed_loop(work, clients, 2.0, bench.probe(server))  # warm-up
                    spy = subprocess.Popen(  # noqa: S603 - py-spy on our own server
                        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                    )
                    result["spy"] = spy
                    result["m"] = await workloads.closed_loop(
                        work, clients, args.seconds + 1.0, bench.probe(server)
                    )
                    for c in clients:
                        await c.close()

                perf.run_async(go())

            load()
            spy = result["spy"]
            _, err = spy.communicate(timeout=args.seconds + 60)
            if spy.returncode != 0:
                raise SystemExit(f"py-spy failed ({spy.returncode}): {err.decode(errors='replace')[-2000:]}")
            raw_text = raw_path.read_text()
            samples, own, total = summarize(raw_text, args.top, args.top_total, all_frames=args.all_frames)
        finally:
            if bench is not None:
                for s in bench.started:
                    s.stop()
            if db_cpu.conn is not None:
                db_cpu.conn.close()
            perf.teardown_env(env)
    m = result["m"]
    print(
        f"py-spy on daphne (`config.asgi:application`), workload {work.name}, 32 clients, "
        f"{args.seconds} s at {args.rate} Hz{' with idle threads' if args.idle else ''}"
        f"{', GIL holder only' if args.gil else ''}, "
        f"{time.strftime('%Y-%m-%d')} on {perf.git_describe()}; the load meanwhile: {perf.describe(m)}; "
        f"{samples:,} samples."
    )
    print()
    print(f"Command: `{perf.the_command('bench/profile.py')}`")
    print()
    print_tables(samples, own, total)
    print_shares(raw_text, args.share)


def print_shares(raw: str, needles: list[str]) -> None:
    if not needles:
        return
    samples, hits = 0, dict.fromkeys(needles, 0)
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples += int(count)
        for needle in needles:
            if needle in stack:
                hits[needle] += int(count)
    print()
    print("| samples with this on the stack | share |")
    print("|---|---:|")
    for needle, n in hits.items():
        print(f"| `{needle}` | {n / samples * 100:.1f} % |")


def print_tables(samples: int, own: list, total: list) -> None:
    print("\n".join(table("own time (leaf frame)", own, samples)))
    print()
    print(
        "\n".join(
            table(
                "total time (on the stack; threads, loops, bridges and middleware chains left out)",
                total,
                samples,
            )
        )
    )


if __name__ == "__main__":
    main()
