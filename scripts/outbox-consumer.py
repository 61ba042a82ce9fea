#!/usr/bin/env python3
"""A small webhook receiver for the server's outbox: prints each event once.

Delivery is at least once, so the same event may arrive again (after a timeout, a restart, or a
retry of a dead event); this receiver deduplicates on the CloudEvents `id` and prints one line per
new event: sequence, type, subject and id. Standard library only.

    python3 scripts/outbox-consumer.py --port 9000 &
    swift run -c release reservation-server --demo --outbox-webhook-url http://127.0.0.1:9000/events
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the server's relay expects
    seen: set[str] = set()
    lock = threading.Lock()
    remember = 1_000_000  # ids kept for deduplication; the oldest half is dropped beyond it
    order: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        try:
            event = json.loads(body)
            event_id = event["id"]
        except (ValueError, KeyError, TypeError):
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with Receiver.lock:
            duplicate = event_id in Receiver.seen
            if not duplicate:
                Receiver.seen.add(event_id)
                Receiver.order.append(event_id)
                if len(Receiver.order) > Receiver.remember:
                    dropped, Receiver.order = Receiver.order[: len(Receiver.order) // 2], Receiver.order[len(Receiver.order) // 2 :]
                    Receiver.seen.difference_update(dropped)
        if not duplicate:
            print(f'{event.get("sequence")}\t{event.get("type")}\t{event.get("subject")}\t{event_id}', flush=True)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet: one line per event is printed above
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Receiver)
    print(f"listening on http://{args.host}:{server.server_port}/ (sequence, type, subject, id per new event)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
