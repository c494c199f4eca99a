"""Server processes for the benchmarks, and what /proc says about them.

Each server is a subprocess of the bench on a free port of 127.0.0.1, with
its output in a log file, started with the bench's environment (and its raised limit on open files)
(DJANGO_SETTINGS_MODULE=bench.settings, raised throttles, the bench's own
database and Redis prefixes) and stopped with SIGTERM. CPU is read from
/proc/<pid>/stat (utime + stime) summed over the server's process tree, so a
server that forks workers (granian) is counted whole.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command_for(kind: str, app: str, port: int) -> list[str]:
    """The command line of one serving stack for the ASGI app `app` ("module:attribute")."""
    if kind == "daphne":
        # As `make run` serves: one process, Twisted's reactor.
        return [str(BIN / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), app]
    if kind == "uvicorn":
        # uvloop and httptools (installed beside it) are picked up automatically.
        return [
            *(str(BIN / "uvicorn"), app),
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--ws", "websockets", "--lifespan", "off", "--no-access-log", "--log-level", "warning"),
        ]
    if kind == "granian":
        # asginl: ASGI without lifespan (Channels' router refuses that scope).
        return [
            *(str(BIN / "granian"), "--interface", "asginl"),
            *("--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
            *("--log-level", "warning", app),
        ]
    raise ValueError(kind)


@dataclass
class Server:
    name: str
    kind: str
    app: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_count(self, needle: str) -> int:
        try:
            return self.log_path.read_text(errors="replace").count(needle)
        except OSError:
            return 0

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)

    def cpu_seconds(self) -> float:
        return sum(pid_cpu_seconds(pid) for pid in self.pids())

    def rss_bytes(self) -> int:
        return sum(pid_rss_bytes(pid) for pid in self.pids())

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self):
        stop_process(self.process)


def stop_process(process: subprocess.Popen, timeout: float = 10.0):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def process_tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc's parent ids."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def pid_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rfind(b")") + 2 :].split()
    # Fields 14 and 15 of stat(5); the slice starts at field 3.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def pid_rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


def _http_status(url: str, timeout: float = 2.0) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:  # noqa: S310 - our own loopback URL
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def start_server(
    name: str,
    kind: str,
    app: str,
    *,
    env: dict,
    cwd: Path,
    log_dir: Path,
    ready_path: str,
    timeout: float = 60,
) -> Server:
    """Start one server and wait until `ready_path` answers 200."""
    last_error = "no answer"
    for _attempt in range(3):
        port = free_port()
        log_path = log_dir / f"{name}-{port}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own command line
                command_for(kind, app, port),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = Server(name=name, kind=kind, app=app, port=port, process=process, log_path=log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                if _http_status(f"http://127.0.0.1:{port}{ready_path}") == 200:
                    return server
            except OSError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1)
        stop_process(process)
        last_error = f"exit {process.returncode}; log tail:\n{server.log_tail()}"
        if "Address already in use" not in server.log_tail():
            break
    raise RuntimeError(f"{name} did not start: {last_error}")


@contextlib.contextmanager
def running(*servers: Server):
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()
