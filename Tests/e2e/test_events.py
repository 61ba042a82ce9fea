"""Events and inventory (API.md "Events and inventory"), through the real binary."""
import time

from conftest import assert_counts_consistent, assert_error, parse_time, unique


def test_create_event_then_read_it_back(server):
    srv = server()
    event_id = unique("evt_e2e_")
    body = {"eventId": event_id, "name": "Concert", "currency": "KRW",
            "sections": [{"name": "A", "seats": 3, "price": 10000}, {"name": "B", "seats": 2, "price": 25000}]}
    before = time.time()
    r = srv.post("/v1/events", body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/v1/events/{event_id}"
    created = r.json()
    assert created == {**created, "eventId": event_id, "name": "Concert", "currency": "KRW", "totalSeats": 5,
                       "available": 5, "held": 0, "sold": 0,
                       "sections": [{"name": "A", "seats": 3, "price": 10000}, {"name": "B", "seats": 2, "price": 25000}]}
    assert abs(parse_time(created["createdAt"]) - before) < 5
    got = srv.get(f"/v1/events/{event_id}")
    assert got.status_code == 200
    assert got.json() == created, "GET returns the event as the create response did"

    av = srv.availability(event_id)
    assert av["eventId"] == event_id
    assert_counts_consistent(av, [("A", 3, 10000), ("B", 2, 25000)])
    assert (av["available"], av["held"], av["sold"]) == (5, 0, 0)

    seats = srv.seats(event_id)
    assert [s["seatId"] for s in seats] == ["A-1", "A-2", "A-3", "B-1", "B-2"]
    assert all(s["status"] == "AVAILABLE" for s in seats)
    assert [s["price"] for s in seats] == [10000] * 3 + [25000] * 2
    assert [s["section"] for s in seats] == ["A"] * 3 + ["B"] * 2


def test_seat_listing_pages_with_a_cursor_and_filters_by_section(server):
    srv = server()
    event_id = srv.create_event([("A", 12, 100), ("B", 5, 200)])
    seen, cursor = [], None
    for _ in range(20):
        path = f"/v1/events/{event_id}/seats?limit=5" + (f"&cursor={cursor}" if cursor else "")
        r = srv.get(path)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["seats"]) <= 5
        seen += [s["seatId"] for s in page["seats"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [f"A-{n}" for n in range(1, 13)] + [f"B-{n}" for n in range(1, 6)], "numeric order, no gaps or repeats"
    b = srv.get(f"/v1/events/{event_id}/seats?section=B").json()
    assert [s["seatId"] for s in b["seats"]] == [f"B-{n}" for n in range(1, 6)]
    assert b["nextCursor"] is None


def test_event_errors(server):
    srv = server()
    event_id = srv.create_event()
    r = srv.post("/v1/events", {"eventId": event_id, "name": "again", "currency": "KRW",
                                "sections": [{"name": "A", "seats": 1, "price": 1}]})
    assert_error(r, 409, "EVENT_ALREADY_EXISTS", path="/v1/events")
    r = srv.post("/v1/events", {"name": "bad", "currency": "KRW", "sections": [{"name": "A-1", "seats": 1, "price": 1}]})
    err = assert_error(r, 400, "INVALID_REQUEST")
    assert isinstance(err.get("details"), dict) and err["details"], err
    for path in ("/v1/events/evt_missing", "/v1/events/evt_missing/availability", "/v1/events/evt_missing/seats"):
        assert_error(srv.get(path), 404, "EVENT_NOT_FOUND", path=path)
    r = srv.get(f"/v1/events/{event_id}/seats?limit=0")
    assert "limit" in assert_error(r, 400, "INVALID_REQUEST")["details"]
    r = srv.get(f"/v1/events/{event_id}/seats?status=FREE")
    assert "status" in assert_error(r, 400, "INVALID_REQUEST")["details"]


def test_generated_event_ids_are_distinct(server):
    srv = server()
    ids = set()
    for _ in range(5):
        r = srv.post("/v1/events", {"name": "anon", "currency": "KRW", "sections": [{"name": "A", "seats": 1, "price": 1}]})
        assert r.status_code == 201, r.text
        ids.add(r.json()["eventId"])
    assert len(ids) == 5 and all(i.startswith("evt_") for i in ids), ids


def test_demo_event_exists_with_demo_flag(server):
    srv = server(demo=True)
    av = srv.availability("evt_2025_1001")
    assert_counts_consistent(av, [(s, 100, 10000) for s in "ABCDE"])


def test_concurrent_creates_of_one_event_id_make_one_event(server):
    from test_concurrency import race

    srv = server()
    event_id = unique("evt_e2e_")
    body = {"eventId": event_id, "name": "race", "currency": "KRW", "sections": [{"name": "A", "seats": 5, "price": 1}]}
    responses = race(16, lambda i: srv.post("/v1/events", {**body, "name": f"race {i}"}))
    assert sorted(r.status_code for r in responses) == [201] + [409] * 15, [r.status_code for r in responses]
    for r in responses:
        if r.status_code == 409:
            assert_error(r, 409, "EVENT_ALREADY_EXISTS")
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert srv.get(f"/v1/events/{event_id}").json()["name"] == winner["name"]
