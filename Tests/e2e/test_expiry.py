"""Hold expiry with short holds (`--hold-seconds`; skipped when the binary refuses the flag).

API.md: a HOLD whose deadline has passed is EXPIRED at once for GET, confirm and cancel; its seats
return to availability within one timer tick; holds that ended while the server was down are expired
before it reports ready."""
import signal
import threading
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


def test_seats_of_a_hold_past_its_deadline_can_be_held_at_once(server):
    """The writer expires every due hold before it applies a batch, so a new hold on the same seats
    right after the deadline succeeds even if the expiry timer has not fired yet."""
    srv = server(hold_seconds=HOLD)
    event_id = srv.create_event(SECTIONS)
    for attempt in range(3):
        created = srv.hold_ok(event_id, 2, ["A-3", "A-4"])
        sleep_until(parse_time(created["holdExpiresAt"]) + 0.002)
        r = srv.hold(event_id, 2, ["A-3", "A-4"])
        assert r.status_code == 201, f"attempt {attempt}: seats of an expired hold refused: {r.text}"
        assert srv.reservation(created["reservationId"]).json()["status"] == "EXPIRED"
        assert srv.cancel(r.json()["reservationId"]).status_code == 200


def test_confirms_around_the_deadline_are_all_or_nothing(server):
    """Confirms sent just before and just after the deadline: each reservation ends either CONFIRMED
    (seats sold) or EXPIRED (seats free), consistent with what its confirm answered; a confirm sent
    after the deadline is never accepted."""
    srv = server(hold_seconds=HOLD)
    sections = [("A", 40, 100)]
    event_id = srv.create_event(sections)
    created = [srv.hold_ok(event_id, 1) for _ in range(24)]
    results = {}

    def confirm_at(c, when):
        sleep_until(when)
        sent = time.time()
        r = srv.confirm(c["reservationId"])
        results[c["reservationId"]] = (sent, r)

    threads = []
    for i, c in enumerate(created):
        deadline = parse_time(c["holdExpiresAt"])
        threads.append(threading.Thread(target=confirm_at, args=(c, deadline - 0.06 + i * 0.005)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    sold = 0
    for c in created:
        rid, deadline = c["reservationId"], parse_time(c["holdExpiresAt"])
        sent, r = results[rid]
        final = srv.reservation(rid).json()["status"]
        if r.status_code == 200:
            assert sent <= deadline + 0.001, f"confirm sent {sent - deadline:+.3f}s after the deadline was accepted"
            assert final == "CONFIRMED", final
            sold += 1
        else:
            assert_error(r, 409, "RESERVATION_EXPIRED")
            assert final == "EXPIRED", final
    last = max(parse_time(c["holdExpiresAt"]) for c in created)
    av = poll(lambda: (a := srv.availability(event_id))["held"] == 0 and a, last + SLACK, "holds settled")
    assert_counts_consistent(av, sections)
    assert av["sold"] == sold and av["available"] == 40 - sold


def test_churn_with_short_holds_settles_to_exact_counts(server):
    """Four clients hold, confirm and cancel for ~2 s with 0.2 s holds, so expiries interleave with
    everything else; once every deadline has passed nothing is held and exactly the confirmed seats are sold."""
    srv = server(hold_seconds=0.2)
    sections = [("A", 60, 100), ("B", 60, 100)]
    event_id = srv.create_event(sections)
    lock = threading.Lock()
    confirmed, outcomes, errors = {}, [], []
    stop_at = time.time() + 2.0

    def client(worker):
        user = f"churn{worker}"
        n = 0
        while time.time() < stop_at:
            n += 1
            r = srv.hold(event_id, 1 + n % 3, user=user)
            if r.status_code != 201:
                if r.status_code != 409:
                    errors.append(r.text)
                continue
            body = r.json()
            time.sleep((n % 5) * 0.06)  # sometimes past the deadline
            if n % 4 == 3:
                c = srv.cancel(body["reservationId"], user=user)
                expected = {200, 409}
            else:
                sent = time.time()
                c = srv.confirm(body["reservationId"], user=user)
                expected = {200, 409}
                if c.status_code == 200:
                    with lock:
                        confirmed[body["reservationId"]] = (user, len(body["seatIds"]))
                    if sent > parse_time(body["holdExpiresAt"]) + 0.001:
                        errors.append(f"confirm sent after the deadline succeeded: {body['reservationId']}")
            if c.status_code not in expected:
                errors.append(c.text)
            elif c.status_code == 409:
                with lock:
                    outcomes.append(c.json()["error"]["code"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors[:5]
    assert set(outcomes) <= {"RESERVATION_EXPIRED"}, outcomes
    assert confirmed and "RESERVATION_EXPIRED" in outcomes, "the workload should see both outcomes"
    sold = sum(q for _, q in confirmed.values())
    av = poll(lambda: (a := srv.availability(event_id))["held"] == 0 and a, time.time() + 0.2 + SLACK, "churn settled")
    assert_counts_consistent(av, sections)
    assert (av["sold"], av["available"]) == (sold, 120 - sold), av
    for rid, (user, _) in confirmed.items():
        assert srv.reservation(rid, user=user).json()["status"] == "CONFIRMED"
