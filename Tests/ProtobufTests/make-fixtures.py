#!/usr/bin/env python3
"""Writes Tests/ProtobufTests/Fixtures.swift: sample messages encoded by protobuf's Python library.

Compiles proto/ and testdata/test_messages.proto with grpc_tools.protoc into a temporary
directory, builds samples covering every message type, and records for each its type, its
deterministic binary encoding (SerializeToString(deterministic=True)) and its proto3 JSON
(json_format.MessageToJson with sorted keys, compact, so that map members, whose order the
library does not fix, come out the same on every run).

    python3 Tests/ProtobufTests/make-fixtures.py           regenerate Fixtures.swift
    python3 Tests/ProtobufTests/make-fixtures.py --check   exit 1 if the committed file is stale
"""

import importlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUTPUT = os.path.join(HERE, "Fixtures.swift")


def compile_protos(directory):
    """Generates _pb2 modules for proto/ and testdata/ into `directory` and puts it on sys.path."""
    roots = [os.path.join(ROOT, "proto"), os.path.join(HERE, "testdata")]
    # Names relative to their root, which protoc finds on its import path.
    files = sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for root in roots
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith(".proto")
    )
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", *(f"--proto_path={root}" for root in roots),
         f"--python_out={directory}", *files],
        check=True,
    )
    sys.path.insert(0, directory)


def samples():
    """(name, message, has_json) for every sample; has_json is False where the JSON needs Any."""
    from google.protobuf import any_pb2, timestamp_pb2

    common = importlib.import_module("common.v1.types_pb2")
    r = importlib.import_module("reservation.v1.reservation_pb2")
    status_pb2 = importlib.import_module("google.rpc.status_pb2")
    details_pb2 = importlib.import_module("google.rpc.error_details_pb2")
    t = importlib.import_module("test_messages_pb2")

    def ts(seconds, nanos=0):
        return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)

    # 2026-01-01T12:01:00Z and the same second with 3, 6 and 9 significant fraction digits.
    noon = 1767268860
    money = common.Money(amount=10000, currency="KRW")
    seat_a12 = common.Seat(id="A-12", section="A", row="3", number="12", price=money,
                           status=common.SEAT_STATUS_RESERVED)
    seat_b7 = common.Seat(id="B-7", section="B", number="7", price=common.Money(amount=15000, currency="KRW"),
                          status=common.SEAT_STATUS_SOLD)
    error = common.Error(
        code=common.ERROR_CODE_INVENTORY_CONFLICT,
        message="좌석이 이미 예약되었습니다 — seat taken 🎫",
        trace_id="0af7651916cd43dd8448eb211c80319c",
        details=[
            common.ErrorDetail(field="seat_ids[0]", reason="SEAT_UNAVAILABLE", value="A-12"),
            common.ErrorDetail(field="quantity", reason="OUT_OF_RANGE", value="-1"),
        ],
    )
    metadata = r.ReservationMetadata(
        source="web", user_agent="Mozilla/5.0 (X11; Linux x86_64)", ip_address="203.0.113.7",
        session_id="sess_01", tags={"campaign": "spring", "": "empty key", "empty": "", "e\u0301": "combining",
                                    "\ue000": "private use", "🎫": "ticket", "Zed": "upper"},
    )
    reservation = r.Reservation(
        reservation_id="rsv_01HZX", event_id="evt_2025_1001", user_id="alice",
        status=r.RESERVATION_STATUS_HOLD, seats=[seat_a12, seat_b7], quantity=2,
        total_amount=common.Money(amount=25000, currency="KRW"),
        created_at=ts(noon), updated_at=ts(noon, 120_000_000), hold_expires_at=ts(noon + 60, 123_456_000),
        payment_intent_id="pay_1", order_id="ord_1", metadata=metadata,
    )
    confirmed = r.Reservation(reservation_id="rsv_2", event_id="evt_2025_1001", user_id="bob",
                              status=r.RESERVATION_STATUS_CONFIRMED, seats=[seat_b7], quantity=1,
                              created_at=ts(noon - 86400, 1))
    error_info = details_pb2.ErrorInfo(
        reason="SEAT_UNAVAILABLE", domain="reservation.v1",
        metadata={"seat_ids[0]": "already held", "seat_ids[1]": "sold"},
    )
    packed_any = any_pb2.Any()
    packed_any.Pack(error_info, deterministic=True)  # the map inside must be sorted too
    scalars = t.Scalars(
        int32s=[0, 1, -1, 2147483647, -2147483648, 300],
        int64s=[0, -1, 9223372036854775807, -9223372036854775808, 1 << 53],
        bools=[True, False, True],
        colors=[t.COLOR_RED, t.COLOR_GREEN, 7, -3],
        data=bytes(range(256)),
        blobs=[b"", b"\xff\xfe", b"abc"],
        names=["", "x", "ü"],
        counts={"a": 1, "b": -1, "big": 1 << 62},
        shades={"sky": t.COLOR_GREEN, "odd": 9},
        big=-(1 << 40),
        flag=True,
        color=t.COLOR_RED,
    )

    return [
        ("money_full", money, True),
        ("money_int64_min", common.Money(amount=-(1 << 63), currency="USD"), True),
        ("money_int64_max", common.Money(amount=(1 << 63) - 1), True),
        ("money_empty", common.Money(), True),
        ("seat_full", seat_a12, True),
        ("seat_empty_price", common.Seat(id="C-1", price=common.Money()), True),
        ("seat_unknown_status", common.Seat(id="D-4", status=99), True),
        ("pagination_full", common.Pagination(page=3, page_size=50, cursor="Y3Vyc29yOjEwMA=="), True),
        ("pagination_negative", common.Pagination(page=-1, page_size=-2147483648), True),
        ("page_info_full", common.PageInfo(total_count=120, has_next=True, has_previous=True,
                                           next_cursor="n", previous_cursor="p"), True),
        ("error_full", error, True),
        ("error_detail_full", common.ErrorDetail(field="event_id", reason="REQUIRED", value=""), True),
        ("create_request_full", r.CreateReservationRequest(
            event_id="evt_2025_1001", seat_ids=["A-12", "A-13"], quantity=2, user_id="alice",
            reservation_token="tok", idempotency_key="order-42", metadata=metadata), True),
        ("create_request_quantity_minus_one", r.CreateReservationRequest(event_id="evt", quantity=-1), True),
        ("create_request_empty", r.CreateReservationRequest(), True),
        ("create_response_full", r.CreateReservationResponse(
            reservation_id="rsv_01HZX", status=r.RESERVATION_STATUS_HOLD, hold_expires_at=ts(noon),
            reserved_seats=[seat_a12, seat_b7], total_amount=common.Money(amount=25000, currency="KRW"),
            payment_url="https://pay.example/rsv_01HZX?a=1&b=\"2\"", error=common.Error()), True),
        ("get_request_full", r.GetReservationRequest(reservation_id="rsv_01HZX", user_id="alice"), True),
        ("get_response_full", r.GetReservationResponse(reservation=reservation), True),
        ("get_response_error", r.GetReservationResponse(error=common.Error(
            code=common.ERROR_CODE_NOT_FOUND, message="reservation not found"), reservation=r.Reservation()), True),
        ("confirm_request_full", r.ConfirmReservationRequest(
            reservation_id="rsv_01HZX", payment_intent_id="pay_1", user_id="alice", idempotency_key="k1"), True),
        ("confirm_response_full", r.ConfirmReservationResponse(
            order_id="ord_1", status=r.RESERVATION_STATUS_CONFIRMED, confirmed_at=ts(noon, 1_000_000),
            confirmed_seats=[seat_a12], error=error), True),
        ("cancel_request_full", r.CancelReservationRequest(
            reservation_id="rsv_01HZX", user_id="alice", reason="changed my mind\n\t\"really\" \\ ok\u0001",
            idempotency_key="k2"), True),
        ("cancel_response_full", r.CancelReservationResponse(
            status=r.RESERVATION_STATUS_CANCELLED, cancelled_at=ts(noon, 1000), released_seats=[seat_a12, seat_b7]), True),
        ("list_request_full", r.ListReservationsRequest(
            user_id="alice", status=r.RESERVATION_STATUS_REFUNDED, event_id="evt_2025_1001",
            pagination=common.Pagination(page_size=20, cursor="c")), True),
        ("list_request_empty_pagination", r.ListReservationsRequest(pagination=common.Pagination()), True),
        ("list_response_full", r.ListReservationsResponse(
            reservations=[reservation, confirmed, r.Reservation()],
            page_info=common.PageInfo(total_count=3, next_cursor="next"), error=common.Error(code=common.ERROR_CODE_TIMEOUT)), True),
        ("extend_request_full", r.ExtendHoldRequest(
            reservation_id="rsv_01HZX", user_id="alice", extension_seconds=30, reason="payment slow",
            idempotency_key="k3"), True),
        ("extend_request_negative", r.ExtendHoldRequest(reservation_id="r", extension_seconds=-30), True),
        ("extend_response_full", r.ExtendHoldResponse(
            new_expires_at=ts(noon + 90, 1), extended_seconds=30, extension_allowed=True,
            error=common.Error(code=common.ERROR_CODE_CONCURRENT_MODIFICATION)), True),
        ("reservation_full", reservation, True),
        ("reservation_empty", r.Reservation(), True),
        ("reservation_metadata_full", metadata, True),
        ("timestamp_epoch", ts(0), True),
        ("timestamp_seconds", ts(noon), True),
        ("timestamp_millis", ts(noon, 1_000_000), True),
        ("timestamp_micros", ts(noon, 1000), True),
        ("timestamp_nanos", ts(noon, 1), True),
        ("timestamp_all_digits", ts(noon, 123_456_789), True),
        ("timestamp_before_1970", ts(-1, 500_000_000), True),
        ("timestamp_min", ts(-62135596800), True),
        ("timestamp_max", ts(253402300799, 999_999_999), True),
        ("any_error_info", packed_any, False),
        ("status_full", status_pb2.Status(code=10, message="SEAT_UNAVAILABLE: seat A-12 is held",
                                          details=[packed_any]), False),
        ("status_no_details", status_pb2.Status(code=5, message="RESERVATION_NOT_FOUND: rsv_x"), True),
        ("error_info_full", error_info, True),
        ("scalars_full", scalars, True),
        ("scalars_unpacked", t.UnpackedScalars(int32s=scalars.int32s, int64s=scalars.int64s,
                                               bools=scalars.bools, colors=scalars.colors), True),
    ]


def swift_string(text):
    """A Swift string literal for `text` (ASCII here, since MessageToJson escapes the rest)."""
    escaped = []
    for character in text:
        if character == "\\":
            escaped.append("\\\\")
        elif character == '"':
            escaped.append('\\"')
        elif ord(character) < 0x20 or ord(character) > 0x7E:
            escaped.append("\\u{%x}" % ord(character))
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'


def render():
    import google.protobuf
    from google.protobuf import json_format
    from google.protobuf.internal import api_implementation

    lines = [
        "// Generated by Tests/ProtobufTests/make-fixtures.py with protobuf %s (Python, %s backend)."
        % (google.protobuf.__version__, api_implementation.Type()),
        "// Do not edit: change the samples in the script and run it again.",
        "",
        "/// Samples encoded by protobuf's Python library: the message's full name, its",
        "/// `SerializeToString(deterministic=True)` bytes in hex, and its `MessageToJson` text",
        "/// (nil where the JSON form needs google.protobuf.Any, which this codec does not write).",
        "let fixtures: [Fixture] = [",
    ]
    for name, message, has_json in samples():
        encoded = message.SerializeToString(deterministic=True).hex()
        json_text = json_format.MessageToJson(message, sort_keys=True, indent=None) if has_json else None
        lines.append("    Fixture(")
        lines.append(f'        name: "{name}",')
        lines.append(f'        type: "{message.DESCRIPTOR.full_name}",')
        hex_lines = [encoded[i:i + 96] for i in range(0, len(encoded), 96)] or [""]
        if len(hex_lines) == 1:
            lines.append(f'        hex: "{hex_lines[0]}",')
        else:
            lines.append('        hex: """')
            lines += [f"            {chunk}\\" for chunk in hex_lines[:-1]]
            lines.append(f"            {hex_lines[-1]}")
            lines.append('            """,')
        lines.append(f"        json: {swift_string(json_text) if json_text is not None else 'nil'}")
        lines.append("    ),")
    lines += ["]", ""]
    return "\n".join(lines)


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not check:
        sys.exit("usage: make-fixtures.py [--check]")
    with tempfile.TemporaryDirectory() as directory:
        compile_protos(directory)
        text = render()
    if check:
        with open(OUTPUT) as existing:
            if existing.read() != text:
                sys.exit(f"{os.path.relpath(OUTPUT, ROOT)} is stale: run python3 {os.path.relpath(__file__, ROOT)}")
        print(f"{os.path.relpath(OUTPUT, ROOT)} is up to date")
    else:
        with open(OUTPUT, "w") as output:
            output.write(text)
        print(f"wrote {os.path.relpath(OUTPUT, ROOT)}")


if __name__ == "__main__":
    main()
