"""The reservation lifecycle as a client sees it (API.md "Reservations", "State machine")."""
import json
import re
import time

from conftest import assert_counts_consistent, assert_error, parse_time, raw_exchange, unique

SECTIONS = [("A", 10, 10000), ("B", 10, 25000)]
URL_SAFE = re.compile(r"^[A-Za-z0-9_\-]+$")

CREATE_FIELDS = {"reservationId": str, "status": str, "eventId": str, "seatIds": list, "quantity": int,
                 "holdExpiresAt": str, "totalAmount": int, "currency": str, "message": str}
GET_FIELDS = {"reservationId": str, "eventId": str, "userId": str, "quantity": int, "seatIds": list, "status": str,
              "holdExpiresAt": str, "totalAmount": int, "currency": str, "createdAt": str, "updatedAt": str}
CONFIRM_FIELDS = {"orderId": str, "reservationId": str, "status": str, "totalAmount": int, "currency": str, "message": str}
CANCEL_FIELDS = {"reservationId": str, "status": str, "message": str}


def assert_fields(body: dict, fields: dict) -> None:
    for name, kind in fields.items():
        assert name in body, f"field {name} missing: {body}"
        value = body[name]
        assert isinstance(value, kind) and not (kind is int and isinstance(value, bool)), f"{name}: {value!r} is not {kind.__name__}"


def test_create_get_confirm_then_cancel_is_refused(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    before = time.time()
    r = srv.hold(event_id, 2, ["A-3", "B-7"], token="rtkn_e2e")
    assert r.status_code == 201, r.text
    created = r.json()
    assert_fields(created, CREATE_FIELDS)
    rid = created["reservationId"]
    assert rid.startswith("rsv_") and URL_SAFE.match(rid), rid
    assert r.headers["Location"] == f"/v1/reservations/{rid}"
    assert created["status"] == "HOLD"
    assert created["eventId"] == event_id
    assert sorted(created["seatIds"]) == ["A-3", "B-7"]
    assert created["quantity"] == 2
    assert created["totalAmount"] == 10000 + 25000, "total is the sum of the seat prices"
    assert created["currency"] == "KRW"
    assert created["message"] == "Reservation created successfully"
    assert created.get("reservationToken") == "rtkn_e2e"
    expires = parse_time(created["holdExpiresAt"])
    assert before + 55 < expires < time.time() + 65, "the default hold lasts 60 s"

    r = srv.reservation(rid)
    assert r.status_code == 200, r.text
    got = r.json()
    assert_fields(got, GET_FIELDS)
    assert got["orderId"] is None
    assert got["userId"] == srv.user
    assert got["status"] == "HOLD"
    assert got.get("reservationToken") == "rtkn_e2e"
    for field in ("reservationId", "eventId", "quantity", "holdExpiresAt", "totalAmount", "currency"):
        assert got[field] == created[field], field
    assert sorted(got["seatIds"]) == sorted(created["seatIds"])
    created_at = parse_time(got["createdAt"])
    assert abs(created_at - before) < 5
    assert parse_time(got["updatedAt"]) >= created_at
    assert abs(expires - created_at - 60) < 1

    av = srv.availability(event_id)
    assert_counts_consistent(av, SECTIONS)
    assert (av["available"], av["held"], av["sold"]) == (18, 2, 0)

    r = srv.confirm(rid, payment="pay_e2e_1")
    assert r.status_code == 200, r.text
    confirmed = r.json()
    assert_fields(confirmed, CONFIRM_FIELDS)
    assert confirmed["orderId"].startswith("ord_") and URL_SAFE.match(confirmed["orderId"])
    assert confirmed["reservationId"] == rid
    assert confirmed["status"] == "CONFIRMED"
    assert confirmed["totalAmount"] == 35000 and confirmed["currency"] == "KRW"
    assert confirmed["message"] == "Reservation confirmed successfully"

    got = srv.reservation(rid).json()
    assert got["status"] == "CONFIRMED"
    assert got["orderId"] == confirmed["orderId"]
    assert got["holdExpiresAt"] == created["holdExpiresAt"], "holdExpiresAt stays set and records the deadline"
    assert parse_time(got["updatedAt"]) >= created_at
    av = srv.availability(event_id)
    assert (av["available"], av["held"], av["sold"]) == (18, 0, 2)
    sold = {s["seatId"] for s in srv.seats(event_id, "SOLD")}
    assert sold == {"A-3", "B-7"}

    assert_error(srv.cancel(rid), 409, "RESERVATION_ALREADY_CONFIRMED", path="/v1/reservations/cancel")
    assert_error(srv.post(f"/v1/reservations/{rid}/cancel"), 409, "RESERVATION_ALREADY_CONFIRMED")
    assert_error(srv.confirm(rid), 409, "RESERVATION_ALREADY_CONFIRMED")
    assert srv.reservation(rid).json()["status"] == "CONFIRMED"
    assert srv.availability(event_id)["sold"] == 2


def test_create_cancel_then_confirm_is_refused(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    created = srv.hold_ok(event_id, 3)
    assert "reservationToken" not in created or created["reservationToken"] is None
    rid = created["reservationId"]
    assert srv.availability(event_id)["held"] == 3
    r = srv.cancel(rid)
    assert r.status_code == 200, r.text
    body = r.json()
    assert_fields(body, CANCEL_FIELDS)
    assert body == {**body, "reservationId": rid, "status": "CANCELLED", "message": "Reservation cancelled successfully"}
    av = srv.availability(event_id)
    assert (av["available"], av["held"], av["sold"]) == (20, 0, 0), "cancel releases the seats at once"
    got = srv.reservation(rid).json()
    assert got["status"] == "CANCELLED" and got["orderId"] is None
    assert_error(srv.confirm(rid), 409, "RESERVATION_ALREADY_CANCELLED", path="/v1/reservations/confirm")
    assert_error(srv.post(f"/v1/reservations/{rid}/confirm", {"paymentIntentId": "pay_x"}), 409,
                 "RESERVATION_ALREADY_CANCELLED")
    assert_error(srv.cancel(rid), 409, "RESERVATION_ALREADY_CANCELLED")
    # The released seats can be held again.
    again = srv.hold_ok(event_id, 3, created["seatIds"])
    assert sorted(again["seatIds"]) == sorted(created["seatIds"])


def test_path_forms_of_confirm_and_cancel(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    rids = [srv.hold_ok(event_id, 1)["reservationId"] for _ in range(5)]

    r = srv.post(f"/v1/reservations/{rids[0]}/confirm", {"paymentIntentId": "pay_path"})
    assert r.status_code == 200, r.text
    assert r.json()["reservationId"] == rids[0] and r.json()["status"] == "CONFIRMED"

    r = srv.post(f"/v1/reservations/{rids[1]}/confirm", {"reservationId": rids[1], "paymentIntentId": "pay_path"})
    assert r.status_code == 200, "a body id equal to the path id is fine: " + r.text

    # Cancel: body absent (no Content-Length at all), empty, or {}.
    request = (f"POST /v1/reservations/{rids[2]}/cancel HTTP/1.1\r\nHost: e2e\r\nX-User-Id: {srv.user}\r\n\r\n").encode()
    status, _headers, body = raw_exchange(srv.port, [request])[0][0]
    assert status == 200, body
    r = srv.request("POST", f"/v1/reservations/{rids[3]}/cancel", data=b"")
    assert r.status_code == 200, r.text
    r = srv.post(f"/v1/reservations/{rids[4]}/cancel", {})
    assert r.status_code == 200, r.text
    for rid in rids[2:]:
        assert srv.reservation(rid).json()["status"] == "CANCELLED"

    # A body id that differs from the path is refused and changes nothing.
    other = srv.hold_ok(event_id, 1)["reservationId"]
    victim = srv.hold_ok(event_id, 1)["reservationId"]
    assert_error(srv.post(f"/v1/reservations/{victim}/cancel", {"reservationId": other}), 400, "INVALID_REQUEST")
    assert_error(srv.post(f"/v1/reservations/{victim}/confirm", {"reservationId": other, "paymentIntentId": "p"}),
                 400, "INVALID_REQUEST")
    for rid in (other, victim):
        assert srv.reservation(rid).json()["status"] == "HOLD"
    assert_counts_consistent(srv.availability(event_id), SECTIONS)


def test_confirm_requires_a_payment_intent(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    rid = srv.hold_ok(event_id, 1)["reservationId"]
    for body in ({"reservationId": rid}, {"reservationId": rid, "paymentIntentId": ""},
                 {"reservationId": rid, "paymentIntentId": 7}, {"paymentIntentId": "pay_x"}, {}):
        assert_error(srv.post("/v1/reservations/confirm", body), 400, "INVALID_REQUEST")
    assert_error(srv.post(f"/v1/reservations/{rid}/confirm", {}), 400, "INVALID_REQUEST")
    assert_error(srv.post("/v1/reservations/cancel", {}), 400, "INVALID_REQUEST")
    assert srv.reservation(rid).json()["status"] == "HOLD"


def test_generated_ids_are_unique_and_sort_by_creation(server):
    srv = server()
    event_id = srv.create_event([("A", 30, 100)])
    rids = []
    for _ in range(8):
        rids.append(srv.hold_ok(event_id, 1)["reservationId"])
        time.sleep(0.003)
    assert len(set(rids)) == len(rids)
    assert sorted(rids) == rids, "ids start with a millisecond timestamp, so they sort by creation"
    orders = [srv.confirm(rid).json()["orderId"] for rid in rids[:3]]
    assert len(set(orders)) == 3


def test_amounts_across_sections_and_currency(server):
    srv = server()
    event_id = srv.create_event([("A", 5, 1234), ("B", 5, 99), ("C", 5, 100000)], currency="USD")
    created = srv.hold_ok(event_id, 4, ["A-1", "B-5", "C-2", "C-3"])
    assert created["totalAmount"] == 1234 + 99 + 2 * 100000
    assert created["currency"] == "USD"
    assert srv.confirm(created["reservationId"]).json()["totalAmount"] == created["totalAmount"]
    best = srv.hold_ok(event_id, 3)
    prices = {"A": 1234, "B": 99, "C": 100000}
    assert best["totalAmount"] == sum(prices[s.split("-")[0]] for s in best["seatIds"])


def test_reservations_are_private_to_their_user(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    rid = srv.hold_ok(event_id, 1)["reservationId"]
    stranger = unique("stranger_")
    for r in (srv.reservation(rid, user=stranger), srv.confirm(rid, user=stranger), srv.cancel(rid, user=stranger),
              srv.post(f"/v1/reservations/{rid}/cancel", user=stranger)):
        assert_error(r, 404, "RESERVATION_NOT_FOUND")
    got = srv.reservation(rid)
    assert got.status_code == 200 and got.json()["status"] == "HOLD", "the stranger changed nothing"
    # Without X-User-Id the caller is "anonymous", who is not the owner either.
    r = srv.session().get(srv.base + f"/v1/reservations/{rid}", timeout=10)
    assert_error(r, 404, "RESERVATION_NOT_FOUND")


def test_pipelined_holds_are_answered_in_order(server):
    srv = server()
    event_id = srv.create_event([("A", 20, 100)])

    def hold_request(index: int, n: int) -> bytes:
        # A key per request: a repeated key with the same body would (rightly) replay the first answer.
        body = ('{"eventId":"%s","quantity":1,"seatIds":["A-%d"]}' % (event_id, n)).encode()
        return (f"POST /v1/reservations HTTP/1.1\r\nHost: e2e\r\nX-User-Id: {srv.user}\r\nIdempotency-Key: pipe-{index}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    seats = [3, 1, 7, 3, 20, 2, 1, 9]
    availability = f"GET /v1/events/{event_id}/availability HTTP/1.1\r\nHost: e2e\r\n\r\n".encode()
    responses, _ = raw_exchange(srv.port, [hold_request(i, n) for i, n in enumerate(seats)] + [availability], pipeline=True)
    assert len(responses) == len(seats) + 1
    taken = set()
    for n, (status, _headers, body) in zip(seats, responses):
        expect = 409 if n in taken else 201
        assert status == expect, f"A-{n}: {status} {body!r}"
        if status == 201:
            assert json.loads(body)["seatIds"] == [f"A-{n}"], "answers come back in request order"
        taken.add(n)
    status, _, body = responses[-1]
    assert status == 200 and json.loads(body)["held"] == len(taken), "a pipelined read sees the writes before it"
