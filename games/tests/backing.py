"""Throwaway PostgreSQL and Redis servers that a test (or bench/outages.py) may stop and start.

Outage tests must never touch the shared services other people use, so each
scenario starts its own: `redis-server` on a free port with no persistence,
and a private PostgreSQL cluster (`initdb` + `pg_ctl`) in a temporary
directory on a free port. Both are child processes, stopped on exit. As root
(as in CI containers) PostgreSQL runs as the `postgres` user, which it
requires.
"""

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from games.tests.servers import free_port

START_TIMEOUT = 30.0


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian's layout, or on PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def missing_servers() -> str | None:
    """Why the outage tests cannot run here, or None."""
    if not redis_server_binary():
        return "needs the redis-server binary (Debian: redis-server)"
    if not postgres_bin_dir():
        return "needs PostgreSQL's server binaries (Debian: postgresql)"
    return None


@dataclass
class RedisProcess:
    port: int
    workdir: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, self.process, "redis-server")

    def stop(self) -> None:
        """Kill it (SIGKILL): an outage, not a shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def redis_process() -> Iterator[RedisProcess]:
    with tempfile.TemporaryDirectory(prefix="mm-redis-") as tmp:
        redis = RedisProcess(port=free_port(), workdir=Path(tmp))
        redis.start()
        try:
            yield redis
        finally:
            redis.stop()


@dataclass
class PostgresCluster:
    port: int
    datadir: Path
    sockdir: Path
    bindir: Path
    database: str = "mm_outage"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)  # noqa: S603

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.datadir), "-o", options, "-l", str(self.datadir / "log"), "-w", "start"
        )

    def stop(self) -> None:
        """Fast shutdown: sessions are ended, in-flight transactions rolled back."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    bindir = postgres_bin_dir()
    tmp = Path(tempfile.mkdtemp(prefix="mm-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
        cluster = PostgresCluster(port=free_port(), datadir=tmp / "data", sockdir=tmp, bindir=bindir)
        cluster._run("initdb", "-D", str(cluster.datadir), "-A", "trust", "-U", "postgres", timeout=120)
        cluster.start()
        try:
            cluster._run(
                "createdb", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", cluster.database
            )
            yield cluster
        finally:
            with contextlib.suppress(subprocess.SubprocessError):
                cluster._run("pg_ctl", "-D", str(cluster.datadir), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen, name: str) -> None:
    import socket

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on {port} within {START_TIMEOUT:.0f} s")
