#!/usr/bin/env python3
"""Crash cycles against the release binary: mixed load, `kill -9` at a random moment, restart on
the same database, then check through the API and with SQL that nothing acknowledged was lost.

Each cycle: start the server (the same database every cycle), run holds (best available, 1-2 seats,
a unique Idempotency-Key each, carried as the reservationToken too), confirms, cancels, extends,
reads and retries of earlier holds (5 s holds, so some expire, some while the server is down) from
12 threads for a random 1-4 s, SIGKILL the server in the middle of it, start it again, and check
(in one read transaction):
  - every acknowledged hold (201), confirm (200) and cancel (200) is stored with that status (or a
    later one that the contract allows: a hold may have expired, been confirmed or cancelled by a
    request that was in flight at the kill) and has its outbox rows (reservation.created, and
    .confirmed or .cancelled for each acknowledged confirm or cancel);
  - no seat belongs to two live reservations, every held or sold seat points to a live reservation
    of its own event, and every live reservation's seats point back to it;
  - every section's counters equal a recount of its seats;
  - every acknowledged hold, retried with its key and body, replays its first answer
    (`Idempotent-Replayed: true`, the same reservation) — through the restart.
Prints one line per cycle and exits non-zero at the first failure, with the reason.

usage: scripts/chaos.py BINARY [cycles] [--workdir DIR]   (scripts/chaos.sh builds and runs it)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

EVENT = "evt_chaos"
SEATS_PER_SECTION = 20_000
SECTIONS = ["A", "B", "C", "D", "E"]


class Failure(Exception):
    pass


class Server:
    def __init__(self, binary: str, workdir: Path):
        self.binary = binary
        self.workdir = workdir
        self.db = workdir / "chaos.db"
        self.process: subprocess.Popen | None = None
        self.base = ""
        self.starts = 0

    def start(self) -> float:
        self.starts += 1
        log = open(self.workdir / f"server-{self.starts}.log", "wb")
        began = time.monotonic()
        self.process = subprocess.Popen(
            [self.binary, "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", "--db", str(self.db),
             "--hold-seconds", "5", "--access-log-sample-rate", "0"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + 60
        port = None
        while port is None:
            if self.process.poll() is not None:
                raise Failure(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            for line in (self.workdir / f"server-{self.starts}.log").read_text(errors="replace").splitlines():
                if '"msg":"listening"' in line:
                    port = json.loads(line)["port"]
            if time.monotonic() > deadline:
                raise Failure("no listening line within 60 s")
            time.sleep(0.01)
        self.base = f"http://127.0.0.1:{port}"
        while True:
            try:
                if requests.get(self.base + "/actuator/health/readiness", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise Failure(f"not ready within 60 s:\n{self.log_tail()}")
            time.sleep(0.01)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise Failure("no exit within 30 s of SIGTERM")
            if code != 0:
                raise Failure(f"exit status {code} after SIGTERM:\n{self.log_tail()}")

    def log_tail(self) -> str:
        path = self.workdir / f"server-{self.starts}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-15:]) if path.exists() else ""

    def breaches(self) -> list[str]:
        found = []
        for path in sorted(self.workdir.glob("server-*.log")):
            found += [line for line in path.read_text(errors="replace").splitlines() if "INVARIANT BREACH" in line]
        return found


class Ledger:
    """What the server acknowledged, per reservation, across every cycle."""

    def __init__(self):
        self.lock = threading.Lock()
        self.holds: dict[str, dict] = {}  # reservation id → {key, body, user}
        self.confirmed: set[str] = set()
        self.cancelled: set[str] = set()
        self.extended: set[str] = set()


def load(server: Server, ledger: Ledger, worker: int, stop: threading.Event, rng: random.Random) -> None:
    session = requests.Session()
    user = f"chaos-{worker}"
    mine: list[str] = []
    while not stop.is_set():
        try:
            roll = rng.random()
            if roll < 0.45 or not mine:
                key = f"chaos-{uuid.uuid4().hex}"
                body = {"eventId": EVENT, "quantity": rng.choice([1, 2]), "reservationToken": key}
                r = session.post(server.base + "/v1/reservations", json=body,
                                 headers={"Idempotency-Key": key, "X-User-Id": user}, timeout=5)
                if r.status_code == 201:
                    rid = r.json()["reservationId"]
                    with ledger.lock:
                        ledger.holds[rid] = {"key": key, "body": body, "user": user}
                    mine.append(rid)
                continue
            rid = rng.choice(mine)
            if roll < 0.60:
                r = session.post(f"{server.base}/v1/reservations/{rid}/confirm", json={"paymentIntentId": "pay_chaos"},
                                 headers={"X-User-Id": user}, timeout=5)
                if r.status_code == 200:
                    with ledger.lock:
                        ledger.confirmed.add(rid)
            elif roll < 0.72:
                r = session.post(f"{server.base}/v1/reservations/{rid}/cancel", headers={"X-User-Id": user}, timeout=5)
                if r.status_code == 200:
                    with ledger.lock:
                        ledger.cancelled.add(rid)
            elif roll < 0.78:
                r = session.post(f"{server.base}/v1/reservations/{rid}/extend", json={"seconds": 10},
                                 headers={"X-User-Id": user}, timeout=5)
                if r.status_code == 200:
                    with ledger.lock:
                        ledger.extended.add(rid)
            elif roll < 0.90:
                session.get(f"{server.base}/v1/reservations/{rid}", headers={"X-User-Id": user}, timeout=5)
            else:
                with ledger.lock:
                    earlier = ledger.holds[rid]
                r = session.post(server.base + "/v1/reservations", json=earlier["body"],
                                 headers={"Idempotency-Key": earlier["key"], "X-User-Id": user}, timeout=5)
                if r.status_code == 201 and (r.headers.get("Idempotent-Replayed") != "true" or r.json()["reservationId"] != rid):
                    raise Failure(f"a retried hold did not replay: {r.status_code} {r.headers} {r.text}")
        except (requests.RequestException, ValueError):
            # The server is gone (the kill) or restarting: stop this burst.
            return


def check(server: Server, ledger: Ledger, rng: random.Random) -> dict:
    with ledger.lock:
        holds = dict(ledger.holds)
        confirmed, cancelled = set(ledger.confirmed), set(ledger.cancelled)
    # One read transaction: every query below sees the same snapshot while the server goes on
    # expiring holds.
    db = sqlite3.connect(f"file:{server.db}?mode=ro", uri=True, isolation_level=None)
    db.execute("BEGIN")
    try:
        status = dict(db.execute("SELECT id, status FROM reservations").fetchall())
        for rid in holds:
            if rid not in status:
                raise Failure(f"acknowledged hold {rid} is not stored")
        for rid in confirmed:
            if status[rid] != "CONFIRMED":
                raise Failure(f"acknowledged confirm of {rid} is stored as {status[rid]}")
        for rid in cancelled:
            if status[rid] != "CANCELLED":
                raise Failure(f"acknowledged cancel of {rid} is stored as {status[rid]}")
        orders = {row[0] for row in db.execute(
            "SELECT r.id FROM orders o JOIN reservations r ON r.key = o.reservation_key").fetchall()}
        if orders != {rid for rid, s in status.items() if s == "CONFIRMED"}:
            raise Failure("orders do not match the CONFIRMED reservations")
        outbox: dict[str, set[str]] = {}
        for subject, kind in db.execute("SELECT aggregate_id, type FROM outbox").fetchall():
            outbox.setdefault(subject, set()).add(kind)
        for rid in holds:
            if "reservation.created" not in outbox.get(rid, set()):
                raise Failure(f"acknowledged hold {rid} has no reservation.created event")
        for rid in confirmed:
            if "reservation.confirmed" not in outbox.get(rid, set()):
                raise Failure(f"acknowledged confirm of {rid} has no reservation.confirmed event")
        for rid in cancelled:
            if "reservation.cancelled" not in outbox.get(rid, set()):
                raise Failure(f"acknowledged cancel of {rid} has no reservation.cancelled event")

        # Seats: every held or sold seat points to a live reservation of the same event; every live
        # reservation's seats point back to it; so no seat is in two live reservations.
        live = {}
        for key, event_key, seat_ids, quantity, state in db.execute(
                "SELECT key, event_key, seat_ids, quantity, status FROM reservations WHERE status IN ('HOLD', 'CONFIRMED')"):
            live[key] = (event_key, seat_ids.split(","), quantity, state)
        owned = {}
        for event_key, section, number, seat_status, owner in db.execute(
                "SELECT event_key, section_index, seat_number, status, reservation_key FROM seats WHERE status != 0"):
            if owner not in live or live[owner][0] != event_key:
                raise Failure(f"seat {section}/{number} (status {seat_status}) points to reservation key {owner}, which is not live")
            want = 1 if live[owner][3] == "HOLD" else 2
            if seat_status != want:
                raise Failure(f"seat {section}/{number} has status {seat_status} but its reservation is {live[owner][3]}")
            owned.setdefault(owner, 0)
            owned[owner] += 1
        for key, (_, seat_ids, quantity, _) in live.items():
            if owned.get(key, 0) != quantity or len(seat_ids) != quantity:
                raise Failure(f"live reservation key {key} owns {owned.get(key, 0)} seats, quantity {quantity}")

        # Counters against a recount.
        recount = {}
        for event_key, section, seat_status, n in db.execute(
                "SELECT event_key, section_index, status, count(*) FROM seats GROUP BY 1, 2, 3"):
            recount[(event_key, section, seat_status)] = n
        for event_key, section, available, held, sold in db.execute(
                "SELECT event_key, section_index, available, held, sold FROM sections"):
            counted = tuple(recount.get((event_key, section, s), 0) for s in (0, 1, 2))
            if counted != (available, held, sold):
                raise Failure(f"section {event_key}/{section} counters {(available, held, sold)} != recount {counted}")
    finally:
        db.execute("COMMIT")
        db.close()

    # Retried keys replay through the restart (a sample, to keep a cycle short).
    session = requests.Session()
    sample = rng.sample(sorted(holds), min(len(holds), 200))
    for rid in sample:
        entry = holds[rid]
        r = session.post(server.base + "/v1/reservations", json=entry["body"],
                         headers={"Idempotency-Key": entry["key"], "X-User-Id": entry["user"]}, timeout=10)
        if r.status_code != 201 or r.headers.get("Idempotent-Replayed") != "true" or r.json()["reservationId"] != rid:
            raise Failure(f"retry of {rid}'s hold after the restart: {r.status_code} {r.headers.get('Idempotent-Replayed')} {r.text[:200]}")
    return {"reservations": len(status), "live": len(live), "replayed": len(sample)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("cycles", type=int, nargs="?", default=3)
    parser.add_argument("--workdir")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="reservation-chaos."))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"chaos: {args.cycles} cycles, seed {seed}, work in {workdir}", flush=True)
    server = Server(args.binary, workdir)
    ledger = Ledger()
    try:
        server.start()
        r = requests.post(server.base + "/v1/events", json={
            "eventId": EVENT, "name": "Chaos", "currency": "KRW",
            "sections": [{"name": s, "seats": SEATS_PER_SECTION, "price": 1000} for s in SECTIONS]}, timeout=30)
        if r.status_code not in (201, 409):
            raise Failure(f"creating the event: {r.status_code} {r.text}")
        for cycle in range(1, args.cycles + 1):
            stop = threading.Event()
            threads = [threading.Thread(target=load, args=(server, ledger, w, stop, random.Random(rng.random())))
                       for w in range(12)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(1.0, 4.0))
            server.kill()
            stop.set()
            for thread in threads:
                thread.join()
            ready = server.start()
            counts = check(server, ledger, rng)
            print(f"cycle {cycle}: killed mid-load; ready again in {ready:.2f} s; {len(ledger.holds)} holds, "
                  f"{len(ledger.confirmed)} confirms, {len(ledger.cancelled)} cancels acknowledged so far; "
                  f"{counts['reservations']} stored, {counts['live']} live; {counts['replayed']} retries replayed: ok",
                  flush=True)
        breaches = server.breaches()
        if breaches:
            raise Failure(f"invariant breaches logged:\n" + "\n".join(breaches[:5]))
        server.stop()
    except Failure as failure:
        print(f"FAILED: {failure}", flush=True)
        if server.process is not None and server.process.poll() is None:
            server.process.kill()
        return 1
    print(f"chaos: {args.cycles} cycles passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
