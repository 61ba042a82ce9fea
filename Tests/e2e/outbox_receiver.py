"""A scriptable webhook receiver for the outbox tests (standard library only).

`Receiver(behaviour)` listens on a free port; `behaviour(event, attempt)` decides each answer from
the parsed CloudEvent and how often this event id was seen before (1 for the first attempt). It
returns an `Answer` (status, headers, delay before answering, or `hang` to keep the request waiting
without an answer). Every request is recorded in `requests` with its arrival time and answer.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Answer:
    status: int = 204
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    hang: float = 0.0  # seconds to hold the request without answering (then close)


@dataclass
class Received:
    at: float
    event: dict
    attempt: int
    status: int | None
    headers: dict


class Receiver:
    def __init__(self, behaviour: Callable[[dict, int], Answer] | None = None, port: int = 0):
        self.behaviour = behaviour or (lambda event, attempt: Answer())
        self.requests: list[Received] = []
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                event = json.loads(body)
                with receiver.lock:
                    attempt = receiver.attempts.get(event["id"], 0) + 1
                    receiver.attempts[event["id"]] = attempt
                answer = receiver.behaviour(event, attempt)
                record = Received(time.monotonic(), event, attempt, None, dict(self.headers))
                if answer.hang:
                    with receiver.lock:
                        receiver.requests.append(record)
                    time.sleep(answer.hang)
                    self.close_connection = True
                    return
                if answer.delay:
                    time.sleep(answer.delay)
                record.status = answer.status
                with receiver.lock:
                    receiver.requests.append(record)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    def delivered(self) -> list[dict]:
        """Events answered 2xx, in the order they were answered (duplicates included)."""
        with self.lock:
            return [r.event for r in self.requests if r.status is not None and 200 <= r.status < 300]

    def delivered_ids(self) -> set[str]:
        return {e["id"] for e in self.delivered()}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def reserved_port() -> socket.socket:
    """A socket bound to a free loopback port but not listening: connecting to it is refused, and
    no other server (nor a client's own ephemeral port) can take the port while it stays open.
    Close it right before a receiver binds the port (`sock.getsockname()[1]`)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock
