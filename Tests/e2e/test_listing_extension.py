"""Listing and extending holds over REST (API.md "Listing and extending holds")."""
import threading
import time

from conftest import assert_error, parse_time, unique


def list_all(srv, query: str = "", *, user: str | None = None, limit: int = 37) -> list[dict]:
    out, cursor = [], None
    while True:
        q = f"limit={limit}" + (f"&{query}" if query else "") + (f"&cursor={cursor}" if cursor else "")
        r = srv.get(f"/v1/reservations?{q}", user=user)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) == {"reservations", "nextCursor"}
        assert len(page["reservations"]) <= limit
        out += page["reservations"]
        cursor = page["nextCursor"]
        if cursor is None:
            return out


def test_listing_pages_through_1000_reservations_without_gaps_or_repeats_while_holds_arrive(server):
    srv = server()
    event_id = srv.create_event((("A", 3000, 100),))
    user = unique("lister_")
    made = [srv.hold_ok(event_id, 1, user=user)["reservationId"] for _ in range(1000)]

    # Another thread keeps holding for the same user while the pages are read.
    stop = threading.Event()
    later: list[str] = []

    def keep_holding():
        while not stop.is_set():
            later.append(srv.hold_ok(event_id, 1, user=user)["reservationId"])

    writer = threading.Thread(target=keep_holding)
    writer.start()
    try:
        seen = [r["reservationId"] for r in list_all(srv, user=user)]
    finally:
        stop.set()
        writer.join()
    assert later, "holds kept arriving during the listing"
    assert len(seen) == len(set(seen)), "no reservation appears twice"
    # Every reservation that existed before the first page appears, newest first; holds made after the
    # first page was read are newer and never slip in between.
    older = [rid for rid in seen if rid in set(made)]
    assert older == list(reversed(made))
    assert set(seen) - set(made) <= set(later)


def test_listing_shows_only_the_callers_own_reservations_and_filters(server):
    srv = server(hold_seconds=2)
    event_a = srv.create_event((("A", 20, 100),))
    event_b = srv.create_event((("A", 20, 100),))
    alice, bob = unique("alice_"), unique("bob_")
    a1 = srv.hold_ok(event_a, 1, user=alice)["reservationId"]
    a2 = srv.hold_ok(event_b, 1, user=alice)["reservationId"]
    a3 = srv.hold_ok(event_a, 1, user=alice)["reservationId"]
    assert srv.confirm(a3, user=alice).status_code == 200
    b1 = srv.hold_ok(event_a, 1, user=bob)["reservationId"]

    assert [r["reservationId"] for r in list_all(srv, user=alice)] == [a3, a2, a1]
    assert [r["reservationId"] for r in list_all(srv, user=bob)] == [b1]
    listed = list_all(srv, user=alice)[0]
    assert listed == srv.reservation(a3, user=alice).json(), "entries are shaped as GET one"
    assert [r["reservationId"] for r in list_all(srv, f"eventId={event_a}", user=alice)] == [a3, a1]
    assert [r["reservationId"] for r in list_all(srv, "status=CONFIRMED", user=alice)] == [a3]
    assert [r["reservationId"] for r in list_all(srv, "status=HOLD", user=alice)] == [a2, a1]
    time.sleep(2.1)
    # A lapsed hold lists as EXPIRED at once, like GET shows it.
    assert [r["reservationId"] for r in list_all(srv, "status=EXPIRED", user=alice)] == [a2, a1]
    assert list_all(srv, "status=HOLD", user=alice) == []


def test_listing_refuses_forged_and_foreign_cursors_and_bad_queries(server):
    srv = server()
    event_id = srv.create_event((("A", 20, 100),))
    alice = unique("alice_")
    for _ in range(5):
        srv.hold_ok(event_id, 1, user=alice)
    page = srv.get("/v1/reservations?limit=2", user=alice).json()
    cursor = page["nextCursor"]
    assert cursor
    forged = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for path, user in ((f"/v1/reservations?cursor={forged}", alice),
                       (f"/v1/reservations?cursor={cursor}", unique("mallory_")),
                       (f"/v1/reservations?status=HOLD&cursor={cursor}", alice),
                       ("/v1/reservations?cursor=garbage", alice)):
        err = assert_error(srv.get(path, user=user), 400, "INVALID_REQUEST")
        assert err["details"] == {"cursor": "is not a cursor of this listing"}
    for query, field in (("limit=0", "limit"), ("limit=201", "limit"), ("limit=x", "limit"), ("status=SOLD", "status")):
        err = assert_error(srv.get(f"/v1/reservations?{query}", user=alice), 400, "INVALID_REQUEST")
        assert field in err["details"]
    # The genuine cursor still works, and survives a restart (the signing key is kept).
    srv.restart()
    r = srv.get(f"/v1/reservations?limit=2&cursor={cursor}", user=alice)
    assert r.status_code == 200 and len(r.json()["reservations"]) == 2


def test_extend_moves_the_deadline_within_the_policy(server):
    srv = server(args=["--hold-seconds", "60", "--max-hold-extensions", "1", "--max-hold-seconds", "100"])
    event_id = srv.create_event((("A", 5, 100),))
    created = srv.hold_ok(event_id, 1)
    rid = created["reservationId"]
    key = unique("ext-")
    r = srv.post(f"/v1/reservations/{rid}/extend", {"seconds": 30}, key=key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"reservationId", "status", "holdExpiresAt", "extensionsUsed", "extensionsLeft"}
    assert body["reservationId"] == rid and body["status"] == "HOLD"
    assert body["extensionsUsed"] == 1 and body["extensionsLeft"] == 0
    assert abs(parse_time(body["holdExpiresAt"]) - parse_time(created["holdExpiresAt"]) - 30) < 0.002
    assert srv.reservation(rid).json()["holdExpiresAt"] == body["holdExpiresAt"]
    # Idempotent like confirm: the same key replays, another body with it conflicts.
    again = srv.post(f"/v1/reservations/{rid}/extend", {"seconds": 30}, key=key)
    assert again.status_code == 200 and again.json() == body and again.headers.get("Idempotent-Replayed") == "true"
    assert_error(srv.post(f"/v1/reservations/{rid}/extend", {"seconds": 31}, key=key), 409, "IDEMPOTENCY_CONFLICT")
    # One extension was allowed.
    assert_error(srv.post(f"/v1/reservations/{rid}/extend", {"seconds": 5}), 409, "HOLD_EXTENSION_LIMIT")

    # Without a body the extension is the hold length, clamped at 100 s after creation.
    other = srv.hold_ok(event_id, 1)
    r = srv.post(f"/v1/reservations/{other['reservationId']}/extend")
    assert r.status_code == 200, r.text
    stored = srv.reservation(other["reservationId"]).json()
    assert abs(parse_time(r.json()["holdExpiresAt"]) - parse_time(stored["createdAt"]) - 100) < 0.002

    # Errors: unknown, someone else's, final states, bad seconds.
    assert_error(srv.post("/v1/reservations/rsv_unknown/extend"), 404, "RESERVATION_NOT_FOUND")
    mine = srv.hold_ok(event_id, 1)["reservationId"]
    assert_error(srv.post(f"/v1/reservations/{mine}/extend", user=unique("mallory_")), 404, "RESERVATION_NOT_FOUND")
    assert srv.cancel(mine).status_code == 200
    assert_error(srv.post(f"/v1/reservations/{mine}/extend"), 409, "RESERVATION_ALREADY_CANCELLED")
    for seconds in (0, -1, 101, "60"):
        err = assert_error(srv.post(f"/v1/reservations/{rid}/extend", {"seconds": seconds}), 400, "INVALID_REQUEST")
        assert "seconds" in err["details"]


def test_extended_hold_expires_at_the_new_deadline_not_the_old(server):
    srv = server(hold_seconds=1)
    event_id = srv.create_event((("A", 1, 100),))
    rid = srv.hold_ok(event_id, 1)["reservationId"]
    assert srv.post(f"/v1/reservations/{rid}/extend", {"seconds": 2}).status_code == 200
    time.sleep(1.5)
    assert srv.reservation(rid).json()["status"] == "HOLD"
    assert srv.availability(event_id)["held"] == 1
    time.sleep(2.0)
    assert srv.reservation(rid).json()["status"] == "EXPIRED"
    assert srv.availability(event_id)["available"] == 1
    assert_error(srv.post(f"/v1/reservations/{rid}/extend"), 409, "RESERVATION_EXPIRED")


def test_extension_survives_a_restart(server):
    srv = server(hold_seconds=1)
    event_id = srv.create_event((("A", 1, 100),))
    rid = srv.hold_ok(event_id, 1)["reservationId"]
    assert srv.post(f"/v1/reservations/{rid}/extend", {"seconds": 3}).status_code == 200
    srv.kill()
    time.sleep(1.2)
    srv.start()
    assert srv.reservation(rid).json()["status"] == "HOLD", "the old deadline passed while down; the new one did not"
    time.sleep(3.0)
    assert srv.reservation(rid).json()["status"] == "EXPIRED"
    assert srv.availability(event_id)["available"] == 1
