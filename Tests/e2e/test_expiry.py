"""Hold expiry with short holds (`--hold-seconds`; skipped when the binary refuses the flag).

API.md: a HOLD whose deadline has passed is EXPIRED at once for GET, confirm and cancel; its seats
return to availability within one timer tick; holds that ended while the server was down are expired
before it reports ready."""
import signal
import time

from conftest import assert_counts_consistent, assert_error, parse_time

HOLD = 1.0
SLACK = 0.5  # seats must be free again within this of the deadline ("~1.5 s" after a 1 s hold)
SECTIONS = [("A", 6, 1000)]


def sleep_until(t: float) -> None:
    delay = t - time.time()
    if delay > 0:
        time.sleep(delay)


def poll(predicate, until: float, what: str):
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < until, f"{what}: not by the deadline"
        time.sleep(0.02)


def test_hold_expires_on_time(server):
    srv = server(hold_seconds=HOLD)
    event_id = srv.create_event(SECTIONS)
    created = srv.hold_ok(event_id, 2, ["A-1", "A-2"])
    keeper = srv.hold_ok(event_id, 1, ["A-6"])
    rid = created["reservationId"]
    deadline = parse_time(created["holdExpiresAt"])
    got = srv.reservation(rid).json()
    assert abs(deadline - parse_time(got["createdAt"]) - HOLD) < 0.05, "the hold lasts --hold-seconds"
    assert got["status"] == "HOLD"
    assert srv.confirm(keeper["reservationId"]).status_code == 200, "confirmed before its deadline"

    sleep_until(deadline + 0.01)
    got = srv.reservation(rid).json()
    assert got["status"] == "EXPIRED", f"a hold past its deadline reads EXPIRED at once: {got}"
    assert got["holdExpiresAt"] == created["holdExpiresAt"] and got["orderId"] is None
    assert_error(srv.confirm(rid), 409, "RESERVATION_EXPIRED")
    assert_error(srv.cancel(rid), 409, "RESERVATION_EXPIRED")
    assert_error(srv.post(f"/v1/reservations/{rid}/confirm", {"paymentIntentId": "pay_late"}), 409, "RESERVATION_EXPIRED")

    av = poll(lambda: (a := srv.availability(event_id))["held"] == 0 and a, deadline + SLACK,
              "expired seats back in availability")
    assert_counts_consistent(av, SECTIONS)
    assert (av["available"], av["held"], av["sold"]) == (5, 0, 1), "the confirmed seat stays sold"
    assert {s["seatId"] for s in srv.seats(event_id, "AVAILABLE")} >= {"A-1", "A-2"}
    again = srv.hold_ok(event_id, 2, ["A-1", "A-2"])
    assert again["reservationId"] != rid
    assert srv.reservation(rid).json()["status"] == "EXPIRED", "EXPIRED is final"
    assert srv.reservation(keeper["reservationId"]).json()["status"] == "CONFIRMED"


def test_many_holds_expire_together(server):
    srv = server(hold_seconds=HOLD)
    sections = [("A", 50, 10)]
    event_id = srv.create_event(sections)
    created = [srv.hold_ok(event_id, 5) for _ in range(10)]
    assert srv.availability(event_id)["available"] == 0
    last = max(parse_time(c["holdExpiresAt"]) for c in created)
    sleep_until(last + 0.01)
    assert all(srv.reservation(c["reservationId"]).json()["status"] == "EXPIRED" for c in created)
    av = poll(lambda: (a := srv.availability(event_id))["available"] == 50 and a, last + SLACK,
              "all 50 seats available again")
    assert (av["held"], av["sold"]) == (0, 0)


def test_holds_that_ended_while_down_are_expired_before_ready(server):
    srv = server(hold_seconds=HOLD)
    event_id = srv.create_event(SECTIONS)
    created = [srv.hold_ok(event_id, 2) for _ in range(3)]
    assert srv.availability(event_id)["held"] == 6
    last = max(parse_time(c["holdExpiresAt"]) for c in created)
    srv.restart(signal.SIGKILL, before_start=lambda: sleep_until(last + 0.05))
    av = srv.availability(event_id)  # the first read after readiness
    assert (av["available"], av["held"], av["sold"]) == (6, 0, 0), f"holds past their deadline still held after restart: {av}"
    for c in created:
        assert srv.reservation(c["reservationId"]).json()["status"] == "EXPIRED"
    assert len(srv.hold_ok(event_id, 6)["seatIds"]) == 6


def test_hold_survives_a_restart_before_its_deadline_and_then_expires(server):
    srv = server(hold_seconds=2)
    event_id = srv.create_event(SECTIONS)
    created = srv.hold_ok(event_id, 3)
    deadline = parse_time(created["holdExpiresAt"])
    srv.restart(signal.SIGTERM)
    if time.time() < deadline - 0.1:
        assert srv.reservation(created["reservationId"]).json()["status"] == "HOLD"
        assert srv.availability(event_id)["held"] == 3
    av = poll(lambda: (a := srv.availability(event_id))["held"] == 0 and a, deadline + SLACK,
              "the restarted server expires the hold")
    assert av["available"] == 6
    assert srv.reservation(created["reservationId"]).json()["status"] == "EXPIRED"
