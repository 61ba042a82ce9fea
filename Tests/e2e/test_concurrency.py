"""No seat is sold twice and no reservation is confirmed twice, with many clients on real sockets at once."""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from conftest import assert_counts_consistent, assert_error, unique


def race(n, action):
    """Runs action(i) on n threads released together by a barrier; returns the results in order of i."""
    barrier = threading.Barrier(n, timeout=30)

    def run(i):
        barrier.wait()
        return action(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_64_clients_race_for_the_same_4_seats(server):
    srv = server()
    sections = [("A", 20, 10000)]
    event_id = srv.create_event(sections)
    seats = ["A-5", "A-6", "A-7", "A-8"]
    users = [unique("racer_") for _ in range(64)]
    responses = race(64, lambda i: srv.hold(event_id, 4, seats, user=users[i]))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 63}, statuses
    for r in responses:
        if r.status_code == 409:
            assert_error(r, 409, "SEAT_UNAVAILABLE")
    winner_index = next(i for i, r in enumerate(responses) if r.status_code == 201)
    winner = responses[winner_index].json()
    assert sorted(winner["seatIds"]) == seats
    got = srv.reservation(winner["reservationId"], user=users[winner_index])
    assert got.status_code == 200 and got.json()["status"] == "HOLD"
    av = srv.availability(event_id)
    assert_counts_consistent(av, sections)
    assert (av["available"], av["held"], av["sold"]) == (16, 4, 0)
    assert {s["seatId"] for s in srv.seats(event_id, "HELD")} == set(seats)


def test_300_best_available_holds_on_100_seats(server):
    srv = server()
    sections = [("A", 40, 100), ("B", 60, 200)]
    event_id = srv.create_event(sections)
    responses = race(300, lambda i: srv.hold(event_id, 1, user=f"buyer_{i}"))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 100, 409: 200}, statuses
    for r in responses:
        if r.status_code == 409:
            assert_error(r, 409, "SEAT_UNAVAILABLE")
    won = [r.json() for r in responses if r.status_code == 201]
    seat_ids = [s for body in won for s in body["seatIds"]]
    assert len(seat_ids) == 100 and len(set(seat_ids)) == 100, Counter(seat_ids).most_common(3)
    assert len({body["reservationId"] for body in won}) == 100
    av = srv.availability(event_id)
    assert_counts_consistent(av, sections)
    assert (av["available"], av["held"], av["sold"]) == (0, 100, 0)
    assert {s["seatId"] for s in srv.seats(event_id, "HELD")} == set(seat_ids)
    assert_error(srv.hold(event_id, 1), 409, "SEAT_UNAVAILABLE")


def test_16_concurrent_confirms_make_one_order(server):
    srv = server()
    sections = [("A", 10, 5000)]
    event_id = srv.create_event(sections)
    rid = srv.hold_ok(event_id, 3)["reservationId"]
    responses = race(16, lambda i: srv.confirm(rid, payment=f"pay_{i}"))
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: 15}, statuses
    orders = {r.json()["orderId"] for r in responses if r.status_code == 200}
    for r in responses:
        if r.status_code == 409:
            assert_error(r, 409, "RESERVATION_ALREADY_CONFIRMED")
    got = srv.reservation(rid).json()
    assert got["status"] == "CONFIRMED" and {got["orderId"]} == orders
    av = srv.availability(event_id)
    assert (av["available"], av["held"], av["sold"]) == (7, 0, 3)


def test_confirm_and_cancel_race_has_one_winner(server):
    srv = server()
    sections = [("A", 40, 100)]
    event_id = srv.create_event(sections)
    rids = [srv.hold_ok(event_id, 2)["reservationId"] for _ in range(12)]
    for rid in rids:
        confirm, cancel = race(2, lambda i: srv.confirm(rid) if i == 0 else srv.cancel(rid))
        final = srv.reservation(rid).json()["status"]
        if confirm.status_code == 200:
            assert_error(cancel, 409, "RESERVATION_ALREADY_CONFIRMED")
            assert final == "CONFIRMED"
        else:
            assert cancel.status_code == 200, (confirm.text, cancel.text)
            assert_error(confirm, 409, "RESERVATION_ALREADY_CANCELLED")
            assert final == "CANCELLED"
    av = srv.availability(event_id)
    assert_counts_consistent(av, sections)
    confirmed = sum(srv.reservation(rid).json()["status"] == "CONFIRMED" for rid in rids)
    assert (av["held"], av["sold"]) == (0, 2 * confirmed)


def test_concurrent_mixed_explicit_and_best_available(server):
    """Explicit holds on overlapping pairs and best-available holds together never double-book a seat."""
    srv = server()
    sections = [("A", 30, 100)]
    event_id = srv.create_event(sections)

    def act(i):
        if i % 2:
            n = (i // 2) % 29 + 1
            return srv.hold(event_id, 2, [f"A-{n}", f"A-{n + 1}"], user=f"u{i}")
        return srv.hold(event_id, 2, user=f"u{i}")

    responses = race(80, act)
    assert set(r.status_code for r in responses) <= {201, 409}, Counter(r.status_code for r in responses)
    seat_ids = [s for r in responses if r.status_code == 201 for s in r.json()["seatIds"]]
    assert len(seat_ids) == len(set(seat_ids)), Counter(seat_ids).most_common(3)
    av = srv.availability(event_id)
    assert_counts_consistent(av, sections)
    assert av["held"] == len(seat_ids)
    assert {s["seatId"] for s in srv.seats(event_id, "HELD")} == set(seat_ids)
