"""The Connect protocol on the REST port (RPC.md), driven by connect-python, buf curl and plain HTTP."""
import base64
import gzip
import json
import os
import random
import shutil
import subprocess
import time
import zlib

import pytest
import requests
from connectrpc.code import Code
from connectrpc.errors import ConnectError

from conftest import unique
from rpc_support import SERVICES, Connect, error_info, pb

EVENT = "evt_2025_1001"
CREATE = "/reservation.v1.ReservationService/CreateReservation"


@pytest.fixture
def demo(server):
    return server(demo=True)


def rpc_error(call) -> ConnectError:
    with pytest.raises(ConnectError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("json_codec", [False, True], ids=["proto", "json"])
def test_every_method_of_both_service_names(demo, service, json_codec):
    reservation_pb2, types_pb2, _, _ = pb()
    client = Connect(demo.base, json=json_codec, service=service)
    user = {"x-user-id": unique("rpc_")}

    created, headers = client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=2, idempotency_key=unique("k-")), headers=user)
    assert created.reservation_id.startswith("rsv_")
    assert created.status == reservation_pb2.RESERVATION_STATUS_HOLD
    assert [s.section for s in created.reserved_seats] == ["A", "A"]
    assert all(s.status == types_pb2.SEAT_STATUS_RESERVED and s.price.amount == 10000 and s.price.currency == "KRW"
               for s in created.reserved_seats)
    assert created.total_amount.amount == 20000
    assert created.hold_expires_at.seconds > time.time() + 50
    assert "idempotent-replayed" not in headers

    got, _ = client.call("GetReservation", reservation_pb2.GetReservationRequest(reservation_id=created.reservation_id),
                         headers=user)
    assert got.reservation.reservation_id == created.reservation_id
    assert got.reservation.user_id == user["x-user-id"]
    assert [s.id for s in got.reservation.seats] == [s.id for s in created.reserved_seats]
    assert got.reservation.hold_expires_at == created.hold_expires_at

    listed, _ = client.call("ListReservations", reservation_pb2.ListReservationsRequest(), headers=user)
    assert [r.reservation_id for r in listed.reservations] == [created.reservation_id]
    assert not listed.page_info.has_next

    extended, _ = client.call("ExtendHold", reservation_pb2.ExtendHoldRequest(
        reservation_id=created.reservation_id, extension_seconds=30), headers=user)
    assert extended.extension_allowed and extended.extended_seconds == 30
    assert extended.new_expires_at.seconds == created.hold_expires_at.seconds + 30

    confirmed, _ = client.call("ConfirmReservation", reservation_pb2.ConfirmReservationRequest(
        reservation_id=created.reservation_id, payment_intent_id="pay_rpc"), headers=user)
    assert confirmed.order_id.startswith("ord_")
    assert confirmed.status == reservation_pb2.RESERVATION_STATUS_CONFIRMED
    assert all(s.status == types_pb2.SEAT_STATUS_SOLD for s in confirmed.confirmed_seats)

    other, _ = client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, idempotency_key=unique("k-")), headers=user)
    cancelled, _ = client.call("CancelReservation", reservation_pb2.CancelReservationRequest(
        reservation_id=other.reservation_id, reason="changed my mind"), headers=user)
    assert cancelled.status == reservation_pb2.RESERVATION_STATUS_CANCELLED
    assert [s.status for s in cancelled.released_seats] == [types_pb2.SEAT_STATUS_AVAILABLE]

    # The REST door sees the same reservations.
    rest = demo.get(f"/v1/reservations/{created.reservation_id}", user=user["x-user-id"]).json()
    assert rest["status"] == "CONFIRMED" and rest["orderId"] == confirmed.order_id


def test_caller_comes_from_metadata_then_the_request_then_anonymous(demo):
    reservation_pb2 = pb()[0]
    client = Connect(demo.base)
    by_field, _ = client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, user_id="field-user", idempotency_key=unique("k-")))
    assert demo.get(f"/v1/reservations/{by_field.reservation_id}", user="field-user").status_code == 200
    # Metadata wins over the field.
    by_header, _ = client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, user_id="field-user", idempotency_key=unique("k-")), headers={"x-user-id": "header-user"})
    assert demo.get(f"/v1/reservations/{by_header.reservation_id}", user="header-user").status_code == 200
    # Another caller's reservation is not found, through either door.
    error = rpc_error(lambda: client.call("GetReservation", reservation_pb2.GetReservationRequest(
        reservation_id=by_field.reservation_id, user_id="someone-else")))
    assert error.code == Code.NOT_FOUND
    # Neither: anonymous.
    anonymous, _ = client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, idempotency_key=unique("k-")))
    assert demo.get(f"/v1/reservations/{anonymous.reservation_id}", user="anonymous").status_code == 200


def test_error_mapping_rows_with_error_info(demo):
    reservation_pb2 = pb()[0]
    client = Connect(demo.base)
    user = {"x-user-id": unique("err_")}

    def expect(code, reason, call, metadata=None):
        error = rpc_error(call)
        assert error.code == code, f"{reason}: {error.code} {error.message}"
        assert error.message.startswith(reason + ":"), error.message
        info = error_info(error)
        assert info.reason == reason and info.domain == "reservation.v1"
        if metadata is not None:
            assert dict(info.metadata) == metadata
        return error

    create = lambda **kw: client.call("CreateReservation", reservation_pb2.CreateReservationRequest(**kw), headers=user)
    expect(Code.INVALID_ARGUMENT, "INVALID_REQUEST", lambda: create(event_id=EVENT, quantity=11, idempotency_key="k1"),
           {"quantity": "must be between 1 and 10"})
    expect(Code.INVALID_ARGUMENT, "MISSING_IDEMPOTENCY_KEY", lambda: create(event_id=EVENT, quantity=1))
    expect(Code.NOT_FOUND, "EVENT_NOT_FOUND", lambda: create(event_id="evt_nope", quantity=1, idempotency_key=unique("k")))
    held, _ = create(event_id=EVENT, quantity=1, seat_ids=["E-100"], idempotency_key=unique("k"))
    expect(Code.ABORTED, "SEAT_UNAVAILABLE", lambda: create(event_id=EVENT, quantity=1, seat_ids=["E-100"],
                                                             idempotency_key=unique("k")))
    key = unique("k")
    create(event_id=EVENT, quantity=1, idempotency_key=key)
    expect(Code.ALREADY_EXISTS, "IDEMPOTENCY_CONFLICT", lambda: create(event_id=EVENT, quantity=2, idempotency_key=key))
    expect(Code.NOT_FOUND, "RESERVATION_NOT_FOUND", lambda: client.call(
        "GetReservation", reservation_pb2.GetReservationRequest(reservation_id="rsv_nope"), headers=user))
    client.call("CancelReservation", reservation_pb2.CancelReservationRequest(reservation_id=held.reservation_id), headers=user)
    expect(Code.FAILED_PRECONDITION, "RESERVATION_ALREADY_CANCELLED", lambda: client.call(
        "ConfirmReservation", reservation_pb2.ConfirmReservationRequest(reservation_id=held.reservation_id,
                                                                        payment_intent_id="p"), headers=user))
    live, _ = create(event_id=EVENT, quantity=1, idempotency_key=unique("k"))
    client.call("ExtendHold", reservation_pb2.ExtendHoldRequest(reservation_id=live.reservation_id), headers=user)
    expect(Code.FAILED_PRECONDITION, "HOLD_EXTENSION_LIMIT", lambda: client.call(
        "ExtendHold", reservation_pb2.ExtendHoldRequest(reservation_id=live.reservation_id), headers=user))
    expect(Code.INVALID_ARGUMENT, "INVALID_REQUEST", lambda: client.call(
        "ExtendHold", reservation_pb2.ExtendHoldRequest(reservation_id=live.reservation_id, extension_seconds=-5), headers=user),
        {"extension_seconds": "must be between 1 and 600"})
    expect(Code.INVALID_ARGUMENT, "INVALID_REQUEST", lambda: client.call(
        "ListReservations", reservation_pb2.ListReservationsRequest(status=reservation_pb2.RESERVATION_STATUS_REFUNDED),
        headers=user))
    expect(Code.INVALID_ARGUMENT, "INVALID_REQUEST", lambda: client.call(
        "GetReservation", reservation_pb2.GetReservationRequest(reservation_id="x"), headers={"x-user-id": "has space"}),
        {"x-user-id": "must be 1-255 visible characters"})


def test_expired_hold_is_failed_precondition(server):
    reservation_pb2 = pb()[0]
    srv = server(demo=True, hold_seconds=1)
    client = Connect(srv.base)
    held, _ = client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, idempotency_key=unique("k")))
    time.sleep(1.1)
    error = rpc_error(lambda: client.call("ConfirmReservation", reservation_pb2.ConfirmReservationRequest(
        reservation_id=held.reservation_id, payment_intent_id="p")))
    assert error.code == Code.FAILED_PRECONDITION and error_info(error).reason == "RESERVATION_EXPIRED"
    got, _ = client.call("GetReservation", reservation_pb2.GetReservationRequest(reservation_id=held.reservation_id))
    assert got.reservation.status == reservation_pb2.RESERVATION_STATUS_EXPIRED


def test_unknown_method_and_starting_server(demo):
    reservation_pb2 = pb()[0]
    from connectrpc.method import IdempotencyLevel, MethodInfo
    client = Connect(demo.base)
    bogus = MethodInfo(name="Refund", service_name=SERVICES[0], input=reservation_pb2.GetReservationRequest,
                       output=reservation_pb2.GetReservationResponse, idempotency_level=IdempotencyLevel.UNKNOWN)
    with pytest.raises(ConnectError) as caught:
        client.client.execute_unary(request=reservation_pb2.GetReservationRequest(), method=bogus)
    assert caught.value.code == Code.UNIMPLEMENTED


def test_replay_and_conflict_share_one_scope_across_json_and_proto(demo):
    reservation_pb2 = pb()[0]
    proto_client, json_client = Connect(demo.base), Connect(demo.base, json=True, gzip=False)
    alias_client = Connect(demo.base, service=SERVICES[1])
    user = {"x-user-id": unique("replay_")}
    key = unique("k-")
    request = reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=2, idempotency_key=key)
    first, first_headers = proto_client.call("CreateReservation", request, headers=user)
    assert "idempotent-replayed" not in first_headers
    for client in (json_client, proto_client, alias_client):
        again, headers = client.call("CreateReservation", request, headers=user)
        assert again == first
        assert headers.get("idempotent-replayed") == "true"
    # The key may also travel as metadata: the same fingerprint (the key field is left out of it).
    keyless = reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=2)
    again, headers = json_client.call("CreateReservation", keyless, headers={**user, "idempotency-key": key})
    assert again == first and headers.get("idempotent-replayed") == "true"
    # Another request with the key conflicts, in either codec.
    other = reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=3, idempotency_key=key)
    for client in (json_client, proto_client):
        assert rpc_error(lambda: client.call("CreateReservation", other, headers=user)).code == Code.ALREADY_EXISTS
    # Only one hold was made.
    listed, _ = proto_client.call("ListReservations", reservation_pb2.ListReservationsRequest(), headers=user)
    assert [r.reservation_id for r in listed.reservations] == [first.reservation_id]


def test_listing_pages_and_refuses_forged_cursors(demo):
    reservation_pb2, types_pb2, _, _ = pb()
    client = Connect(demo.base)
    user = {"x-user-id": unique("pages_")}
    made = [client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, idempotency_key=unique("k")), headers=user)[0].reservation_id for _ in range(25)]
    seen, cursor = [], ""
    while True:
        page, _ = client.call("ListReservations", reservation_pb2.ListReservationsRequest(
            pagination=types_pb2.Pagination(page_size=10, cursor=cursor)), headers=user)
        seen += [r.reservation_id for r in page.reservations]
        if not page.page_info.has_next:
            break
        cursor = page.page_info.next_cursor
    assert seen == list(reversed(made))
    forged = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    error = rpc_error(lambda: client.call("ListReservations", reservation_pb2.ListReservationsRequest(
        pagination=types_pb2.Pagination(cursor=forged)), headers=user))
    assert error.code == Code.INVALID_ARGUMENT and "pagination.cursor" in error_info(error).metadata
    # Another caller with a genuine cursor: refused, never another caller's page.
    error = rpc_error(lambda: client.call("ListReservations", reservation_pb2.ListReservationsRequest(
        pagination=types_pb2.Pagination(cursor=cursor)), headers={"x-user-id": "someone-else"}))
    assert error.code == Code.INVALID_ARGUMENT


def test_deadlines(demo):
    reservation_pb2 = pb()[0]
    body = reservation_pb2.GetReservationRequest(reservation_id="rsv_x").SerializeToString()
    headers = {"Content-Type": "application/proto"}
    r = requests.post(demo.base + "/reservation.v1.ReservationService/GetReservation", data=body,
                      headers={**headers, "Connect-Timeout-Ms": "0"}, timeout=5)
    assert r.status_code == 504 and r.json()["code"] == "deadline_exceeded"
    for bad in ("-1", "12345678901", "soon"):
        r = requests.post(demo.base + "/reservation.v1.ReservationService/GetReservation", data=body,
                          headers={**headers, "Connect-Timeout-Ms": bad}, timeout=5)
        assert r.status_code == 400 and r.json()["code"] == "invalid_argument", bad
    # A generous deadline is met.
    client = Connect(demo.base)
    created, _ = client.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, idempotency_key=unique("k")), timeout_ms=5000)
    assert created.reservation_id


def test_message_size_limits_with_and_without_gzip(demo):
    reservation_pb2 = pb()[0]
    limit = 4 * 1024 * 1024
    # A message of exactly limit + 1 bytes: the token field fills it up.
    token = "t" * (limit + 1 - 20)
    request = reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=1, idempotency_key="k", reservation_token=token)
    size = len(request.SerializeToString())
    request.reservation_token = "t" * (len(token) + limit + 1 - size)
    assert len(request.SerializeToString()) == limit + 1
    for gzip_on in (False, True):
        error = rpc_error(lambda: Connect(demo.base, gzip=gzip_on).call("CreateReservation", request))
        assert error.code == Code.RESOURCE_EXHAUSTED, (gzip_on, error)
    # A zip bomb: 100 MB of zeros in 100 KB.
    bomb = gzip.compress(b"\0" * (100 * 1024 * 1024), compresslevel=9)
    r = requests.post(demo.base + CREATE, data=bomb, headers={"Content-Type": "application/proto",
                                                              "Content-Encoding": "gzip"}, timeout=30)
    assert r.status_code == 429 and r.json()["code"] == "resource_exhausted"
    # The server is fine afterwards.
    assert demo.get("/health").status_code == 200


def test_content_encodings_and_types(demo):
    reservation_pb2 = pb()[0]
    message = reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=1).SerializeToString()
    base = {"Content-Type": "application/proto", "x-user-id": unique("enc_")}
    # gzip from Python's zlib at every level, and random data that does not compress.
    for level in range(10):
        key = unique("k")
        body = reservation_pb2.CreateReservationRequest(event_id=EVENT, quantity=1, idempotency_key=key,
                                                        reservation_token="x" * 200).SerializeToString()
        compressor = zlib.compressobj(level, zlib.DEFLATED, 31)
        data = compressor.compress(body) + compressor.flush()
        r = requests.post(demo.base + CREATE, data=data, headers={**base, "Content-Encoding": "gzip"}, timeout=5)
        assert r.status_code == 200, (level, r.text)
        assert reservation_pb2.CreateReservationResponse.FromString(r.content).reservation_id
    noise = reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, idempotency_key=unique("k"),
        metadata=reservation_pb2.ReservationMetadata(tags={"noise": base64.b64encode(os.urandom(3000)).decode()}))
    r = requests.post(demo.base + CREATE, data=gzip.compress(noise.SerializeToString()),
                      headers={**base, "Content-Encoding": "gzip"}, timeout=5)
    assert r.status_code == 200, r.text
    # Broken gzip, unknown encodings, other content types.
    r = requests.post(demo.base + CREATE, data=gzip.compress(message)[:-5], headers={**base, "Content-Encoding": "gzip"}, timeout=5)
    assert r.status_code == 400 and r.json()["code"] == "invalid_argument"
    r = requests.post(demo.base + CREATE, data=message, headers={**base, "Content-Encoding": "br"}, timeout=5)
    assert r.status_code == 501 and r.json()["code"] == "unimplemented"
    assert "gzip" in r.json()["message"] and "gzip" in r.headers["Accept-Encoding"]
    r = requests.post(demo.base + CREATE, data=b"{}", headers={"Content-Type": "text/plain"}, timeout=5)
    assert r.status_code == 415 and "application/proto" in r.headers["Accept-Post"]
    r = requests.post(demo.base + CREATE, data=b"\xff\xff", headers=base, timeout=5)
    assert r.status_code == 400 and r.json()["code"] == "invalid_argument"
    r = requests.post(demo.base + CREATE, data=message, headers={**base, "Connect-Protocol-Version": "2"}, timeout=5)
    assert r.status_code == 400


def test_plain_curl_with_json(demo):
    out = subprocess.run(
        ["curl", "-s", "-X", "POST", demo.base + CREATE, "-H", "Content-Type: application/json", "-H", "x-user-id: curl-user",
         "-d", json.dumps({"event_id": EVENT, "quantity": 2, "idempotencyKey": unique("k")})],
        check=True, capture_output=True, text=True).stdout
    body = json.loads(out)
    assert body["status"] == "RESERVATION_STATUS_HOLD" and len(body["reservedSeats"]) == 2
    assert body["totalAmount"] == {"amount": "20000", "currency": "KRW"}, "int64 as strings, defaults left out"
    out = subprocess.run(["curl", "-s", "-X", "POST", demo.base + "/reservation.v1.ReservationService/GetReservation",
                          "-H", "Content-Type: application/json", "-H", "x-user-id: curl-user",
                          "-d", json.dumps({"reservationId": body["reservationId"]})],
                         check=True, capture_output=True, text=True).stdout
    assert json.loads(out)["reservation"]["userId"] == "curl-user"


@pytest.mark.skipif(shutil.which("buf") is None, reason="buf (PyPI buf-bin) is not installed")
@pytest.mark.parametrize("service", SERVICES)
def test_buf_curl_calls_every_method(demo, service):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    def buf_curl(method: str, data: dict) -> dict:
        result = subprocess.run(
            ["buf", "curl", "--protocol", "connect", "--schema", os.path.join(root, "proto"),
             "-H", "x-user-id: buf-user", "--data", json.dumps(data), f"{demo.base}/{service}/{method}"],
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"{method}: {result.stderr}"
        return json.loads(result.stdout)

    created = buf_curl("CreateReservation", {"eventId": EVENT, "quantity": 1, "idempotencyKey": unique("k")})
    rid = created["reservationId"]
    assert buf_curl("GetReservation", {"reservationId": rid})["reservation"]["reservationId"] == rid
    assert rid in [r["reservationId"] for r in buf_curl("ListReservations", {})["reservations"]]
    assert buf_curl("ExtendHold", {"reservationId": rid, "extensionSeconds": 10})["extensionAllowed"] is True
    assert buf_curl("ConfirmReservation", {"reservationId": rid, "paymentIntentId": "pay"})["status"] == "RESERVATION_STATUS_CONFIRMED"
    other = buf_curl("CreateReservation", {"eventId": EVENT, "quantity": 1, "idempotencyKey": unique("k")})
    assert buf_curl("CancelReservation", {"reservationId": other["reservationId"]})["status"] == "RESERVATION_STATUS_CANCELLED"
    # An error comes back as a Connect error buf can read.
    result = subprocess.run(
        ["buf", "curl", "--protocol", "connect", "--schema", os.path.join(root, "proto"), "--data", '{"reservationId":"rsv_nope"}',
         f"{demo.base}/{service}/GetReservation"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "not_found" in result.stderr
