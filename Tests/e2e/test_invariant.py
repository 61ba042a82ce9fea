"""A seeded random workload on one event, checked against a client-side model after every step:
available + held + sold == totalSeats overall and per section, and the counts are exactly the model's.
Set E2E_SEED to replay another sequence."""
import os
import random

from conftest import assert_counts_consistent, assert_error

SECTIONS = [("A", 12, 1000), ("B", 8, 2000), ("C", 20, 500)]
SEED = int(os.environ.get("E2E_SEED", "20260101"))


def test_random_workload_keeps_counts_consistent(server):
    rng = random.Random(SEED)
    srv = server()
    event_id = srv.create_event(SECTIONS)
    price = {name: p for name, _, p in SECTIONS}
    all_seats = [f"{name}-{n}" for name, size, _ in SECTIONS for n in range(1, size + 1)]
    seat_state = {s: "AVAILABLE" for s in all_seats}
    reservations = {}  # id -> [status, seats]

    def ids_in(status):
        return [rid for rid, (st, _) in reservations.items() if st == status]

    for step in range(300):
        where = f"seed {SEED} step {step}"
        op = rng.random()
        if op < 0.45:
            quantity = rng.randint(1, 4)
            explicit = rng.random() < 0.5
            seats = rng.sample(all_seats, quantity) if explicit else None
            r = srv.hold(event_id, quantity, seats)
            free = [s for s in all_seats if seat_state[s] == "AVAILABLE"]
            possible = all(seat_state[s] == "AVAILABLE" for s in seats) if explicit else len(free) >= quantity
            if not possible:
                assert_error(r, 409, "SEAT_UNAVAILABLE")
            else:
                assert r.status_code == 201, f"{where}: {r.status_code} {r.text}"
                body = r.json()
                got = body["seatIds"]
                if explicit:
                    assert sorted(got) == sorted(seats), where
                assert len(set(got)) == quantity and all(seat_state[s] == "AVAILABLE" for s in got), f"{where}: {got}"
                assert body["totalAmount"] == sum(price[s.split("-")[0]] for s in got), where
                for s in got:
                    seat_state[s] = "HELD"
                reservations[body["reservationId"]] = ["HOLD", got]
        elif op < 0.70:
            pool = ids_in("HOLD") if rng.random() < 0.85 else list(reservations)
            if not pool:
                continue
            rid = rng.choice(pool)
            status, seats = reservations[rid]
            r = srv.confirm(rid, payment=f"pay_{step}")
            if status == "HOLD":
                assert r.status_code == 200, f"{where}: {r.text}"
                reservations[rid][0] = "CONFIRMED"
                for s in seats:
                    seat_state[s] = "SOLD"
            else:
                assert_error(r, 409, "RESERVATION_ALREADY_" + status)
        else:
            pool = ids_in("HOLD") if rng.random() < 0.85 else list(reservations)
            if not pool:
                continue
            rid = rng.choice(pool)
            status, seats = reservations[rid]
            r = srv.post(f"/v1/reservations/{rid}/cancel") if rng.random() < 0.5 else srv.cancel(rid)
            if status == "HOLD":
                assert r.status_code == 200, f"{where}: {r.text}"
                reservations[rid][0] = "CANCELLED"
                for s in seats:
                    seat_state[s] = "AVAILABLE"
            else:
                assert_error(r, 409, "RESERVATION_ALREADY_" + status)

        av = srv.availability(event_id)
        assert_counts_consistent(av, SECTIONS)
        for section, got in zip([n for n, _, _ in SECTIONS], av["sections"]):
            want = {k: sum(1 for s, st in seat_state.items() if s.split("-")[0] == section and st == k.upper())
                    for k in ("available", "held", "sold")}
            got_counts = {k: got[k] for k in ("available", "held", "sold")}
            assert got_counts == want, f"{where}: section {section}: server {got_counts}, model {want}"

    event = srv.get(f"/v1/events/{event_id}").json()
    assert {k: event[k] for k in ("totalSeats", "available", "held", "sold")} == \
        {k: av[k] for k in ("totalSeats", "available", "held", "sold")}, "event counts agree with availability"
    # The seat listing agrees with the model seat by seat.
    listed = {s["seatId"]: s["status"] for s in srv.seats(event_id)}
    assert listed == seat_state
    for rid, (status, seats) in reservations.items():
        got = srv.reservation(rid).json()
        assert got["status"] == status and sorted(got["seatIds"]) == sorted(seats), rid
