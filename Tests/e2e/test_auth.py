"""AUTH_MODE=jwt against the real binary: RS256 tokens minted with pyjwt from RSA keys made by
`cryptography` (2048, 3072 and 4096 bits, several keys in one JWKS, rotation by rewriting the file),
HS256, every refusal, admins and ownership on REST, Connect and gRPC."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import time

import grpc
import jwt
import pytest
import requests
from connectrpc.errors import ConnectError
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import BINARY, assert_error, raw_exchange, unique
from rpc_support import SERVICES, Connect, pb
from test_grpc import channel, stubs

EVENT = "evt_2025_1001"
SECRET = "an-hs256-secret-of-at-least-32-bytes!"
_keys: dict[tuple[int, int], rsa.RSAPrivateKey] = {}


def rsa_key(bits: int, slot: int = 0) -> rsa.RSAPrivateKey:
    if (bits, slot) not in _keys:
        _keys[(bits, slot)] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _keys[(bits, slot)]


def b64url(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict:
    numbers = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64url(numbers.n), "e": b64url(numbers.e)}


def write_jwks(path, keys: dict[str, rsa.RSAPrivateKey]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump({"keys": [jwk(key, kid) for kid, key in keys.items()]}, f)
    os.replace(tmp, path)


def token(key, sub="alice", *, kid=None, alg="RS256", lifetime=300, **claims) -> str:
    now = int(time.time())
    payload = {"sub": sub, "iat": now, "exp": now + lifetime, **claims}
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid} if kid else None)


def bearer(text: str) -> dict:
    return {"Authorization": f"Bearer {text}"}


def call(srv, method, path, text=None, body=None, key=None, headers=None) -> requests.Response:
    h = dict(headers or {})
    if text is not None:
        h.update(bearer(text))
    if key is not None:
        h["Idempotency-Key"] = key
    if body is not None:
        h["Content-Type"] = "application/json"
    return requests.request(method, srv.base + path, headers=h, data=None if body is None else json.dumps(body), timeout=10)


def hold(srv, text, quantity=1) -> requests.Response:
    return call(srv, "POST", "/v1/reservations", text, {"eventId": EVENT, "quantity": quantity}, key=unique("k-"))


def metric(srv, name: str, labels: str = "") -> float:
    text = requests.get(srv.base + "/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(name + labels + " "):
            return float(line.split()[-1])
    return 0.0


def assert_401(r, missing=False):
    assert_error(r, 401, "AUTHENTICATION_FAILED")
    assert r.headers["WWW-Authenticate"] == ("Bearer" if missing else 'Bearer error="invalid_token"'), r.headers


@pytest.fixture
def jwks_server(server, tmp_path):
    path = tmp_path / "jwks.json"
    keys = {"k2048": rsa_key(2048), "k3072": rsa_key(3072), "k4096": rsa_key(4096)}
    write_jwks(path, keys)
    srv = server(demo=True, args=["--auth-mode", "jwt", "--jwt-jwks-file", str(path)])
    return srv, path, keys


def test_rs256_keys_of_every_size_in_one_jwks_and_rotation_without_restart(jwks_server):
    srv, path, keys = jwks_server
    for kid, key in keys.items():
        r = hold(srv, token(key, kid=kid))
        assert r.status_code == 201, (kid, r.text)
        assert call(srv, "GET", r.headers["Location"], token(key, kid=kid)).json()["userId"] == "alice"
    # A key that is not in the set, or a token signed by another key under a known kid.
    assert_401(hold(srv, token(rsa_key(2048, 1), kid="k-unknown")))
    assert_401(hold(srv, token(rsa_key(2048, 1), kid="k2048")))
    old = token(keys["k2048"], kid="k2048")
    assert hold(srv, old).status_code == 201  # now cached as verified
    # Rotation: k2048 leaves, k-new arrives; the file is re-read within a second or two.
    fresh = rsa_key(2048, 2)
    write_jwks(path, {"k-new": fresh, "k3072": keys["k3072"]})
    deadline = time.monotonic() + 10
    while hold(srv, token(fresh, kid="k-new")).status_code != 201:
        assert time.monotonic() < deadline, "the new key was not picked up"
        time.sleep(0.1)
    assert_401(hold(srv, old))  # the cached answer went with the key
    assert hold(srv, token(keys["k3072"], kid="k3072")).status_code == 201
    # A broken rewrite keeps the keys in use.
    with open(path, "w") as f:
        f.write("{ not json")
    time.sleep(1.5)
    assert hold(srv, token(fresh, kid="k-new")).status_code == 201
    assert any(line.get("msg", "").startswith("jwks change refused") for line in srv.log_lines())
    # Tokens and keys never reach the log.
    log = srv.log_path.read_text()
    assert old.split(".")[2] not in log and "eyJ" not in log


def test_every_refusal_is_401_with_the_bearer_challenge_and_counted(server, tmp_path):
    key = rsa_key(2048)
    write_jwks(tmp_path / "jwks.json", {"k1": key})
    srv = server(demo=True, args=["--auth-mode", "jwt", "--jwt-jwks-file", str(tmp_path / "jwks.json"), "--jwt-issuer", "https://issuer.test",
                                  "--jwt-audience", "reservations", "--jwt-leeway-seconds", "60"])
    good = dict(kid="k1", iss="https://issuer.test", aud="reservations")
    assert hold(srv, token(key, **good)).status_code == 201
    now = int(time.time())
    assert_401(hold(srv, None), missing=True)
    assert_401(call(srv, "GET", f"/v1/events/{EVENT}"), missing=True)  # every /v1 route, reads too
    assert_401(hold(srv, token(key, **good, lifetime=-61)))  # expired one second beyond the leeway
    assert hold(srv, token(key, **good, lifetime=-50)).status_code == 201  # within it
    assert_401(hold(srv, token(key, **{**good, "aud": "other"})))
    assert_401(hold(srv, token(key, **{**good, "iss": "https://evil.test"})))
    assert_401(hold(srv, token(key, **good, nbf=now + 120)))
    assert_401(hold(srv, jwt.encode({"sub": "alice", "exp": now + 60, **good}, SECRET, algorithm="HS256")))  # no HS256 configured
    unsigned = jwt.encode({"sub": "alice", "exp": now + 60, **good}, None, algorithm="none")
    assert_401(hold(srv, unsigned))
    assert_401(hold(srv, unsigned + "c2ln"))
    assert_401(hold(srv, jwt.encode({"sub": "alice", "exp": now + 60}, key, algorithm="RS512", headers={"kid": "k1"})))
    good_token = token(key, **good)
    tampered = good_token[:-8] + ("A" if good_token[-8] != "A" else "B") + good_token[-7:]
    assert_401(hold(srv, tampered))
    assert_401(hold(srv, "not.a.jwt"))
    assert_401(hold(srv, good_token + "=="))
    assert_401(call(srv, "POST", "/v1/reservations", None, {"eventId": EVENT, "quantity": 1}, key=unique("k"),
                    headers={"Authorization": f"Basic {good_token}"}))
    assert_401(hold(srv, token(key, **good, padding="x" * 9000)))
    assert_401(hold(srv, token(key, "", **good)))  # no usable subject
    # Two Authorization headers are refused, never resolved by picking one.
    raw = (f"GET /v1/events/{EVENT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {good_token}\r\n"
           f"Authorization: Bearer {good_token}\r\n\r\n").encode()
    (status, _, _), = raw_exchange(srv.port, [raw])[0]
    assert status == 401
    for reason in ("missing", "expired", "audience", "issuer", "not_yet_valid", "algorithm", "signature", "malformed",
                   "too_large", "subject"):
        assert metric(srv, "auth_failures_total", f'{{reason="{reason}"}}') >= 1, reason


def start_hs(server):
    return server(demo=True, args=["--auth-mode", "jwt", "--jwt-hs256-secret", SECRET])


def hs(sub, **claims):
    return token(SECRET, sub, alg="HS256", **claims)


def test_admins_and_ownership_over_rest(server):
    srv = start_hs(server)
    alice, bob, admin, scoped = hs("alice"), hs("bob"), hs("root", roles=["admin"]), hs("ops", scope="read admin")
    event = {"eventId": unique("evt_"), "name": "n", "currency": "KRW", "sections": [{"name": "A", "seats": 5, "price": 1}]}
    assert_error(call(srv, "POST", "/v1/events", alice, event), 403, "FORBIDDEN")
    assert call(srv, "POST", "/v1/events", admin, event).status_code == 201
    assert call(srv, "POST", "/v1/events", scoped, {**event, "eventId": unique("evt_")}).status_code == 201
    rid = hold(srv, alice).json()["reservationId"]
    # Another caller sees nothing and changes nothing: 404, as for a missing reservation.
    assert_error(call(srv, "GET", f"/v1/reservations/{rid}", bob), 404, "RESERVATION_NOT_FOUND")
    for path, body in ((f"/v1/reservations/{rid}/confirm", {"paymentIntentId": "p"}), (f"/v1/reservations/{rid}/cancel", None),
                       (f"/v1/reservations/{rid}/extend", {"seconds": 10}),
                       ("/v1/reservations/confirm", {"reservationId": rid, "paymentIntentId": "p"}),
                       ("/v1/reservations/cancel", {"reservationId": rid})):
        assert_error(call(srv, "POST", path, bob, body), 404, "RESERVATION_NOT_FOUND")
    assert call(srv, "GET", "/v1/reservations", bob).json()["reservations"] == []
    assert_error(call(srv, "GET", "/v1/reservations?userId=alice", bob), 403, "FORBIDDEN")
    # Admins read and list anyone's.
    assert call(srv, "GET", f"/v1/reservations/{rid}", admin).json()["userId"] == "alice"
    listed = call(srv, "GET", "/v1/reservations?userId=alice", admin).json()["reservations"]
    assert [r["reservationId"] for r in listed] == [rid]
    assert call(srv, "GET", "/v1/reservations?userId=alice", alice).status_code == 200
    # A token cannot be combined with someone else's X-User-Id.
    assert_error(call(srv, "GET", f"/v1/reservations/{rid}", bob, headers={"X-User-Id": "alice"}), 403, "FORBIDDEN")
    assert call(srv, "POST", f"/v1/reservations/{rid}/confirm", alice, {"paymentIntentId": "p"}).status_code == 200


def test_the_access_log_names_the_tokens_subject(server):
    srv = start_hs(server)
    assert hold(srv, hs("alice")).status_code == 201
    assert call(srv, "GET", "/v1/reservations", hs("carol")).status_code == 200

    def users():
        return {(line["route"], line["user"]) for line in srv.log_lines() if line.get("msg") == "access"}
    # Access lines reach the log through its own thread: wait for both.
    expected = {("/v1/reservations", "alice"), ("/v1/reservations", "carol")}
    deadline = time.monotonic() + 5
    while not expected <= users() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ("/v1/reservations", "alice") in users() and ("/v1/reservations", "carol") in users(), users()
    assert all(user != "anonymous" for route, user in users() if route.startswith("/v1/")), users()


def test_the_outbox_is_for_admins(server):
    srv = start_hs(server)
    alice, admin = hs("alice"), hs("root", roles=["admin"])
    for method, path in (("GET", "/v1/outbox/events"), ("GET", "/v1/outbox/events?waitSeconds=5"), ("GET", "/v1/outbox/stream"),
                         ("GET", "/v1/outbox/dead"), ("POST", "/v1/outbox/dead/evn_x/retry")):
        assert_error(call(srv, method, path, alice), 403, "FORBIDDEN")
        assert_401(call(srv, method, path), missing=True)
    page = call(srv, "GET", "/v1/outbox/events", admin).json()
    assert page["events"][0]["type"] == "event.created"
    assert call(srv, "GET", "/v1/outbox/dead", admin).json() == {"events": [], "nextAfter": 0}
    assert_error(call(srv, "POST", "/v1/outbox/dead/evn_x/retry", admin), 404, "OUTBOX_EVENT_NOT_FOUND")


def test_rpc_doors_authenticate_and_keep_ownership(server):
    srv = start_hs(server)
    reservation_pb2 = pb()[0]
    alice, bob, admin = hs("alice"), hs("bob"), hs("root", roles=["admin"])
    connect = Connect(srv.base)
    created, _ = connect.call("CreateReservation", reservation_pb2.CreateReservationRequest(
        event_id=EVENT, quantity=1, idempotency_key=unique("k")), headers=bearer(alice))
    rid = created.reservation_id
    get = reservation_pb2.GetReservationRequest(reservation_id=rid)
    with pytest.raises(ConnectError) as refused:
        connect.call("GetReservation", get)
    assert refused.value.code.name.lower() == "unauthenticated"
    with pytest.raises(ConnectError) as hidden:
        connect.call("GetReservation", get, headers=bearer(bob))
    assert hidden.value.code.name.lower() == "not_found"
    with pytest.raises(ConnectError) as other:
        connect.call("GetReservation", reservation_pb2.GetReservationRequest(reservation_id=rid, user_id="alice"), headers=bearer(bob))
    assert other.value.code.name.lower() == "permission_denied"
    got, _ = connect.call("GetReservation", get, headers=bearer(admin))
    assert got.reservation.user_id == "alice"

    with channel(srv) as ch:
        stub = stubs()[SERVICES[0]](ch)
        with pytest.raises(grpc.RpcError) as no_token:
            stub.GetReservation(get, timeout=10)
        assert no_token.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as bad:
            stub.GetReservation(get, metadata=(("authorization", f"Bearer {alice}x"),), timeout=10)
        assert bad.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as not_yours:
            stub.CancelReservation(reservation_pb2.CancelReservationRequest(reservation_id=rid),
                                   metadata=(("authorization", f"Bearer {bob}"),), timeout=10)
        assert not_yours.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.RpcError) as listing:
            stub.ListReservations(reservation_pb2.ListReservationsRequest(user_id="alice"),
                                  metadata=(("authorization", f"Bearer {bob}"),), timeout=10)
        assert listing.value.code() == grpc.StatusCode.PERMISSION_DENIED
        for method, request in (("ConfirmReservation", reservation_pb2.ConfirmReservationRequest(reservation_id=rid, payment_intent_id="p")),
                                ("ExtendHold", reservation_pb2.ExtendHoldRequest(reservation_id=rid, extension_seconds=10))):
            with pytest.raises(grpc.RpcError) as foreign:
                getattr(stub, method)(request, metadata=(("authorization", f"Bearer {bob}"),), timeout=10)
            assert foreign.value.code() == grpc.StatusCode.NOT_FOUND, method
            with pytest.raises(ConnectError) as connect_foreign:
                connect.call(method, request, headers=bearer(bob))
            assert connect_foreign.value.code.name.lower() == "not_found", method
        listed = stub.ListReservations(reservation_pb2.ListReservationsRequest(user_id="alice"),
                                       metadata=(("authorization", f"Bearer {admin}"),), timeout=10)
        assert [r.reservation_id for r in listed.reservations] == [rid]
        own = stub.GetReservation(get, metadata=(("authorization", f"Bearer {alice}"),), timeout=10)
        assert own.reservation.reservation_id == rid


@pytest.mark.parametrize("args, message", [
    (["--auth-mode", "jwt"], "needs JWT_HS256_SECRET"),
    (["--auth-mode", "jwt", "--jwt-hs256-secret", "short"], "at least 32 bytes"),
    (["--auth-mode", "jwt", "--jwt-jwks-file", "/nonexistent/jwks.json"], "cannot read"),
    (["--jwt-hs256-secret", SECRET], "--auth-mode is none"),
    (["--auth-mode", "sometimes"], "--auth-mode must be none or jwt"),
])
def test_bad_auth_configuration_exits_2_with_a_message(tmp_path, args, message):
    result = subprocess.run([str(BINARY), "--port", "0", "--grpc-port", "0", "--db", str(tmp_path / "r.db"), *args],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 2, result
    assert message in result.stderr, result.stderr


def test_a_broken_jwks_file_exits_2(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{"kty": "RSA", "kid": "k", "n": b64url(2**1023 + 1), "e": "AQAB"}]}))
    result = subprocess.run([str(BINARY), "--port", "0", "--grpc-port", "0", "--db", str(tmp_path / "r.db"),
                             "--auth-mode", "jwt", "--jwt-jwks-file", str(path)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and "1024 bits" in result.stderr, result
