"""The load generator: a lean asyncio HTTP/1.1 client, socket helpers, and statistics.

No Django here. It runs in the bench's own process, apart from the servers it
loads, and spends as little CPU per request as it can, so the server under
test gets its core: one keep-alive connection per client, requests built as
bytes once, responses parsed by hand (status line, Content-Length or chunked).
Sockets use the `websockets` package, with no compression (the servers
differ in whether they accept it; zlib is not what is measured) and no
client pings (the server's own keep-alive pings still run).
"""

import asyncio
import json
import resource
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from websockets.asyncio.client import ClientConnection, connect

WS_PROTOCOL = "mastermind.v1"


def raise_fd_limit() -> int:
    """Lift the soft limit on open files to the hard one (thousands of sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- HTTP --------------------------------------------------------------------------


def build_request(
    method: str, path: str, *, port: int, token: str | None = None, body=None, headers: dict | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Token {token}")
    data = b""
    if body is not None:
        data = json.dumps(body, separators=(",", ":")).encode()
        lines.append("Content-Type: application/json")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(data)}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


class HttpProtocol(asyncio.Protocol):
    """One keep-alive connection, one request in flight at a time."""

    def __init__(self):
        self.transport = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            # A body delimited by the close (neither length nor chunks).
            parsed = self._parse(at_eof=True)
            if parsed is not None:
                self.waiter.set_result(parsed)
            else:
                self.waiter.set_exception(ConnectionResetError("connection closed mid-response"))

    def data_received(self, data):
        self.buffer += data
        if self.waiter is not None and not self.waiter.done():
            parsed = self._parse()
            if parsed is not None:
                self.waiter.set_result(parsed)

    def _parse(self, at_eof: bool = False):
        buf = self.buffer
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(buf[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length = None
        chunked = close = False
        retry_after = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = value.strip().lower() == "close"
            elif name == "retry-after":
                retry_after = value.strip()
        start = end + 4
        if chunked:
            body = bytearray()
            pos = start
            while True:
                line_end = buf.find(b"\r\n", pos)
                if line_end < 0:
                    return None
                size = int(bytes(buf[pos:line_end]).split(b";")[0], 16)
                if size == 0:
                    trailer_end = buf.find(b"\r\n\r\n", line_end)
                    if trailer_end < 0:
                        return None
                    consumed = trailer_end + 4
                    break
                if len(buf) < line_end + 2 + size + 2:
                    return None
                body += buf[line_end + 2 : line_end + 2 + size]
                pos = line_end + 2 + size + 2
        elif length is not None:
            if len(buf) < start + length:
                return None
            body = buf[start : start + length]
            consumed = start + length
        elif status in (204, 304):
            body, consumed = b"", start
        elif at_eof:
            body, consumed = buf[start:], len(buf)
        else:
            return None
        result = (status, bytes(body), close, retry_after)
        del buf[:consumed]
        return result


class HttpConnection:
    """A reconnecting keep-alive client for one host:port."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host = host
        self.port = port
        self.protocol: HttpProtocol | None = None
        self.retry_after: str | None = None  # the last response's Retry-After, if any

    async def _connect(self):
        loop = asyncio.get_running_loop()
        _, self.protocol = await loop.create_connection(HttpProtocol, self.host, self.port)

    async def request(self, data: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
        if self.protocol is None or self.protocol.closed:
            await asyncio.wait_for(self._connect(), timeout)
        protocol = self.protocol
        protocol.waiter = asyncio.get_running_loop().create_future()
        protocol.buffer.clear()
        protocol.transport.write(data)
        try:
            status, body, close, self.retry_after = await asyncio.wait_for(protocol.waiter, timeout)
        except BaseException:
            self.close()
            raise
        finally:
            protocol.waiter = None
        if close:
            self.close()
        return status, body

    async def json(self, data: bytes, timeout: float = 30.0) -> tuple[int, object]:
        status, body = await self.request(data, timeout)
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, body.decode(errors="replace")

    def close(self):
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.close()
        self.protocol = None


# --- sockets -----------------------------------------------------------------------


async def open_room_socket(
    port: int, room_code: str, token: str, *, timeout: float = 30.0
) -> ClientConnection:
    """A native client's room socket (token subprotocol, no Origin); returns after room.state."""
    ws = await connect(
        f"ws://127.0.0.1:{port}/ws/rooms/{room_code}/",
        subprotocols=[WS_PROTOCOL, f"token.{token}"],
        proxy=None,
        compression=None,
        open_timeout=timeout,
        close_timeout=2,
        ping_interval=None,
        max_queue=None,
    )
    first = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    if first.get("type") != "room.state":
        await ws.close()
        raise RuntimeError(f"expected room.state, got {str(first)[:200]}")
    return ws


# --- statistics ----------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Recorder:
    """What one workload saw: every outcome by name, and the latencies of successes and of failures apart."""

    latencies: list[float] = field(default_factory=list)
    failed_latencies: list[float] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    extra: Counter = field(default_factory=Counter)
    by_outcome: dict = field(default_factory=dict)

    def ok(self, seconds: float, outcome="ok"):
        self.latencies.append(seconds)
        self.outcomes[outcome] += 1
        self.by_outcome.setdefault(outcome, []).append(seconds)

    def fail(self, outcome: str, seconds: float | None = None):
        if seconds is not None:
            self.failed_latencies.append(seconds)
            self.by_outcome.setdefault(outcome, []).append(seconds)
        self.outcomes[outcome] += 1

    def merge(self, other: "Recorder"):
        self.latencies += other.latencies
        self.failed_latencies += other.failed_latencies
        self.outcomes.update(other.outcomes)
        self.extra.update(other.extra)
        for outcome, values in other.by_outcome.items():
            self.by_outcome.setdefault(outcome, []).extend(values)

    @property
    def count(self) -> int:
        return sum(self.outcomes.values())

    def p(self, q: float) -> float | None:
        """Percentile of the successful operations' latencies."""
        return percentile(self.latencies, q)

    def p_all(self, q: float) -> float | None:
        """Percentile over every answer, failures included (open loop)."""
        return percentile(self.latencies + self.failed_latencies, q)

    def p_of(self, outcome: str, q: float) -> float | None:
        return percentile(self.by_outcome.get(outcome, []), q)

    def median(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.perf_counter() + seconds

    def passed(self) -> bool:
        return time.perf_counter() >= self.end
