"""Python stubs for proto/, generated once per test session with grpcio-tools' protoc, and a small
Connect client built on connect-python (no generated service code: MethodInfo per method)."""
from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROTO = ROOT / "proto"
# google/rpc comes from googleapis-common-protos (the same files; generating them here too would
# register them twice in protobuf's descriptor pool).
FILES = ["common/v1/types.proto", "reservation/v1/reservation.proto",
         "com/traffic_tacos/reservation/v1/reservation_service.proto"]
SERVICES = ["reservation.v1.ReservationService", "com.traffic_tacos.reservation.v1.ReservationService"]
METHODS = {
    "CreateReservation": ("CreateReservationRequest", "CreateReservationResponse"),
    "GetReservation": ("GetReservationRequest", "GetReservationResponse"),
    "ConfirmReservation": ("ConfirmReservationRequest", "ConfirmReservationResponse"),
    "CancelReservation": ("CancelReservationRequest", "CancelReservationResponse"),
    "ListReservations": ("ListReservationsRequest", "ListReservationsResponse"),
    "ExtendHold": ("ExtendHoldRequest", "ExtendHoldResponse"),
}

_generated: Path | None = None


def generate(grpc: bool = False) -> Path:
    """Compiles proto/ into Python modules (plus gRPC stubs when asked) and puts them on sys.path."""
    global _generated
    if _generated is None:
        _generated = Path(tempfile.mkdtemp(prefix="reservation-pb2-"))
        args = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO}", f"--python_out={_generated}",
                f"--grpc_python_out={_generated}"] + [str(PROTO / f) for f in FILES]
        subprocess.run(args, check=True)
        for package in ("common", "common/v1", "reservation", "reservation/v1", "com", "com/traffic_tacos",
                        "com/traffic_tacos/reservation", "com/traffic_tacos/reservation/v1"):
            (_generated / package / "__init__.py").touch()
        sys.path.insert(0, str(_generated))
    return _generated


def pb():
    """The generated message modules: (reservation_pb2, types_pb2, error_details_pb2, status_pb2)."""
    generate()
    return (importlib.import_module("reservation.v1.reservation_pb2"), importlib.import_module("common.v1.types_pb2"),
            importlib.import_module("google.rpc.error_details_pb2"), importlib.import_module("google.rpc.status_pb2"))


def method_info(service: str, name: str):
    from connectrpc.method import IdempotencyLevel, MethodInfo
    reservation_pb2 = pb()[0]
    request, response = METHODS[name]
    return MethodInfo(name=name, service_name=service, input=getattr(reservation_pb2, request),
                      output=getattr(reservation_pb2, response), idempotency_level=IdempotencyLevel.UNKNOWN)


class Connect:
    """connect-python against one server: `call(method, request, …)` returns (response, headers)."""

    def __init__(self, base: str, *, json: bool = False, gzip: bool = True, service: str = SERVICES[0]):
        from connectrpc.client import ConnectClientSync
        from connectrpc._compression import _gzip
        self.service = service
        self.client = ConnectClientSync(base, proto_json=json, send_compression=_gzip if gzip else None)

    def call(self, name: str, request, *, headers=None, timeout_ms: int | None = None, service: str | None = None):
        from connectrpc.client import ResponseMetadata
        with ResponseMetadata() as meta:
            response = self.client.execute_unary(request=request, method=method_info(service or self.service, name),
                                                 headers=headers or {}, timeout_ms=timeout_ms)
            return response, meta.headers()


def error_info(error):
    """The google.rpc.ErrorInfo among a ConnectError's details."""
    error_details_pb2 = pb()[2]
    for detail in error.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    raise AssertionError(f"no ErrorInfo in {error.details}")
