"""Limits per caller and the abuse found by probing: rate limits (429 with Retry-After and the
RateLimit headers, RESOURCE_EXHAUSTED on RPC), the live-hold cap, idempotency keys per caller, slow
and oversized request bodies, repeated or malformed caller headers, and one detail per field."""
from __future__ import annotations

import re
import socket
import time

import grpc
import pytest
import requests

from conftest import assert_error, raw_exchange, unique
from rpc_support import SERVICES, pb
from test_grpc import channel, stubs

EVENT = "evt_2025_1001"


def rss_kib(srv) -> int:
    with open(f"/proc/{srv.process.pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def test_rate_limit_burst_then_429_with_headers_other_callers_unaffected_refill_on_time(server):
    srv = server(demo=True, args=["--rate-limit-per-second", "1", "--rate-limit-burst", "3"])
    for _ in range(3):
        assert srv.hold(EVENT, 1, user="alice").status_code == 201
    refused = srv.hold(EVENT, 1, user="alice", key="k-refused")
    assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["RateLimit-Policy"] == '"per-caller";q=3;w=3'
    assert refused.headers["RateLimit"] == '"per-caller";r=0;t=1'
    # Another caller has a bucket of its own; reads are not limited.
    assert srv.hold(EVENT, 1, user="bob").status_code == 201
    assert srv.get(f"/v1/events/{EVENT}", user="alice").status_code == 200
    # Never stored: the same key works once a token is back.
    time.sleep(1.05)
    assert srv.hold(EVENT, 1, user="alice", key="k-refused").status_code == 201
    assert srv.hold(EVENT, 1, user="alice").status_code == 429
    # Anonymous callers share a bucket per client address.
    anonymous = lambda: requests.post(srv.base + "/v1/reservations", json={"eventId": EVENT, "quantity": 1},
                                      headers={"Idempotency-Key": unique("k")}, timeout=10)
    assert [anonymous().status_code for _ in range(4)] == [201, 201, 201, 429]
    reservation_pb2 = pb()[0]
    with channel(srv) as ch:
        with pytest.raises(grpc.RpcError) as limited:
            for _ in range(5):
                stubs()[SERVICES[0]](ch).CreateReservation(reservation_pb2.CreateReservationRequest(
                    event_id=EVENT, quantity=1, idempotency_key=unique("k")), metadata=(("x-user-id", "carol"),), timeout=10)
        assert limited.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert limited.value.details().startswith("RATE_LIMIT_EXCEEDED")
    metrics = requests.get(srv.base + "/metrics", timeout=10).text
    assert re.search(r"^rate_limited_total [1-9]", metrics, re.M), metrics


def test_live_hold_cap_is_a_stored_business_outcome(server):
    srv = server(demo=True, args=["--max-live-holds-per-user", "2"])
    first = srv.hold_ok(EVENT, 1, user="dave")
    srv.hold_ok(EVENT, 2, user="dave")
    capped = srv.hold(EVENT, 1, user="dave", key="cap-key")
    assert_error(capped, 409, "HOLD_LIMIT_EXCEEDED")
    again = srv.hold(EVENT, 1, user="dave", key="cap-key")
    assert again.status_code == 409 and again.headers.get("Idempotent-Replayed") == "true"
    assert srv.hold(EVENT, 1, user="erin").status_code == 201
    # Ending a hold makes room.
    assert srv.cancel(first["reservationId"], user="dave").status_code == 200
    assert srv.hold(EVENT, 1, user="dave").status_code == 201


def test_idempotency_keys_are_bounded_per_caller_not_only_globally(server):
    srv = server(demo=True, args=["--idempotency-keys-per-caller-max", "5"])
    # The cheapest keys: stored 404s of made-up reservations.
    for n in range(5):
        r = srv.post(f"/v1/reservations/rsv_nope{n}/cancel", user="mallory", key=unique("k"))
        assert_error(r, 404, "RESERVATION_NOT_FOUND")
    refused = srv.post("/v1/reservations/rsv_nope9/cancel", user="mallory", key=unique("k"))
    assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert int(refused.headers["Retry-After"]) >= 1
    # Everyone else is unaffected, and mallory's stored keys still replay.
    assert srv.hold(EVENT, 1, user="frank").status_code == 201


def slow_body(port: int, declared: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"POST /v1/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Idempotency-Key: {unique('k')}\r\nContent-Length: {declared}\r\n\r\n".encode())
    return sock


def test_a_body_trickled_a_byte_at_a_time_gets_408_and_frees_its_connection(server):
    srv = server(demo=True, args=["--max-connections", "4", "--head-timeout-seconds", "1",
                                  "--body-min-bytes-per-second", "1000", "--body-timeout-seconds", "5"])
    socks = [slow_body(srv.port, 1000) for _ in range(4)]
    started = time.monotonic()
    answers = []
    for sock in socks:
        sock.settimeout(0.25)
        buffer = b""
        while b"\r\n\r\n" not in buffer and time.monotonic() - started < 8:
            # One byte every quarter second: before, each byte re-armed the timeout forever.
            try:
                sock.sendall(b"{")
            except OSError:
                pass
            try:
                buffer += sock.recv(4096)
            except (socket.timeout, TimeoutError):
                pass
        answers.append(buffer)
    elapsed = time.monotonic() - started
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers), answers
    assert elapsed < 6, elapsed
    for sock in socks:
        sock.close()
    # The connections were freed: a normal client is served.
    assert srv.hold(EVENT, 1).status_code == 201


def test_bodies_are_not_reserved_up_front_and_bytes_in_flight_are_capped(server):
    srv = server(demo=True, args=["--body-bytes-in-flight-max", "1000000"])
    before = rss_kib(srv)
    socks = []
    for _ in range(300):
        sock = slow_body(srv.port, 1_000_000)
        sock.sendall(b"x" * 1000)
        socks.append(sock)
    time.sleep(0.5)
    grown = rss_kib(srv) - before
    # 300 declared MiB, 300 KB sent: memory follows what arrived, not what was declared.
    assert grown < 64 * 1024, f"RSS grew by {grown} KiB"
    # A request that pushes the bytes in flight past the cap is refused, and only it.
    big = slow_body(srv.port, 1_000_000)
    big.sendall(b"y" * 800_000)
    big.settimeout(5)
    answer = big.recv(4096)
    assert answer.startswith(b"HTTP/1.1 503"), answer
    assert b"retry-after: 1" in answer.lower()
    big.close()
    for sock in socks:
        sock.close()
    time.sleep(0.2)
    assert srv.hold(EVENT, 1).status_code == 201


def test_repeated_caller_and_key_headers_and_non_utf8_callers_are_400(server):
    srv = server(demo=True)
    body = b'{"eventId":"evt_2025_1001","quantity":1}'
    def post(headers: bytes) -> int:
        raw = (b"POST /v1/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers +
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        (status, _, payload), = raw_exchange(srv.port, [raw])[0]
        return status, payload
    status, payload = post(b"X-User-Id: alice\r\nX-User-Id: bob\r\nIdempotency-Key: k1\r\n")
    assert status == 400 and b"X-User-Id" in payload, payload
    status, payload = post(b"X-User-Id: alice\r\nIdempotency-Key: k2\r\nIdempotency-Key: k3\r\n")
    assert status == 400 and b"Idempotency-Key" in payload, payload
    # The REST door takes visible ASCII only (its API description says so), which refuses these too.
    status, payload = post(b"X-User-Id: al\xffice\r\nIdempotency-Key: k4\r\n")
    assert status == 400 and b"X-User-Id" in payload and b"visible ASCII" in payload, payload
    status, _ = post(b"X-User-Id: alice\r\nIdempotency-Key: k5\r\n")
    assert status == 201


def test_validation_details_name_each_field_once(server):
    srv = server(demo=True)
    r = srv.post("/v1/reservations", {"eventId": EVENT, "quantity": 3, "seatIds": ["A-1", "A-1", "Z-999"]}, key=unique("k"))
    err = assert_error(r, 400, "INVALID_REQUEST")
    assert r.text.count('"seatIds"') == 1, r.text
    assert "seatIds" in err["details"]
