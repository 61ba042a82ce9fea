"""Error responses a client has to handle (API.md "Errors" and the per-endpoint error lists)."""
import json
import re
import secrets
import time

import pytest

from conftest import assert_counts_consistent, assert_error, raw_exchange, unique

SECTIONS = [("A", 10, 10000), ("B", 5, 20000)]


@pytest.fixture
def srv(server):
    return server()


def hold_raw(srv, body, key="auto", **kw):
    return srv.post("/v1/reservations", body, key=unique("key-") if key == "auto" else key, **kw)


def test_missing_idempotency_key(srv):
    event_id = srv.create_event(SECTIONS)
    r = hold_raw(srv, {"eventId": event_id, "quantity": 1}, key=None)
    assert_error(r, 400, "MISSING_IDEMPOTENCY_KEY", path="/v1/reservations")
    assert srv.availability(event_id)["held"] == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "caf\u00e9"], ids=["empty", "256-chars", "space", "non-ascii"])
def test_malformed_idempotency_key(srv, key):
    event_id = srv.create_event(SECTIONS)
    headers = {"Idempotency-Key": key.encode("utf-8")}
    r = srv.request("POST", "/v1/reservations", json_body={"eventId": event_id, "quantity": 1}, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] in ("INVALID_REQUEST", "MISSING_IDEMPOTENCY_KEY"), r.text
    if key:
        assert_error(r, 400, "INVALID_REQUEST")
    assert srv.availability(event_id)["held"] == 0


def test_longest_idempotency_key_is_accepted(srv):
    event_id = srv.create_event(SECTIONS)
    r = hold_raw(srv, {"eventId": event_id, "quantity": 1}, key="k" * 255)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("body_extra, field", [
    ({"quantity": 0}, "quantity"),
    ({"quantity": 11}, "quantity"),
    ({"quantity": -1}, "quantity"),
    ({"quantity": "2"}, "quantity"),
    ({"quantity": 2, "seatIds": ["A-1"]}, "seatIds"),
    ({"quantity": 1, "seatIds": ["A-1", "A-2"]}, "seatIds"),
    ({"quantity": 2, "seatIds": ["A-1", "A-1"]}, "seatIds"),
    ({"quantity": 1, "seatIds": ["A-11"]}, "seatIds"),
    ({"quantity": 1, "seatIds": ["Z-1"]}, "seatIds"),
    ({"quantity": 1, "seatIds": ["nonsense"]}, "seatIds"),
    ({"quantity": 1, "seatIds": [1]}, "seatIds"),
], ids=["q0", "q11", "q-neg", "q-string", "short-seats", "long-seats", "dup-seats", "unknown-number",
        "unknown-section", "malformed-seat", "seat-not-string"])
def test_invalid_hold_requests_name_the_field(srv, body_extra, field):
    event_id = srv.create_event(SECTIONS)
    r = hold_raw(srv, {"eventId": event_id, **body_extra})
    err = assert_error(r, 400, "INVALID_REQUEST", path="/v1/reservations")
    details = err.get("details")
    assert isinstance(details, dict) and details, f"validation errors carry details: {err}"
    assert any(k == field or k.startswith(field + "[") or k.startswith(field + ".") for k in details), \
        f"details should name {field}: {details}"
    assert all(isinstance(v, str) and v for v in details.values()), details
    av = srv.availability(event_id)
    assert av["held"] == 0, "nothing was held"


def test_missing_event_id_and_unknown_event(srv):
    r = hold_raw(srv, {"quantity": 1})
    assert "eventId" in assert_error(r, 400, "INVALID_REQUEST")["details"]
    r = hold_raw(srv, {"eventId": "evt_does_not_exist", "quantity": 1})
    assert_error(r, 404, "EVENT_NOT_FOUND", path="/v1/reservations")
    r = hold_raw(srv, {"eventId": "evt_does_not_exist", "quantity": 1, "seatIds": ["A-1"]})
    assert_error(r, 404, "EVENT_NOT_FOUND")


def test_max_quantity_flag(server):
    srv = server(args=["--max-quantity", "3"])
    event_id = srv.create_event(SECTIONS)
    assert hold_raw(srv, {"eventId": event_id, "quantity": 3}).status_code == 201
    assert "quantity" in assert_error(hold_raw(srv, {"eventId": event_id, "quantity": 4}), 400, "INVALID_REQUEST")["details"]


def test_unknown_reservations(srv):
    for rid in ("rsv_doesnotexist", "nonsense", "rsv_" + "0" * 40):
        assert_error(srv.reservation(rid), 404, "RESERVATION_NOT_FOUND", path=f"/v1/reservations/{rid}")
        assert_error(srv.confirm(rid), 404, "RESERVATION_NOT_FOUND")
        assert_error(srv.cancel(rid), 404, "RESERVATION_NOT_FOUND")
        assert_error(srv.post(f"/v1/reservations/{rid}/cancel"), 404, "RESERVATION_NOT_FOUND")
        assert_error(srv.post(f"/v1/reservations/{rid}/confirm", {"paymentIntentId": "pay_x"}), 404,
                     "RESERVATION_NOT_FOUND")


def test_another_users_reservation_is_not_found(srv):
    event_id = srv.create_event(SECTIONS)
    rid = srv.hold_ok(event_id, 2)["reservationId"]
    thief = unique("thief_")
    assert_error(srv.reservation(rid, user=thief), 404, "RESERVATION_NOT_FOUND")
    assert_error(srv.confirm(rid, user=thief), 404, "RESERVATION_NOT_FOUND")
    assert_error(srv.cancel(rid, user=thief), 404, "RESERVATION_NOT_FOUND")
    # The 404 for someone else's reservation reads exactly like the one for a missing reservation.
    theirs = srv.reservation(rid, user=thief).json()["error"]
    missing = srv.reservation("rsv_missing", user=thief).json()["error"]
    assert theirs["message"] == missing["message"]
    assert srv.reservation(rid).json()["status"] == "HOLD"
    assert srv.availability(event_id)["held"] == 2


POST_ROUTES = ["/v1/reservations", "/v1/reservations/confirm", "/v1/reservations/cancel", "/v1/events"]


@pytest.mark.parametrize("path", POST_ROUTES)
def test_text_plain_body_is_415(srv, path):
    r = srv.request("POST", path, data=b'{"quantity":1}', headers={"Content-Type": "text/plain"}, key=unique("key-"))
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE", path=path)


@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("raw", [b'{"eventId":', b"not json", b'{"quantity":1,"quantity":2}', b"[1,2", b"\xff\xfe{}"],
                         ids=["truncated", "garbage", "duplicate-key", "unclosed-array", "bad-utf8"])
def test_malformed_json_is_bad_request(srv, path, raw):
    r = srv.request("POST", path, data=raw, key=unique("key-"))
    assert_error(r, 400, "BAD_REQUEST", path=path)


def test_duplicate_key_does_not_hold_anything(srv):
    event_id = srv.create_event(SECTIONS)
    raw = ('{"eventId":"%s","quantity":1,"seatIds":["A-1"],"seatIds":["A-2"]}' % event_id).encode()
    assert_error(srv.request("POST", "/v1/reservations", data=raw, key=unique("key-")), 400, "BAD_REQUEST")
    assert srv.availability(event_id)["held"] == 0


def test_traceparent_trace_id_is_echoed_in_errors_and_logs(srv):
    event_id = srv.create_event(SECTIONS)
    cases = [
        ("GET", "/v1/reservations/rsv_missing", None, None, 404),
        ("POST", "/v1/reservations", {"eventId": event_id, "quantity": 0}, unique("k-"), 400),
        ("POST", "/v1/reservations", {"eventId": event_id, "quantity": 1}, None, 400),
        ("POST", "/v1/reservations", {"eventId": "evt_none", "quantity": 1}, unique("k-"), 404),
        ("GET", "/v1/events/evt_none", None, None, 404),
        ("GET", "/no/such/route", None, None, 404),
    ]
    for method, path, body, key, status in cases:
        trace = secrets.token_hex(16)
        r = srv.request(method, path, json_body=body, key=key,
                        headers={"traceparent": f"00-{trace}-{secrets.token_hex(8)}-01"})
        err = assert_error(r, status, r.json()["error"]["code"], path=path)
        assert err["traceId"] == trace, f"{method} {path}: traceId {err['traceId']} != {trace}"
        assert r.headers.get("traceparent", "").split("-")[1:2] == [trace], "the response traceparent continues the trace"
    deadline = time.monotonic() + 3
    while trace not in "".join(str(line.get("traceId")) for line in srv.log_lines()):
        assert time.monotonic() < deadline, "the trace id never appeared in the server log"
        time.sleep(0.05)
    # Without a (valid) traceparent a trace id is generated, a fresh one per request.
    ids = {srv.reservation("rsv_missing").json()["error"]["traceId"] for _ in range(3)}
    for invalid in ("garbage", "00-" + "0" * 32 + "-00f067aa0ba902b7-01"):
        ids.add(srv.reservation("rsv_missing", headers={"traceparent": invalid}).json()["error"]["traceId"])
    assert len(ids) == 5 and all(re.fullmatch(r"[0-9a-f]{32}", i) and i != "0" * 32 for i in ids), ids


def test_business_errors_keep_the_connection_and_bad_requests_close_it(srv):
    event_id = srv.create_event(SECTIONS)
    body = ('{"eventId":"%s","quantity":0}' % event_id).encode()

    def post(payload: bytes, key: str = "k-conn") -> bytes:
        return (f"POST /v1/reservations HTTP/1.1\r\nHost: e2e\r\nX-User-Id: {srv.user}\r\nIdempotency-Key: {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n").encode() + payload

    get = f"GET /v1/events/{event_id}/availability HTTP/1.1\r\nHost: e2e\r\n\r\n".encode()
    responses, closed = raw_exchange(srv.port, [post(body), get])
    assert [s for s, _, _ in responses] == [400, 200], responses
    assert not closed, "a 400 INVALID_REQUEST keeps the connection open"
    # Malformed JSON in a well-framed body: BAD_REQUEST; if the connection stays open it must stay usable.
    responses, closed = raw_exchange(srv.port, [post(b"{not json")])
    assert responses[0][0] == 400 and b"BAD_REQUEST" in responses[0][2]
    if not closed and responses[0][1].get("connection") != "close":
        responses, closed = raw_exchange(srv.port, [post(b"{not json"), get])
        assert [s for s, _, _ in responses] == [400, 200]
    # Malformed framing (HTTP-level 400): the server answers and closes.
    bad_length = (f"POST /v1/reservations HTTP/1.1\r\nHost: e2e\r\nIdempotency-Key: k\r\n"
                  f"Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{{}}").encode()
    responses, closed = raw_exchange(srv.port, [bad_length])
    assert responses[0][0] == 400 and b"BAD_REQUEST" in responses[0][2], responses
    assert closed, "after an HTTP-level 400 BAD_REQUEST the server closes the connection"


def test_http_level_errors_carry_the_request_path(srv):
    """Every error body has `path`; when the request line was readable it is the request's path."""
    bad_length = (b"POST /v1/reservations HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n"
                  b"Content-Length: abc\r\n\r\n{}")
    both = (b"POST /v1/events HTTP/1.1\r\nHost: e2e\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    for payload, path in ((bad_length, "/v1/reservations"), (both, "/v1/events")):
        (status, headers, body), = raw_exchange(srv.port, [payload])[0]
        assert status == 400, body
        err = json.loads(body)["error"]
        assert err["code"] == "BAD_REQUEST"
        assert err["path"] == path, f"error path {err['path']!r} for a request to {path}"


def test_counts_untouched_by_errors(srv):
    event_id = srv.create_event(SECTIONS)
    srv.hold_ok(event_id, 2, ["A-1", "A-2"])
    assert_error(hold_raw(srv, {"eventId": event_id, "quantity": 2, "seatIds": ["A-2", "A-3"]}), 409, "SEAT_UNAVAILABLE")
    assert_error(hold_raw(srv, {"eventId": event_id, "quantity": 1, "seatIds": ["A-2"]}), 409, "SEAT_UNAVAILABLE")
    av = srv.availability(event_id)
    assert_counts_consistent(av, SECTIONS)
    assert av["held"] == 2, "all seats are held or none: A-3 was not held by the refused request"
    assert {s["seatId"] for s in srv.seats(event_id, "HELD")} == {"A-1", "A-2"}
    # Not enough seats left in the whole event.
    srv.hold_ok(event_id, 10)
    assert srv.availability(event_id)["available"] == 3
    assert_error(hold_raw(srv, {"eventId": event_id, "quantity": 4}), 409, "SEAT_UNAVAILABLE")
    assert srv.hold_ok(event_id, 3)["quantity"] == 3
    assert_error(hold_raw(srv, {"eventId": event_id, "quantity": 1}), 409, "SEAT_UNAVAILABLE")
    av = srv.availability(event_id)
    assert (av["available"], av["held"], av["sold"]) == (0, 15, 0)


def test_wrong_method_is_405_with_allow(srv):
    for method, path in (("DELETE", "/v1/reservations/rsv_x"), ("DELETE", "/v1/reservations"),
                         ("PUT", "/v1/reservations/confirm"), ("GET", "/v1/reservations/rsv_x/cancel")):
        r = srv.request(method, path)
        assert_error(r, 405, "METHOD_NOT_ALLOWED", path=path)
        assert r.headers.get("Allow"), f"{method} {path}: 405 without Allow"


def test_string_limits_on_confirm(srv):
    event_id = srv.create_event(SECTIONS)
    rid = srv.hold_ok(event_id, 1)["reservationId"]
    assert_error(srv.confirm(rid, payment="p" * 256), 400, "INVALID_REQUEST")
    assert srv.reservation(rid).json()["status"] == "HOLD"
    assert srv.confirm(rid, payment="p" * 255).status_code == 200


def test_event_size_limits(srv):
    too_many_seats = {"name": "big", "currency": "KRW", "sections": [{"name": "A", "seats": 1_000_001, "price": 1}]}
    assert_error(srv.post("/v1/events", too_many_seats), 400, "INVALID_REQUEST")
    split = {"name": "big", "currency": "KRW",
             "sections": [{"name": "A", "seats": 600_000, "price": 1}, {"name": "B", "seats": 400_001, "price": 1}]}
    assert_error(srv.post("/v1/events", split), 400, "INVALID_REQUEST")
    sections = [{"name": f"S{i}", "seats": 1, "price": 1} for i in range(1001)]
    assert_error(srv.post("/v1/events", {"name": "wide", "currency": "KRW", "sections": sections}), 400, "INVALID_REQUEST")
    assert_error(srv.post("/v1/events", {"name": "long", "currency": "KRW",
                                         "sections": [{"name": "A" * 17, "seats": 1, "price": 1}]}), 400, "INVALID_REQUEST")
