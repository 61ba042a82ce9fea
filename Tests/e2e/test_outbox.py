"""Outbox delivery as consumers see it (API.md, "Outbox events"): the pull feed with long polling,
the Server-Sent Events stream, and webhook push with retries, dead events, per-subject order and
pruning — against the release binary and a scriptable receiver."""
from __future__ import annotations

import json
import random
import re
import socket
import sqlite3
import threading
import time

import pytest
import requests

from conftest import assert_error, unique
from outbox_receiver import Answer, Receiver, reserved_port


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout}s")
        time.sleep(interval)


def metric(srv, name: str, labels: str = "") -> float:
    text = srv.get("/metrics").text
    pattern = re.escape(name + (("{" + labels + "}") if labels else "")) + r" (\S+)"
    match = re.search(r"^" + pattern + "$", text, re.M)
    return float(match.group(1)) if match else 0.0


def all_events(srv) -> list[dict]:
    events, after = [], 0
    while True:
        page = srv.get(f"/v1/outbox/events?after={after}&limit=1000").json()
        events += page["events"]
        if not page["events"]:
            return events
        after = page["nextAfter"]


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(behaviour=None, port: int = 0) -> Receiver:
        receiver = Receiver(behaviour, port)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


# -- pull feed -------------------------------------------------------------------------------------


def test_feed_pages_cloud_events_in_sequence(server):
    srv = server(demo=True)
    held = srv.hold_ok("evt_2025_1001", 2)
    assert srv.confirm(held["reservationId"]).status_code == 200
    page = srv.get("/v1/outbox/events?after=0&limit=2").json()
    assert [e["type"] for e in page["events"]] == ["event.created", "reservation.created"]
    assert page["nextAfter"] == page["events"][-1]["sequence"]
    created = page["events"][1]
    assert created["specversion"] == "1.0" and created["datacontenttype"] == "application/json"
    assert created["subject"] == held["reservationId"] and created["source"] == "/reservation-server"
    assert created["id"].startswith("evn_") and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created["time"])
    assert created["data"]["seatIds"] == held["seatIds"] and created["data"]["status"] == "HOLD"
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", created["traceparent"])
    rest = srv.get(f"/v1/outbox/events?after={page['nextAfter']}").json()
    assert [e["type"] for e in rest["events"]] == ["reservation.confirmed"]
    assert rest["events"][0]["data"]["orderId"].startswith("ord_")
    empty = srv.get(f"/v1/outbox/events?after={rest['nextAfter']}").json()
    assert empty == {"events": [], "nextAfter": rest["nextAfter"]}


def test_feed_parameters_are_checked(server):
    srv = server()
    for query in ["after=-1", "after=x", "limit=0", "limit=1001", "waitSeconds=31", "waitSeconds=-1"]:
        body = assert_error(srv.get(f"/v1/outbox/events?{query}"), 400, "INVALID_REQUEST")
        assert body["details"], query
    assert_error(srv.get("/v1/outbox/stream?after=abc"), 400, "INVALID_REQUEST")
    assert_error(srv.get("/v1/outbox/stream", headers={"Last-Event-ID": "x"}), 400, "INVALID_REQUEST")


def test_long_poll_returns_within_50ms_of_a_commit(server):
    srv = server(demo=True)
    after = all_events(srv)[-1]["sequence"]
    best = None
    # The best of five tries: a shared CI machine may deschedule any one of them.
    for attempt in range(5):
        result = {}

        def poll():
            r = requests.get(f"{srv.base}/v1/outbox/events?after={after}&waitSeconds=10", timeout=15)
            result["at"] = time.monotonic()
            result["body"] = r.json()

        thread = threading.Thread(target=poll)
        thread.start()
        time.sleep(0.3)  # parked by now
        held = srv.hold_ok("evt_2025_1001", 1)
        committed = time.monotonic()
        thread.join()
        assert result["body"]["events"][0]["subject"] == held["reservationId"]
        after = result["body"]["nextAfter"]
        lag = result["at"] - committed
        best = lag if best is None else min(best, lag)
        if best <= 0.05:
            break
    assert best <= 0.05, f"the long poll answered {best * 1000:.0f} ms after the hold's 201"


def test_long_poll_ends_empty_when_the_wait_is_over(server):
    srv = server()
    start = time.monotonic()
    r = srv.get("/v1/outbox/events?after=1000&waitSeconds=1", timeout=5)
    elapsed = time.monotonic() - start
    assert r.status_code == 200 and r.json() == {"events": [], "nextAfter": 1000}
    assert 0.9 <= elapsed <= 2.0, elapsed


# -- Server-Sent Events ----------------------------------------------------------------------------


class SSEClient:
    """A raw-socket SSE reader: events as (id, event, data) and comment lines."""

    def __init__(self, port: int, headers: dict | None = None, query: str = ""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.sock.sendall(f"GET /v1/outbox/stream{query} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n{extra}\r\n".encode())
        self.buffer = b""
        self.events: list[tuple[int, str, dict]] = []
        self.comments = 0
        self.head = self._read_head()

    def _read_head(self) -> str:
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed before the head"
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        return head.decode()

    def read_until(self, predicate, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise AssertionError(f"stream condition not met within {timeout}s; {len(self.events)} events")
            if not chunk:
                raise AssertionError("stream closed")
            self.buffer += chunk
            while b"\n\n" in self.buffer:
                block, self.buffer = self.buffer.split(b"\n\n", 1)
                fields = {}
                for line in block.decode().split("\n"):
                    if line.startswith(":"):
                        self.comments += 1
                        continue
                    name, _, value = line.partition(": ")
                    fields[name] = value
                if "data" in fields:
                    self.events.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))

    def close(self) -> None:
        self.sock.close()


def test_stream_sends_events_and_resumes_from_last_event_id(server):
    srv = server(demo=True, args=["--outbox-heartbeat-seconds", "0.3"])
    client = SSEClient(srv.port)
    assert " 200 " in client.head.split("\r\n")[0] and "text/event-stream" in client.head
    client.read_until(lambda: len(client.events) >= 1)
    assert client.events[0][1] == "event.created" and client.events[0][0] == client.events[0][2]["sequence"]
    first = srv.hold_ok("evt_2025_1001", 1)
    client.read_until(lambda: any(e[2]["subject"] == first["reservationId"] for e in client.events))
    client.read_until(lambda: client.comments >= 2, timeout=3)  # heartbeats while idle
    last_seen = client.events[-1][0]
    client.close()

    # While disconnected, more happens; a reconnect with Last-Event-ID gets exactly what it missed.
    missed = [srv.hold_ok("evt_2025_1001", 1)["reservationId"] for _ in range(5)]
    again = SSEClient(srv.port, headers={"Last-Event-ID": str(last_seen)})
    again.read_until(lambda: len(again.events) >= 5)
    assert [e[2]["subject"] for e in again.events] == missed
    assert [e[0] for e in again.events] == sorted(e[0] for e in again.events) and again.events[0][0] == last_seen + 1
    again.close()


def test_stream_count_is_limited(server):
    srv = server(args=["--outbox-streams-max", "1"])
    first = SSEClient(srv.port)
    assert " 200 " in first.head.split("\r\n")[0]
    r = srv.get("/v1/outbox/stream", timeout=5)
    assert_error(r, 503, "SERVICE_UNAVAILABLE")
    first.close()
    # The slot frees once the first stream is gone.
    wait_until(lambda: " 200 " in SSEClient(srv.port).head.split("\r\n")[0], timeout=5, message="a new stream")


# -- webhook push ----------------------------------------------------------------------------------


def test_webhook_delivers_every_event_and_the_backlog_empties(server, receivers):
    receiver = receivers()
    srv = server(demo=True, args=["--outbox-webhook-url", receiver.url])
    held = [srv.hold_ok("evt_2025_1001", 1) for _ in range(20)]
    for h in held[:5]:
        assert srv.confirm(h["reservationId"]).status_code == 200
    expected = {e["id"] for e in all_events(srv)}
    wait_until(lambda: receiver.delivered_ids() >= expected, message="every event delivered")
    wait_until(lambda: metric(srv, "outbox_backlog") == 0, message="backlog 0")
    first = receiver.requests[0]
    assert first.headers["Content-Type"] == "application/cloudevents+json"
    assert first.headers["ce-id"] == first.event["id"] and first.headers["ce-type"] == first.event["type"]
    assert metric(srv, "outbox_delivered_total") >= len(expected)
    assert metric(srv, "outbox_delivery_lag_seconds_count") >= len(expected)
    # The feed still lists them: delivery does not remove events before the retention period.
    assert {e["id"] for e in all_events(srv)} == expected


def test_webhook_retries_5xx_timeouts_and_refused_connections(server, receivers):
    def flaky(event, attempt):
        if event["type"] == "reservation.created" and attempt <= 2:
            return Answer(status=503)
        return Answer()

    receiver = receivers(flaky)
    srv = server(demo=True, args=["--outbox-webhook-url", receiver.url])
    held = srv.hold_ok("evt_2025_1001", 1)
    wait_until(lambda: any(e["subject"] == held["reservationId"] for e in receiver.delivered()), message="delivered after 503s")
    tries = [r for r in receiver.requests if r.event["subject"] == held["reservationId"]]
    assert [r.status for r in tries] == [503, 503, 204]
    assert metric(srv, "outbox_delivery_attempts_total", 'result="retryable_status"') >= 2

    # No answer within --outbox-timeout-seconds: the attempt is retried.
    def hanging(event, attempt):
        return Answer(hang=2.0) if attempt == 1 else Answer()

    slow = receivers(hanging)
    srv2 = server(demo=True, args=["--outbox-webhook-url", slow.url, "--outbox-timeout-seconds", "0.5"])
    wait_until(lambda: len(slow.delivered()) >= 1, message="delivered after a timeout")
    assert slow.requests[0].status is None and metric(srv2, "outbox_delivery_attempts_total", 'result="timeout"') >= 1

    # Nobody listening yet: connection errors are retried until the receiver comes up.
    placeholder = reserved_port()
    port = placeholder.getsockname()[1]
    srv3 = server(demo=True, args=["--outbox-webhook-url", f"http://127.0.0.1:{port}/events"])
    try:
        wait_until(lambda: metric(srv3, "outbox_delivery_attempts_total", 'result="connection_error"') >= 1,
                   message="a refused connection")
    except AssertionError as e:
        seen = [line for line in srv3.get("/metrics").text.splitlines() if line.startswith("outbox_")]
        raise AssertionError(f"{e}\n" + "\n".join(seen) + "\n" + srv3.log_tail()) from None
    finally:
        placeholder.close()
    late = receivers(port=port)
    wait_until(lambda: len(late.delivered()) >= 1, timeout=15, message="delivered once the receiver is up")
    wait_until(lambda: metric(srv3, "outbox_backlog") == 0, message="backlog 0")


def test_webhook_honours_retry_after(server, receivers):
    receiver = receivers(lambda event, attempt: Answer(status=429, headers={"Retry-After": "1"}) if attempt == 1 else Answer())
    server(demo=True, args=["--outbox-webhook-url", receiver.url])
    wait_until(lambda: len(receiver.delivered()) >= 1, message="delivered after a 429")
    first, second = receiver.requests[0], receiver.requests[1]
    assert first.status == 429 and second.event["id"] == first.event["id"]
    assert second.at - first.at >= 0.95, f"retried after {second.at - first.at:.2f}s despite Retry-After: 1"


def test_dead_events_are_listed_and_can_be_retried(server, receivers):
    gone = {"on": True}
    receiver = receivers(lambda event, attempt: Answer(status=410) if gone["on"] and event["type"] == "reservation.created" else Answer())
    srv = server(demo=True, args=["--outbox-webhook-url", receiver.url])
    held = srv.hold_ok("evt_2025_1001", 1)
    assert srv.cancel(held["reservationId"]).status_code == 200
    # 410 is not retried: the event is dead at once, and the subject's next event goes on.
    wait_until(lambda: any(e["type"] == "reservation.cancelled" for e in receiver.delivered()), message="the later event")
    dead = wait_until(lambda: srv.get("/v1/outbox/dead").json()["events"], message="a dead event")
    assert len(dead) == 1 and dead[0]["event"]["subject"] == held["reservationId"]
    assert dead[0]["attempts"] == 1 and "410" in dead[0]["lastError"]
    assert metric(srv, "outbox_dead_total") == 1 and metric(srv, "outbox_backlog") == 0

    gone["on"] = False
    event_id = dead[0]["event"]["id"]
    r = srv.post(f"/v1/outbox/dead/{event_id}/retry")
    assert r.status_code == 200 and r.json()["event"]["id"] == event_id
    wait_until(lambda: event_id in receiver.delivered_ids(), message="the retried event delivered")
    assert srv.get("/v1/outbox/dead").json()["events"] == []
    assert_error(srv.post(f"/v1/outbox/dead/{event_id}/retry"), 404, "OUTBOX_EVENT_NOT_FOUND")
    assert_error(srv.post("/v1/outbox/dead/evn_nope/retry"), 404, "OUTBOX_EVENT_NOT_FOUND")


def test_max_attempts_make_an_event_dead(server, receivers):
    receiver = receivers(lambda event, attempt: Answer(status=500))
    srv = server(demo=True, args=["--outbox-webhook-url", receiver.url, "--outbox-max-attempts", "3"])
    dead = wait_until(lambda: srv.get("/v1/outbox/dead").json()["events"], timeout=15, message="dead after 3 attempts")
    assert dead[0]["attempts"] == 3 and "500" in dead[0]["lastError"]
    assert len(receiver.requests) == 3


def test_per_subject_order_holds_while_other_subjects_proceed(server, receivers):
    rng = random.Random(7)
    lock = threading.Lock()

    def unreliable(event, attempt):
        with lock:
            failed = rng.random() < 0.3
        return Answer(status=500) if failed else Answer(delay=rng.random() * 0.002)

    receiver = receivers(unreliable)
    srv = server(demo=True, args=["--outbox-webhook-url", receiver.url, "--outbox-max-attempts", "1000"])
    event_id = srv.create_event((("A", 200, 100),))
    ids = [srv.hold_ok(event_id, 1)["reservationId"] for _ in range(40)]
    for index, rid in enumerate(ids):
        if index % 2 == 0:
            assert srv.confirm(rid).status_code == 200
        else:
            assert srv.cancel(rid).status_code == 200
    expected = {e["id"] for e in all_events(srv)}
    wait_until(lambda: receiver.delivered_ids() >= expected, timeout=60, message="every event delivered")
    by_subject: dict[str, list[int]] = {}
    for event in receiver.delivered():
        by_subject.setdefault(event["subject"], []).append(event["sequence"])
    for subject, sequences in by_subject.items():
        assert sequences == sorted(sequences), f"{subject} delivered out of order: {sequences}"
    assert any(r.status == 500 for r in receiver.requests), "the receiver did fail some attempts"


def test_delivered_events_are_pruned_after_the_retention_period(server, receivers):
    receiver = receivers()
    srv = server(demo=True, args=["--outbox-webhook-url", receiver.url, "--outbox-retention-hours", "0.0003"])
    srv.hold_ok("evt_2025_1001", 1)
    wait_until(lambda: len(receiver.delivered()) >= 2, message="delivered")
    wait_until(lambda: all_events(srv) == [], timeout=10, message="pruned")
    # Without a webhook the pull feed's events go by their age.
    pull = server(demo=True, args=["--outbox-retention-hours", "0.0003"])
    assert all_events(pull)
    wait_until(lambda: all_events(pull) == [], timeout=10, message="pruned without a webhook")
    assert metric(pull, "outbox_backlog") == 0


def test_every_committed_event_is_delivered_at_least_once_across_kill_9(server, receivers):
    """At least once under crash: holds, confirms and cancels flow to a slow receiver; the server is
    killed at a random moment and restarted; every committed event arrives, in order per subject,
    and duplicates are only what was in flight."""
    receiver = receivers(lambda event, attempt: Answer(delay=0.002))
    srv = server(demo=True, args=["--outbox-webhook-url", receiver.url])
    event_id = srv.create_event((("A", 1500, 100), ("B", 1500, 100)))
    target = 2000
    made = {"n": 0}
    count_lock = threading.Lock()

    def load(worker: int):
        rng = random.Random(worker)
        session = requests.Session()
        while True:
            with count_lock:
                if made["n"] >= target:
                    return
            try:
                r = session.post(f"{srv.base}/v1/reservations", json={"eventId": event_id, "quantity": 1},
                                 headers={"Idempotency-Key": unique("k"), "X-User-Id": f"u{worker}"}, timeout=5)
                if r.status_code != 201:
                    continue
                with count_lock:
                    made["n"] += 1
                rid = r.json()["reservationId"]
                action = rng.choice(["confirm", "cancel", "keep"])
                if action != "keep":
                    session.post(f"{srv.base}/v1/reservations/{rid}/{action}", json={"paymentIntentId": "p"},
                                 headers={"X-User-Id": f"u{worker}"}, timeout=5)
            except (requests.RequestException, ValueError):
                # The server is down or restarting: try again on a new connection.
                session = requests.Session()
                time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    kill_at = random.randint(300, target - 300)
    wait_until(lambda: made["n"] >= kill_at, timeout=60, message=f"{kill_at} holds before the kill")
    srv.kill()
    srv.start()
    for thread in threads:
        thread.join()
    committed = {e["id"]: e for e in all_events(srv)}
    assert len(committed) > 100
    wait_until(lambda: receiver.delivered_ids() >= set(committed), timeout=120, message="every committed event delivered")
    wait_until(lambda: metric(srv, "outbox_backlog") == 0, message="backlog 0")

    delivered = receiver.delivered()
    first_seen: dict[str, list[int]] = {}
    seen: set[str] = set()
    for event in delivered:
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        first_seen.setdefault(event["subject"], []).append(event["sequence"])
    for subject, sequences in first_seen.items():
        assert sequences == sorted(sequences), f"{subject} out of order: {sequences}"
    duplicates = len(delivered) - len(seen)
    assert duplicates <= 200, f"{duplicates} duplicates: more than was in flight at the kill"
    # The database agrees: nothing is left undelivered.
    with sqlite3.connect(srv.db) as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE delivered_at_ms IS NULL").fetchone()[0] == 0


def test_a_stream_that_does_not_read_is_disconnected_and_blocks_nobody(server):
    srv = server(args=["--pending-output-bytes-max", "4096", "--outbox-streams-max", "1"])
    event_id = srv.create_event((("A", 1000, 100),))
    for _ in range(600):
        srv.hold_ok(event_id, 1)
    # A reader with a tiny window asks for everything from the start, then never reads.
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    slow.connect(("127.0.0.1", srv.port))
    slow.sendall(b"GET /v1/outbox/stream?after=0 HTTP/1.1\r\nHost: x\r\n\r\n")
    # Holds go on at full speed meanwhile.
    start = time.monotonic()
    for _ in range(200):
        srv.hold_ok(event_id, 1)
    assert time.monotonic() - start < 20
    # The stream was dropped (its slot is free again), and what it had buffered ends in EOF or a reset.
    wait_until(lambda: " 200 " in SSEClient(srv.port).head.split("\r\n")[0], timeout=10, message="the slot freed")
    slow.settimeout(10)
    received = 0
    try:
        while True:
            chunk = slow.recv(65536)
            if not chunk:
                break
            received += len(chunk)
    except ConnectionResetError:
        pass
    assert received < 800 * 600, f"the slow stream got {received} bytes: everything, instead of being cut off"
    slow.close()
