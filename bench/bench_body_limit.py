"""Time-to-413 on a 50 MB body against the production backend (Granian), vs a small request.

Starts `reflex run --env prod --backend-only` on a free port (tests/e2e/prod_server.py). Run:
    python bench/bench_body_limit.py [--rounds 20]

- small: `POST /v1/events` with `[]` (202) on a fresh connection — the baseline.
- declared: headers announcing `Content-Length: 52428800`; the 413 comes before any body byte.
- streamed: chunked 64 KB pieces, sent until the response arrives (a reader thread watches):
  the 413 comes once MAX_EVENTS_BODY_BYTES have streamed in; the rest is never sent.
Times are from the first byte written to the status line read, medians over the rounds.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import prod_server
from bench.results import emit
from tests.e2e.prod_server import start_backend_only

FIFTY_MB = 50 * 1024 * 1024
CHUNK = b"x" * (64 * 1024)
HEAD = b"POST /v1/events HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"


def _status(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        piece = sock.recv(4096)
        if not piece:
            break
        data += piece
    return data.split(b"\r\n", 1)[0]


def small(addr: tuple[str, int]) -> tuple[float, int]:
    with socket.create_connection(addr, timeout=30) as sock:
        start = time.perf_counter()
        sock.sendall(HEAD + b"Content-Length: 2\r\nConnection: close\r\n\r\n[]")
        line = _status(sock)
        return time.perf_counter() - start, 0 if line.startswith(b"HTTP/1.1 202") else -1


def declared(addr: tuple[str, int]) -> tuple[float, int]:
    with socket.create_connection(addr, timeout=30) as sock:
        start = time.perf_counter()
        sock.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % FIFTY_MB)
        line = _status(sock)
        assert line.startswith(b"HTTP/1.1 413"), line
        return time.perf_counter() - start, 0


def streamed(addr: tuple[str, int]) -> tuple[float, int]:
    """Send chunks until the response arrives; returns (seconds, body bytes sent)."""
    with socket.create_connection(addr, timeout=30) as sock:
        answered = threading.Event()
        lines: list[bytes] = []

        def read() -> None:
            lines.append(_status(sock))
            answered.set()

        reader = threading.Thread(target=read)
        start = time.perf_counter()
        sock.sendall(HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
        reader.start()
        sent = 0
        frame = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
        try:
            while not answered.is_set() and sent < FIFTY_MB:
                sock.sendall(frame)
                sent += len(CHUNK)
        except OSError:  # the server closed after answering
            pass
        reader.join(timeout=30)
        elapsed = time.perf_counter() - start
        assert lines and lines[0].startswith(b"HTTP/1.1 413"), lines
        return elapsed, sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"small": [], "declared": [], "streamed": []}
    sent: list[int] = []
    with prod_server(start_backend_only) as server:
        host, port = server.url.removeprefix("http://").split(":")
        addr = (host, int(port))
        for _ in range(args.rounds):
            runs["small"].append(small(addr)[0])
            runs["declared"].append(declared(addr)[0])
            seconds, body = streamed(addr)
            runs["streamed"].append(seconds)
            sent.append(body)
    base = statistics.median(runs["small"]) * 1000
    for name, label in (("declared", "declared Content-Length"), ("streamed", "streamed")):
        ms = statistics.median(runs[name]) * 1000
        extra = (
            f", {statistics.median(sent) / 1e6:.1f} MB of 52.4 MB sent"
            if name == "streamed"
            else ""
        )
        print(f"{label}: 413 after {ms:.1f} ms{extra} (small request {base:.1f} ms)")
        emit(
            f"50 MB POST /v1/events → 413, {label} (Granian, median of {args.rounds})",
            f"{ms:.1f} ms{extra}",
            f"small POST → 202 {base:.1f} ms",
            ms / base,
            "time-to-413 < 100 ms",
            ms < 100,
        )


if __name__ == "__main__":
    main()
