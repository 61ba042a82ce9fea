"""schemathesis hooks: the demo event, and fresh Idempotency-Keys and event ids.

Loaded through SCHEMATHESIS_HOOKS (Tests/e2e/test_openapi.py sets it).
"""
import re
import uuid

import schemathesis

DEMO_EVENT = "evt_2025_1001"
EVENT_ID_LENGTH_MAX = 68
VISIBLE_ASCII = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def map_headers(context, headers):
    # A fuzzer repeats short keys, and a key reused with another request is, rightly, 409
    # IDEMPOTENCY_CONFLICT: give every valid key a unique value. Invalid keys stay invalid.
    if headers and isinstance(headers.get("Idempotency-Key"), str) and VISIBLE_ASCII.match(headers["Idempotency-Key"]):
        headers["Idempotency-Key"] = f"st-{uuid.uuid4().hex}"
    return headers


EVENT_ID = re.compile(r"^evt_[A-Za-z0-9_-]{1,64}$")


@schemathesis.hook
def map_body(context, body):
    operation = context.operation
    if operation is not None and operation.method.upper() == "POST" and operation.path == "/v1/events":
        # A fuzzer repeats ids, and an id taken is, rightly, 409 EVENT_ALREADY_EXISTS: a fresh one per
        # valid id, so that valid events are created. Invalid ids stay invalid.
        if isinstance(body, dict) and isinstance(body.get("eventId"), str) and EVENT_ID.match(body["eventId"]):
            body["eventId"] = f"evt_st_{uuid.uuid4().hex}"
    if operation is not None and operation.method.upper() == "POST" and operation.path == "/v1/reservations":
        # Holds go to the demo event, so that they can succeed; other event ids are tried by the path
        # parameters of the event routes. Only a valid id is replaced: an invalid one may be what a negative case is about.
        event_id = body.get("eventId") if isinstance(body, dict) else None
        if isinstance(event_id, str) and 1 <= len(event_id) <= EVENT_ID_LENGTH_MAX:
            body["eventId"] = DEMO_EVENT
    return body


@schemathesis.hook
def map_query(context, query):
    # A long poll past the last event waits as long as it is told (up to 30 s): keep valid waits to a
    # second so the run stays short. Invalid values stay invalid.
    operation = context.operation
    if operation is not None and operation.path == "/v1/outbox/events" and isinstance(query, dict):
        wait = query.get("waitSeconds")
        if isinstance(wait, int) and not isinstance(wait, bool) and 0 <= wait <= 30:
            query["waitSeconds"] = min(wait, 1)
    return query
