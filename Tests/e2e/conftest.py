"""Fixtures for the end-to-end suite: the real release binary, started on a temporary database and a
free port, driven over real sockets.

Run from the repository root after a release build:
    swift build -c release --product reservation-server
    python3 -m pytest -q Tests/e2e
`E2E_BINARY` overrides the binary path.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("E2E_BINARY", ROOT / ".build" / "release" / "reservation-server"))
TIMEOUT = 10  # seconds, for every HTTP request
START_TIMEOUT = 15  # seconds until "listening" and readiness


class ServerExited(Exception):
    def __init__(self, code: int, output: str):
        super().__init__(f"server exited with {code} before it was ready:\n{output}")
        self.code = code
        self.output = output


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:16]}"


class Server:
    """One server process on one database file, plus a small HTTP client for it.

    `restart()` stops the process (SIGTERM or SIGKILL) and starts a new one on the same database.
    Every caller thread gets its own keep-alive connection (requests.Session is not thread-safe).
    """

    def __init__(self, binary: Path, workdir: Path, *, demo: bool, hold_seconds: float | None, args: list[str]):
        self.binary = binary
        self.workdir = workdir
        self.db = workdir / "r.db"
        self.demo = demo
        self.hold_seconds = hold_seconds
        self.args = list(args)
        self.user = unique("user_")
        self.process: subprocess.Popen | None = None
        self.port: int | None = None
        self.grpc_port: int | None = None
        self.starts = 0
        self._local = threading.local()
        self._generation = 0

    # -- process ---------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.starts}.log"

    def command(self) -> list[str]:
        cmd = [str(self.binary), "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--db", str(self.db)]
        if self.demo:
            cmd.append("--demo")
        if self.hold_seconds is not None:
            cmd += ["--hold-seconds", str(self.hold_seconds)]
        return cmd + self.args

    def start(self) -> None:
        self.starts += 1
        self._generation += 1
        out = open(self.log_path, "wb")
        try:
            self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            out.close()
        deadline = time.monotonic() + START_TIMEOUT
        self.port = None
        while self.port is None:
            self._check_alive()
            for line in self.log_lines():
                if line.get("msg") == "listening":
                    self.port = int(line["port"])
                    self.grpc_port = int(line["grpcPort"]) if "grpcPort" in line else None
            if time.monotonic() > deadline:
                raise AssertionError(f"no 'listening' log line within {START_TIMEOUT}s:\n{self.log_tail()}")
            time.sleep(0.01)
        while True:
            self._check_alive()
            try:
                if requests.get(self.base + "/actuator/health/readiness", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"readiness not 200 within {START_TIMEOUT}s:\n{self.log_tail()}")
            time.sleep(0.01)

    def _check_alive(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise ServerExited(code, self.log_tail())

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, expect: int | None = None) -> int:
        """Signals the process and waits for it; asserts the exit status (0 after SIGTERM)."""
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"server did not exit within 20 s of signal {sig}:\n{self.log_tail()}")
        if expect is None:
            expect = 0 if sig in (signal.SIGTERM, signal.SIGINT) else -sig
        assert code == expect, f"exit status {code} after signal {sig}, expected {expect}:\n{self.log_tail()}"
        self._drop_sessions()
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self, sig: int = signal.SIGTERM, before_start=None) -> None:
        """Stops with `sig` (SIGTERM → exit 0, SIGKILL) and starts again on the same database.
        `before_start` runs in between (e.g. to wait until holds are past their deadline)."""
        self.stop(sig)
        if before_start is not None:
            before_start()
        self.start()

    def log_lines(self) -> list[dict]:
        lines = []
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return lines
        for raw in text.splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                pass
        return lines

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return "(no log)"

    # -- HTTP --------------------------------------------------------------------------------------

    def session(self) -> requests.Session:
        local = self._local
        if getattr(local, "generation", None) != self._generation:
            local.session = requests.Session()
            local.generation = self._generation
        return local.session

    def _drop_sessions(self) -> None:
        self._generation += 1

    def request(self, method: str, path: str, *, json_body=None, data=None, headers=None, user: str | None = None,
                key: str | None = None, timeout: float = TIMEOUT) -> requests.Response:
        h = {"X-User-Id": user or self.user}
        if key is not None:
            h["Idempotency-Key"] = key
        if data is not None and "Content-Type" not in (headers or {}):
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":"))
            h.setdefault("Content-Type", "application/json")
        if isinstance(data, str):
            data = data.encode()
        return self.session().request(method, self.base + path, data=data, headers=h, timeout=timeout)

    def get(self, path: str, **kw) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> requests.Response:
        return self.request("POST", path, json_body=body, **kw)

    # -- domain helpers ----------------------------------------------------------------------------

    def create_event(self, sections=(("A", 10, 10000),), *, event_id: str | None = None, currency: str = "KRW",
                     name: str = "E2E event") -> str:
        event_id = event_id or unique("evt_e2e_")
        body = {"eventId": event_id, "name": name, "currency": currency,
                "sections": [{"name": n, "seats": s, "price": p} for n, s, p in sections]}
        r = self.post("/v1/events", body)
        assert r.status_code == 201, f"create event: {r.status_code} {r.text}"
        return event_id

    def hold(self, event_id: str, quantity: int, seat_ids=None, *, user: str | None = None, key: str | None = None,
             token: str | None = None, **extra) -> requests.Response:
        body = {"eventId": event_id, "quantity": quantity}
        if seat_ids is not None:
            body["seatIds"] = list(seat_ids)
        if token is not None:
            body["reservationToken"] = token
        body.update(extra)
        return self.post("/v1/reservations", body, user=user, key=key or unique("key-"))

    def hold_ok(self, event_id: str, quantity: int, seat_ids=None, **kw) -> dict:
        r = self.hold(event_id, quantity, seat_ids, **kw)
        assert r.status_code == 201, f"hold {quantity} {seat_ids}: {r.status_code} {r.text}"
        return r.json()

    def reservation(self, rid: str, *, user: str | None = None, **kw) -> requests.Response:
        return self.get(f"/v1/reservations/{rid}", user=user, **kw)

    def confirm(self, rid: str, *, payment: str = "pay_e2e", user: str | None = None, **kw) -> requests.Response:
        return self.post("/v1/reservations/confirm", {"reservationId": rid, "paymentIntentId": payment}, user=user, **kw)

    def cancel(self, rid: str, *, user: str | None = None, **kw) -> requests.Response:
        return self.post("/v1/reservations/cancel", {"reservationId": rid}, user=user, **kw)

    def availability(self, event_id: str) -> dict:
        r = self.get(f"/v1/events/{event_id}/availability")
        assert r.status_code == 200, f"availability: {r.status_code} {r.text}"
        return r.json()

    def seats(self, event_id: str, status: str | None = None) -> list[dict]:
        """Every seat of the event (following cursors), optionally of one status."""
        out, cursor = [], None
        while True:
            q = "limit=1000" + (f"&status={status}" if status else "") + (f"&cursor={cursor}" if cursor else "")
            r = self.get(f"/v1/events/{event_id}/seats?{q}")
            assert r.status_code == 200, f"seats: {r.status_code} {r.text}"
            page = r.json()
            out += page["seats"]
            cursor = page["nextCursor"]
            if cursor is None:
                return out


RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def parse_time(text: str) -> float:
    """RFC 3339 UTC with a `Z` → POSIX seconds; fails the test on any other form."""
    assert isinstance(text, str) and RFC3339_Z.match(text), f"not an RFC 3339 UTC time with Z: {text!r}"
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def assert_error(r: requests.Response, status: int, code: str, *, path: str | None = None) -> dict:
    """Asserts the documented error envelope and returns its `error` object."""
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text}"
    assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err.get("code") == code, f"expected code {code}: {body}"
    for field in ("message", "timestamp", "path", "traceId"):
        assert isinstance(err.get(field), str) and err[field], f"error.{field} missing or empty: {body}"
    parse_time(err["timestamp"])
    if path is not None:
        assert err["path"] == path, body
    return err


def assert_counts_consistent(av: dict, sections) -> None:
    """available + held + sold == totalSeats, overall and per section, and the section sizes are the
    ones the event was created with (`sections`: (name, seats, price) tuples)."""
    total = sum(s[1] for s in sections)
    assert av["totalSeats"] == total, av
    assert av["available"] + av["held"] + av["sold"] == total, av
    assert [s["name"] for s in av["sections"]] == [s[0] for s in sections], av
    for got, (name, seats, _price) in zip(av["sections"], sections):
        assert got["available"] + got["held"] + got["sold"] == seats, (name, av)
        assert min(got["available"], got["held"], got["sold"]) >= 0, av
    for field in ("available", "held", "sold"):
        assert av[field] == sum(s[field] for s in av["sections"]), (field, av)


def raw_exchange(port: int, payloads: list[bytes], timeout: float = 5,
                 pipeline: bool = False) -> tuple[list[tuple[int, dict, bytes]], bool]:
    """Sends each payload on one TCP connection, reading one response (with Content-Length) after each
    (or, with `pipeline`, sends them all at once and then reads the responses); returns the responses
    (status, lower-case headers, body) and whether the server then closed the connection (EOF within
    half a second)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    responses = []
    try:
        reader = sock.makefile("rb")
        if pipeline:
            sock.sendall(b"".join(payloads))
        for payload in payloads:
            if not pipeline:
                sock.sendall(payload)
            status_line = reader.readline()
            if not status_line:
                return responses, True
            status = int(status_line.split()[1])
            headers = {}
            while True:
                line = reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = reader.read(int(headers.get("content-length", "0")))
            responses.append((status, headers, body))
        sock.settimeout(0.5)
        try:
            closed = reader.read(1) == b""
        except (socket.timeout, TimeoutError):
            closed = False
    finally:
        sock.close()
    return responses, closed


@pytest.fixture(scope="session")
def binary() -> Path:
    if not (BINARY.is_file() and os.access(BINARY, os.X_OK)):
        pytest.fail(f"release binary not found at {BINARY}: build it first with "
                    "`swift build -c release --product reservation-server` (scripts/test.sh does), "
                    "or point E2E_BINARY at it", pytrace=False)
    return BINARY


@pytest.fixture
def server(binary, tmp_path):
    """Factory: `server(demo=False, hold_seconds=None, args=())` starts a fresh binary on its own temporary
    database and a free port and returns a ready `Server`. At the end every server still running gets
    SIGTERM and must exit 0. With `hold_seconds` set, a refused flag (exit 2) skips the test."""
    started: list[Server] = []

    def start(*, demo: bool = False, hold_seconds: float | None = None, args=()) -> Server:
        workdir = tmp_path / f"server{len(started)}"
        workdir.mkdir()
        srv = Server(binary, workdir, demo=demo, hold_seconds=hold_seconds, args=list(args))
        started.append(srv)
        try:
            srv.start()
        except ServerExited as e:
            if e.code == 2 and hold_seconds is not None and "hold-seconds" in e.output:
                pytest.skip(f"this build refuses --hold-seconds (exit 2): {e.output.strip()[-200:]}")
            raise
        return srv

    yield start
    failures = []
    for srv in started:
        if srv.running:
            try:
                srv.stop(signal.SIGTERM)
            except AssertionError as e:
                failures.append(str(e))
    assert not failures, "\n".join(failures)
