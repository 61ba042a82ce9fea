"""Retried requests (API.md "Idempotency"): scope (caller, method, route template, key); fingerprint over
method, concrete path and canonical JSON body; replays carry `Idempotent-Replayed: true`."""
import json
from collections import Counter

import pytest

from conftest import assert_error, unique
from test_concurrency import race

SECTIONS = [("A", 20, 10000)]
# Replay is not in the server yet (a retried request runs again); these turn green once it is.


def raw_hold(srv, body_text: str, key: str, user: str | None = None):
    return srv.request("POST", "/v1/reservations", data=body_text, key=key, user=user)


def assert_replay(first, again):
    assert again.status_code == first.status_code, (first.text, again.text)
    assert again.content == first.content, "a replay returns the first body byte for byte"
    assert again.headers.get("Idempotent-Replayed") == "true", dict(again.headers)
    assert first.headers.get("Idempotent-Replayed") in (None, "false"), dict(first.headers)


def test_same_key_same_body_replays(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    key = unique("idem-")
    body = json.dumps({"eventId": event_id, "quantity": 2})
    first = raw_hold(srv, body, key)
    assert first.status_code == 201, first.text
    again = raw_hold(srv, body, key)
    assert_replay(first, again)
    assert again.headers.get("Location") == first.headers.get("Location")
    assert srv.availability(event_id)["held"] == 2, "the retry held nothing more"


def test_reordered_and_respaced_body_replays(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    key = unique("idem-")
    first = raw_hold(srv, '{"eventId":"%s","quantity":2,"seatIds":["A-3","A-4"]}' % event_id, key)
    assert first.status_code == 201, first.text
    again = raw_hold(srv, '{ "seatIds" : [ "A-3", "A-4" ],\n  "quantity": 2 ,"eventId" : "%s" }' % event_id, key)
    assert_replay(first, again)
    assert srv.availability(event_id)["held"] == 2


def test_same_key_other_body_is_a_conflict(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    key = unique("idem-")
    assert srv.hold(event_id, 2, key=key).status_code == 201
    assert_error(srv.hold(event_id, 3, key=key), 409, "IDEMPOTENCY_CONFLICT", path="/v1/reservations")
    assert_error(srv.hold(event_id, 2, ["A-9", "A-10"], key=key), 409, "IDEMPOTENCY_CONFLICT")
    assert srv.availability(event_id)["held"] == 2


def test_same_key_two_users_make_two_reservations(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    key = unique("idem-")
    a = srv.hold(event_id, 1, key=key, user="alice_" + key)
    b = srv.hold(event_id, 1, key=key, user="bob_" + key)
    assert a.status_code == 201 and b.status_code == 201, (a.text, b.text)
    assert b.headers.get("Idempotent-Replayed") != "true"
    assert a.json()["reservationId"] != b.json()["reservationId"]
    assert srv.availability(event_id)["held"] == 2


def test_20_concurrent_requests_with_one_key_hold_once(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    key = unique("idem-")
    body = json.dumps({"eventId": event_id, "quantity": 3})
    responses = race(20, lambda i: raw_hold(srv, body, key))
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert created, statuses
    assert len({r.json()["reservationId"] for r in created}) == 1, "one reservation, replayed"
    assert sum(r.headers.get("Idempotent-Replayed") != "true" for r in created) == 1
    for r in responses:
        if r.status_code == 409:
            assert_error(r, 409, "IDEMPOTENCY_IN_PROGRESS")
            assert r.headers.get("Retry-After"), "IDEMPOTENCY_IN_PROGRESS comes with Retry-After"
    assert srv.availability(event_id)["held"] == 3, "availability dropped once"
    assert raw_hold(srv, body, key).json()["reservationId"] == created[0].json()["reservationId"]


def test_validation_failures_are_not_remembered(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    key = unique("idem-")
    assert_error(srv.hold(event_id, 0, key=key), 400, "INVALID_REQUEST")
    r = srv.hold(event_id, 1, key=key)
    assert r.status_code == 201, f"a 400 is never stored, so the key is still free: {r.text}"


def test_business_outcomes_are_remembered(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    blocker = srv.hold_ok(event_id, 1, ["A-1"])
    key = unique("idem-")
    first = srv.hold(event_id, 1, ["A-1"], key=key)
    assert_error(first, 409, "SEAT_UNAVAILABLE")
    assert srv.cancel(blocker["reservationId"]).status_code == 200
    again = srv.hold(event_id, 1, ["A-1"], key=key)
    assert_replay(first, again)
    assert srv.availability(event_id)["held"] == 0, "the replayed 409 did not hold the now-free seat"


def test_confirm_with_a_key_replays_the_same_order(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    rid = srv.hold_ok(event_id, 1)["reservationId"]
    key = unique("idem-")
    first = srv.confirm(rid, key=key)
    assert first.status_code == 200, first.text
    again = srv.confirm(rid, key=key)
    assert_replay(first, again)
    assert again.json()["orderId"] == first.json()["orderId"]
    # Without the key the second confirm is an ordinary 409.
    assert_error(srv.confirm(rid), 409, "RESERVATION_ALREADY_CONFIRMED")
    # Same key, other reservation in the body: another fingerprint.
    other = srv.hold_ok(event_id, 1)["reservationId"]
    assert_error(srv.confirm(other, key=key), 409, "IDEMPOTENCY_CONFLICT")
    assert srv.reservation(other).json()["status"] == "HOLD"


def test_path_parameters_count_in_the_fingerprint(server):
    srv = server()
    event_id = srv.create_event(SECTIONS)
    a, b = (srv.hold_ok(event_id, 1)["reservationId"] for _ in range(2))
    key = unique("idem-")
    body = {"paymentIntentId": "pay_same"}
    first = srv.post(f"/v1/reservations/{a}/confirm", body, key=key)
    assert first.status_code == 200, first.text
    assert_replay(first, srv.post(f"/v1/reservations/{a}/confirm", body, key=key))
    assert_error(srv.post(f"/v1/reservations/{b}/confirm", body, key=key), 409, "IDEMPOTENCY_CONFLICT")
    assert srv.reservation(b).json()["status"] == "HOLD"
