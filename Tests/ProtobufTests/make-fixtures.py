#!/usr/bin/env python3
"""Writes the fixtures made with protobuf's Python library.

Tests/ProtobufTests/Fixtures.swift: sample messages. Compiles proto/ and testdata/test_messages.proto
with grpc_tools.protoc into a temporary directory, builds samples covering every message type, and
records for each its type, its deterministic binary encoding (SerializeToString(deterministic=True))
and its proto3 JSON (json_format.MessageToJson with sorted keys, compact, so that map members, whose
order the library does not fix, come out the same on every run). The gRPC health and v1alpha
reflection samples use the modules of grpcio-health-checking and grpcio-reflection instead of our
copies of those files, after checking that our copies declare the same fields.

Tests/RPCTests/ReflectionFixtures.swift: the files of the compiled contract (protoc
--include_imports, as scripts/gen-proto.sh runs it) cut out of the set's bytes, each parsed by
descriptor_pb2.FileDescriptorProto, with its transitive imports; and every name the files declare,
with the file that Python's DescriptorPool finds it in.

    python3 Tests/ProtobufTests/make-fixtures.py           regenerate both files
    python3 Tests/ProtobufTests/make-fixtures.py --check   exit 1 if a committed file is stale
"""

import hashlib
import importlib
import importlib.util
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUTPUT = os.path.join(HERE, "Fixtures.swift")
REFLECTION_OUTPUT = os.path.join(ROOT, "Tests", "RPCTests", "ReflectionFixtures.swift")

# Our copies of files that grpcio-health-checking and grpcio-reflection also generate code for:
# their messages have the same full names, which one descriptor pool cannot hold twice, so the
# samples come from the upstream modules (see check_grpc_files_match_upstream).
UPSTREAM_COPIES = {
    "grpc/health/v1/health.proto": "grpc_health.v1.health_pb2",
    "grpc/reflection/v1alpha/reflection.proto": "grpc_reflection.v1alpha.reflection_pb2",
}
# Upstream ships no v1 reflection module; ours must match v1alpha's messages field for field.
REFLECTION_V1 = "grpc/reflection/v1/reflection.proto"


def proto_files(root):
    """The .proto files under `root`, relative to it, sorted by byte value as gen-proto.sh sorts them."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith(".proto")
    )


def compile_protos(directory):
    """Generates _pb2 modules for proto/ (less the upstream copies) and testdata/ into `directory`
    and puts it on sys.path."""
    roots = [os.path.join(ROOT, "proto"), os.path.join(HERE, "testdata")]
    # Names relative to their root, which protoc finds on its import path.
    files = sorted(name for root in roots for name in proto_files(root) if name not in UPSTREAM_COPIES)
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", *(f"--proto_path={root}" for root in roots),
         f"--python_out={directory}", *files],
        check=True,
    )
    sys.path.insert(0, directory)


def load_generated(directory, proto_name):
    """The generated module of `proto_name` by its path: `grpc.…` would import grpcio's package."""
    path = os.path.join(directory, proto_name.replace(".proto", "_pb2.py"))
    spec = importlib.util.spec_from_file_location(proto_name.replace("/", "_").replace(".proto", "_pb2"), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compile_descriptor_set(directory, files, include_imports):
    """protoc's FileDescriptorSet for `files` under proto/, as bytes."""
    output = os.path.join(directory, "descriptor-set.pb")
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"--proto_path={os.path.join(ROOT, 'proto')}",
         *(["--include_imports"] if include_imports else []), f"--descriptor_set_out={output}", *files],
        check=True,
    )
    with open(output, "rb") as data:
        return data.read()


def check_grpc_files_match_upstream(directory):
    """Exits unless every message, enum and method of our gRPC files is declared the same way
    (names, numbers, labels, types, oneofs, streaming) in grpcio's modules. Upstream may declare
    more (health's List method), which this server does not serve."""
    from google.protobuf import descriptor_pb2

    ours = descriptor_pb2.FileDescriptorSet.FromString(compile_descriptor_set(
        directory, [*UPSTREAM_COPIES, REFLECTION_V1], include_imports=False))
    failures = []

    def upstream_file(module_name):
        proto = descriptor_pb2.FileDescriptorProto()
        importlib.import_module(module_name).DESCRIPTOR.CopyToProto(proto)
        return proto

    def field_shape(field, package):
        return (field.name, field.number, field.label, field.type, field.type_name.replace(package, "PACKAGE"),
                field.oneof_index if field.HasField("oneof_index") else None, field.proto3_optional)

    def compare_enum(path, mine, theirs):
        if [(v.name, v.number) for v in mine.value] != [(v.name, v.number) for v in theirs.value]:
            failures.append(f"{path}: enum values differ")

    def compare_message(path, mine, theirs, my_package, their_package):
        if [field_shape(f, my_package) for f in mine.field] != [field_shape(f, their_package) for f in theirs.field]:
            failures.append(f"{path}: fields differ")
        if [o.name for o in mine.oneof_decl] != [o.name for o in theirs.oneof_decl]:
            failures.append(f"{path}: oneofs differ")
        for nested in mine.nested_type:
            match = [t for t in theirs.nested_type if t.name == nested.name]
            if not match:
                failures.append(f"{path}.{nested.name}: not upstream")
            else:
                compare_message(f"{path}.{nested.name}", nested, match[0], my_package, their_package)
        for enum in mine.enum_type:
            match = [t for t in theirs.enum_type if t.name == enum.name]
            if not match:
                failures.append(f"{path}.{enum.name}: not upstream")
            else:
                compare_enum(f"{path}.{enum.name}", enum, match[0])

    for mine in ours.file:
        theirs = upstream_file(UPSTREAM_COPIES.get(mine.name, UPSTREAM_COPIES["grpc/reflection/v1alpha/reflection.proto"]))
        their_package = theirs.package
        if mine.name in UPSTREAM_COPIES and mine.package != their_package:
            failures.append(f"{mine.name}: package {mine.package}, upstream {their_package}")
        for message in mine.message_type:
            match = [t for t in theirs.message_type if t.name == message.name]
            if not match:
                failures.append(f"{mine.name}: {message.name} is not upstream")
            else:
                compare_message(f"{mine.name}: {message.name}", message, match[0], mine.package, their_package)
        for enum in mine.enum_type:
            match = [t for t in theirs.enum_type if t.name == enum.name]
            if not match:
                failures.append(f"{mine.name}: {enum.name} is not upstream")
            else:
                compare_enum(f"{mine.name}: {enum.name}", enum, match[0])
        for service in mine.service:
            match = [t for t in theirs.service if t.name == service.name]
            if not match:
                failures.append(f"{mine.name}: service {service.name} is not upstream")
                continue
            for method in service.method:
                upstream = {m.name: m for m in match[0].method}.get(method.name)
                shape = lambda m, package: (m.input_type.replace(package, "PACKAGE"), m.output_type.replace(package, "PACKAGE"),
                                            m.client_streaming, m.server_streaming)
                if upstream is None or shape(method, mine.package) != shape(upstream, their_package):
                    failures.append(f"{mine.name}: {service.name}.{method.name} differs from upstream")
    if failures:
        sys.exit("our gRPC .proto files disagree with grpcio's:\n  " + "\n  ".join(failures))


def samples(directory):
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
    ] + grpc_samples(directory)


def grpc_samples(directory):
    """Health and reflection messages: v1alpha and health from grpcio's modules, v1 from ours."""
    health = importlib.import_module("grpc_health.v1.health_pb2")
    alpha = importlib.import_module("grpc_reflection.v1alpha.reflection_pb2")
    v1 = load_generated(directory, REFLECTION_V1)
    # A real descriptor as reflection serves it: Timestamp's file, as the contract's set stores it.
    timestamp_file, = file_slices(compile_descriptor_set(directory, ["google/protobuf/timestamp.proto"], include_imports=True))

    samples = [
        ("health_check_request_full", health.HealthCheckRequest(service="reservation.v1.ReservationService"), True),
        ("health_check_request_empty", health.HealthCheckRequest(), True),
        ("health_check_response_serving", health.HealthCheckResponse(status=health.HealthCheckResponse.SERVING), True),
        ("health_check_response_not_serving",
         health.HealthCheckResponse(status=health.HealthCheckResponse.NOT_SERVING), True),
        ("health_check_response_unknown_number", health.HealthCheckResponse(status=7), True),
    ]
    for prefix, r in (("reflection_v1alpha", alpha), ("reflection_v1", v1)):
        list_request = r.ServerReflectionRequest(host="localhost:8011", list_services="")
        samples += [
            # A oneof member holding its default is still set, and written.
            (f"{prefix}_request_list_services_empty", list_request, True),
            (f"{prefix}_request_list_services_star", r.ServerReflectionRequest(list_services="*"), True),
            (f"{prefix}_request_file_by_filename",
             r.ServerReflectionRequest(file_by_filename="reservation/v1/reservation.proto"), True),
            (f"{prefix}_request_file_containing_symbol", r.ServerReflectionRequest(
                host="h", file_containing_symbol="grpc.health.v1.HealthCheckResponse.SERVING"), True),
            (f"{prefix}_request_file_containing_extension", r.ServerReflectionRequest(
                file_containing_extension=r.ExtensionRequest(containing_type="reservation.v1.Reservation",
                                                             extension_number=536870911)), True),
            (f"{prefix}_request_file_containing_extension_empty",
             r.ServerReflectionRequest(file_containing_extension=r.ExtensionRequest()), True),
            (f"{prefix}_request_all_extension_numbers_of_type",
             r.ServerReflectionRequest(all_extension_numbers_of_type="common.v1.Money"), True),
            (f"{prefix}_request_none", r.ServerReflectionRequest(host="only.host"), True),
            (f"{prefix}_extension_request_negative", r.ExtensionRequest(containing_type="x", extension_number=-1), True),
            (f"{prefix}_response_list_services", r.ServerReflectionResponse(
                valid_host="localhost:8011", original_request=list_request,
                list_services_response=r.ListServiceResponse(service=[
                    r.ServiceResponse(name="reservation.v1.ReservationService"),
                    r.ServiceResponse(name="grpc.health.v1.Health"), r.ServiceResponse()])), True),
            (f"{prefix}_response_list_services_none",
             r.ServerReflectionResponse(list_services_response=r.ListServiceResponse()), True),
            (f"{prefix}_response_file_descriptors", r.ServerReflectionResponse(
                original_request=r.ServerReflectionRequest(file_by_filename="google/protobuf/timestamp.proto"),
                file_descriptor_response=r.FileDescriptorResponse(
                    file_descriptor_proto=[timestamp_file, b"", bytes(range(256))])), True),
            (f"{prefix}_response_extension_numbers", r.ServerReflectionResponse(
                all_extension_numbers_response=r.ExtensionNumberResponse(
                    base_type_name="common.v1.Money", extension_number=[100, 1000, 536870911, -1])), True),
            (f"{prefix}_response_extension_numbers_none", r.ServerReflectionResponse(
                all_extension_numbers_response=r.ExtensionNumberResponse(base_type_name="common.v1.Money")), True),
            (f"{prefix}_response_error", r.ServerReflectionResponse(
                original_request=r.ServerReflectionRequest(file_containing_symbol="no.such.Symbol"),
                error_response=r.ErrorResponse(error_code=5, error_message="symbol not found: no.such.Symbol")), True),
            (f"{prefix}_response_error_empty", r.ServerReflectionResponse(error_response=r.ErrorResponse()), True),
            (f"{prefix}_response_none", r.ServerReflectionResponse(valid_host="h"), True),
            (f"{prefix}_file_descriptor_response_one", r.FileDescriptorResponse(file_descriptor_proto=[timestamp_file]), True),
            (f"{prefix}_extension_number_response_full",
             r.ExtensionNumberResponse(base_type_name="a.B", extension_number=[1, 2]), True),
            (f"{prefix}_list_service_response_full",
             r.ListServiceResponse(service=[r.ServiceResponse(name="grpc.health.v1.Health")]), True),
            (f"{prefix}_service_response_full", r.ServiceResponse(name="grpc.reflection.v1.ServerReflection"), True),
            (f"{prefix}_error_response_full", r.ErrorResponse(error_code=12, error_message="unimplemented"), True),
        ]
    return samples


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


def render(directory):
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
    for name, message, has_json in samples(directory):
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


def read_varint(data, offset):
    """A base-128 varint at `offset`: (value, offset after it)."""
    value, shift = 0, 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


def file_slices(set_bytes):
    """The payloads of a FileDescriptorSet's field 1, cut out of its bytes as stored."""
    slices, offset = [], 0
    while offset < len(set_bytes):
        tag, offset = read_varint(set_bytes, offset)
        if tag != (1 << 3 | 2):
            sys.exit(f"unexpected tag {tag} in the descriptor set")
        length, offset = read_varint(set_bytes, offset)
        slices.append(set_bytes[offset:offset + length])
        offset += length
    return slices


def render_reflection(directory):
    """ReflectionFixtures.swift: the contract's files and declared names, as Python reads them."""
    import google.protobuf
    from google.protobuf import descriptor_pb2, descriptor_pool

    set_bytes = compile_descriptor_set(directory, proto_files(os.path.join(ROOT, "proto")), include_imports=True)
    slices = file_slices(set_bytes)
    files = []
    for data in slices:
        proto = descriptor_pb2.FileDescriptorProto.FromString(data)
        # The bytes reflection serves must be a FileDescriptorProto that Python reads whole.
        if proto.SerializeToString() != data:
            sys.exit(f"{proto.name}: Python re-encodes the stored bytes differently")
        files.append(proto)
    names = [proto.name for proto in files]
    pool = descriptor_pool.DescriptorPool()
    for proto in files:
        pool.Add(proto)

    def with_dependencies(proto):
        closure, pending = set(), list(proto.dependency)
        while pending:
            name = pending.pop()
            if name not in closure:
                closure.add(name)
                pending += files[names.index(name)].dependency
        return [proto.name] + [name for name in names if name in closure]

    symbols = []

    def add(name, kind, file_name):
        # The pool's own lookup where it has one (it finds no methods); the declaring file otherwise.
        if kind != "method":
            found = pool.FindFileContainingSymbol(name).name
            if found != file_name:
                sys.exit(f"{name}: the pool finds it in {found}, not {file_name}")
        symbols.append((name, kind, file_name))

    def add_enum(enum, scope, file_name):
        add(enum.full_name, "enumType", file_name)
        for value in enum.values:
            # An enum value is named in the enum's enclosing scope, beside the enum.
            add(scope + value.name, "enumValue", file_name)

    def add_message(message, file_name):
        add(message.full_name, "message", file_name)
        for field in message.fields:
            add(field.full_name, "field", file_name)
        for oneof in message.oneofs:
            add(oneof.full_name, "oneof", file_name)
        for nested in message.nested_types:
            add_message(nested, file_name)
        for enum in message.enum_types:
            add_enum(enum, message.full_name + ".", file_name)

    for name in names:
        file = pool.FindFileByName(name)
        scope = file.package + "." if file.package else ""
        for message in file.message_types_by_name.values():
            add_message(message, name)
        for enum in file.enum_types_by_name.values():
            add_enum(enum, scope, name)
        for service in file.services_by_name.values():
            add(service.full_name, "service", name)
            for method in service.methods:
                add(method.full_name, "method", name)

    lines = [
        "// Generated by Tests/ProtobufTests/make-fixtures.py with protobuf %s (Python)." % google.protobuf.__version__,
        "// Do not edit: change proto/ or the script and run it again.",
        "",
        "/// The files of the compiled contract (protoc --include_imports over proto/) in the set's order,",
        "/// each cut out of the set's bytes and read whole by `descriptor_pb2.FileDescriptorProto`: its",
        "/// SHA-256, and the answer to file_by_filename (the file, then its transitive imports in set order).",
        "let descriptorFiles: [DescriptorFileFixture] = [",
    ]
    for proto, data in zip(files, slices):
        lines.append("    DescriptorFileFixture(")
        lines.append(f'        name: "{proto.name}",')
        lines.append(f'        package: "{proto.package}",')
        lines.append(f'        sha256: "{hashlib.sha256(data).hexdigest()}",')
        lines.append(f"        withDependencies: [{', '.join(chr(34) + n + chr(34) for n in with_dependencies(proto))}]")
        lines.append("    ),")
    lines += [
        "]",
        "",
        "/// Every name the files declare, its kind, and the file Python's DescriptorPool finds it in.",
        "let declaredSymbols: [SymbolFixture] = [",
    ]
    for name, kind, file_name in symbols:
        lines.append(f'    SymbolFixture(name: "{name}", kind: .{kind}, file: "{file_name}"),')
    lines += ["]", ""]
    return "\n".join(lines)


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not check:
        sys.exit("usage: make-fixtures.py [--check]")
    with tempfile.TemporaryDirectory() as directory:
        check_grpc_files_match_upstream(directory)
        compile_protos(directory)
        outputs = [(OUTPUT, render(directory)), (REFLECTION_OUTPUT, render_reflection(directory))]
    for path, text in outputs:
        if check:
            with open(path) as existing:
                if existing.read() != text:
                    sys.exit(f"{os.path.relpath(path, ROOT)} is stale: run python3 {os.path.relpath(__file__, ROOT)}")
            print(f"{os.path.relpath(path, ROOT)} is up to date")
        else:
            with open(path, "w") as output:
                output.write(text)
            print(f"wrote {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
