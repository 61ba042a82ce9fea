"""The API description (API.md "API description"): the OpenAPI 3.1 document at /v3/api-docs, the
Swagger UI page, and schemathesis holding the document and the server to each other."""
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from openapi_spec_validator import validate

from conftest import assert_error, unique

DOCS = "/v3/api-docs"
SCHEMATHESIS = Path(__file__).resolve().parent / "schemathesis"
# Every route of API.md, as the document must list it.
OPERATIONS = {
    ("post", "/v1/reservations"), ("get", "/v1/reservations"), ("get", "/v1/reservations/{reservationId}"),
    ("post", "/v1/reservations/confirm"), ("post", "/v1/reservations/{reservationId}/confirm"),
    ("post", "/v1/reservations/cancel"), ("post", "/v1/reservations/{reservationId}/cancel"),
    ("post", "/v1/reservations/{reservationId}/extend"),
    ("post", "/v1/events"), ("get", "/v1/events/{eventId}"), ("get", "/v1/events/{eventId}/availability"),
    ("get", "/v1/events/{eventId}/seats"),
    ("get", "/v1/outbox/events"), ("get", "/v1/outbox/stream"), ("get", "/v1/outbox/dead"),
    ("post", "/v1/outbox/dead/{eventId}/retry"),
    ("get", "/health"), ("get", "/actuator/health"), ("get", "/actuator/health/liveness"),
    ("get", "/actuator/health/readiness"), ("get", "/actuator/prometheus"), ("get", "/metrics"),
    ("get", DOCS), ("get", "/swagger-ui.html"), ("get", "/docs"),
}


@pytest.fixture
def demo(server):
    return server(demo=True)


def document(srv) -> dict:
    r = srv.get(DOCS)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    return r.json()


def resolve(doc: dict, node: dict) -> dict:
    while "$ref" in node:
        node = functools.reduce(lambda part, key: part[key], node["$ref"][2:].split("/"), doc)
    return node


# -- the document ---------------------------------------------------------------------------------

def test_document_is_valid_openapi_3_1_and_lists_every_route(demo):
    doc = document(demo)
    validate(doc)  # openapi-spec-validator: raises on any violation of the 3.1 schema
    assert doc["openapi"] == "3.1.0"
    assert doc["servers"] == [{"url": "/"}], "Try it out must call the server that served the page"
    listed = {(method, path) for path, item in doc["paths"].items() for method in item}
    assert listed == OPERATIONS
    assert not any(path.startswith("/reservation.v1.") for path in doc["paths"]), "Connect RPC is described by proto/"
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    log = [line for line in demo.log_lines() if line.get("msg", "").startswith("API description")]
    assert [line["msg"] for line in log] == ["API description built"], log
    assert log[0]["operations"] == len(OPERATIONS)


def test_try_it_out_reaches_this_server_with_the_documented_examples(demo):
    """What Swagger UI's "Try it out" does: the server entry resolved against the document's URL, then
    the operation's example parameters and body."""
    doc = document(demo)
    base = urljoin(demo.base + DOCS, doc["servers"][0]["url"])
    assert base == demo.base + "/"
    hold = doc["paths"]["/v1/reservations"]["post"]
    headers = {p["name"]: p["example"] for p in (resolve(doc, ref) for ref in hold["parameters"])}
    headers["Idempotency-Key"] = unique("try-")
    body = hold["requestBody"]["content"]["application/json"]["example"]
    r = requests.post(urljoin(base, "v1/reservations"), json=body, headers=headers, timeout=10)
    assert r.status_code == 201, r.text
    got = demo.reservation(r.json()["reservationId"], user=headers["X-User-Id"])
    assert got.status_code == 200 and got.json()["eventId"] == body["eventId"]


def test_v1_operations_carry_headers_errors_and_security(demo):
    doc = document(demo)
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {**doc["components"]["securitySchemes"]["bearerAuth"],
                                                                  "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not path.startswith("/v1/"):
                assert op["security"] == [], (method, path)
                continue
            assert op["security"] == [{"bearerAuth": []}, {}], (method, path)
            responses = op["responses"]
            for status in ("401", "414", "431", "500", "503"):
                assert status in responses, (method, path, status)
            assert "Retry-After" in responses["503"]["headers"]
            assert "WWW-Authenticate" in responses["401"]["headers"]
            if method == "post":
                assert {"400", "413", "415", "429"} <= set(responses), (method, path)
                assert {"Retry-After", "RateLimit-Policy", "RateLimit"} <= set(responses["429"]["headers"])
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema["allOf"][0] == {"$ref": "#/components/schemas/Error"}
                    codes = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
                    example = response["content"]["application/json"]["example"]
                    assert example["error"]["code"] in codes
    hold = doc["paths"]["/v1/reservations"]["post"]
    key = resolve(doc, next(p for p in hold["parameters"] if resolve(doc, p)["name"] == "Idempotency-Key"))
    assert key["required"] is True and key["in"] == "header"
    assert "Location" in hold["responses"]["201"]["headers"]
    assert "Idempotent-Replayed" in hold["responses"]["201"]["headers"]
    assert set(hold["responses"]["409"]["content"]["application/json"]["schema"]["allOf"][1]["properties"]["error"]
               ["properties"]["code"]["enum"]) == {"SEAT_UNAVAILABLE", "HOLD_LIMIT_EXCEEDED", "IDEMPOTENCY_CONFLICT"}
    assert "403" in doc["paths"]["/v1/events"]["post"]["responses"], "creating events is for admins"
    confirm = doc["paths"]["/v1/reservations/confirm"]["post"]
    key = resolve(doc, next(p for p in confirm["parameters"] if resolve(doc, p)["name"] == "Idempotency-Key"))
    assert key["required"] is False


def test_document_follows_the_flags(server):
    srv = server(args=["--max-quantity", "4", "--max-hold-seconds", "300"])
    doc = document(srv)
    hold = doc["paths"]["/v1/reservations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert hold["properties"]["quantity"]["maximum"] == 4
    extend = doc["paths"]["/v1/reservations/{reservationId}/extend"]["post"]["requestBody"]["content"]["application/json"]
    assert extend["schema"]["properties"]["seconds"]["anyOf"][0]["maximum"] == 300


def test_document_is_cached_with_an_entity_tag(demo):
    first = demo.get(DOCS)
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.headers["Cache-Control"] == "no-cache"
    assert demo.get(DOCS).content == first.content, "made once, not per request"
    for condition in (etag, f'"other", W/{etag}', "*"):
        r = demo.get(DOCS, headers={"If-None-Match": condition})
        assert r.status_code == 304, condition
        assert r.content == b"" and "Content-Length" not in r.headers
        assert r.headers["ETag"] == etag
    assert demo.get(DOCS, headers={"If-None-Match": '"0000"'}).status_code == 200
    head = demo.request("HEAD", DOCS)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(first.content)) and head.content == b""


def test_document_negotiates_json_only(demo):
    for accept in ("application/json", "application/*", "*/*", "text/html, */*;q=0.1"):
        assert demo.get(DOCS, headers={"Accept": accept}).status_code == 200, accept
    for accept in ("text/html", "application/yaml", "application/json;q=0"):
        assert_error(demo.get(DOCS, headers={"Accept": accept}), 406, "NOT_ACCEPTABLE", path=DOCS)


def test_examples_are_what_the_demo_event_answers(demo):
    """Each example has the shape of the live answer (same fields, same JSON types); fields that do not
    depend on time or ids are equal."""
    doc = document(demo)

    def example(path, method, status):
        return doc["paths"][path][method]["responses"][status]["content"]["application/json"]["example"]

    def same_shape(documented, live, where):
        assert type(documented) is type(live) or (documented is None or live is None), (where, documented, live)
        if isinstance(live, dict):
            assert list(documented) == list(live), (where, list(documented), list(live))
            for key in live:
                same_shape(documented[key], live[key], f"{where}.{key}")
        elif isinstance(live, list) and live and documented:
            same_shape(documented[0], live[0], f"{where}[0]")

    event = demo.get("/v1/events/evt_2025_1001").json()
    same_shape(example("/v1/events/{eventId}", "get", "200"), event, "event")
    assert {**example("/v1/events/{eventId}", "get", "200"), "createdAt": event["createdAt"]} == event
    availability = demo.availability("evt_2025_1001")
    assert example("/v1/events/{eventId}/availability", "get", "200") == availability
    seats = demo.get("/v1/events/evt_2025_1001/seats?limit=2").json()
    same_shape(example("/v1/events/{eventId}/seats", "get", "200"), seats, "seats")
    assert example("/v1/events/{eventId}/seats", "get", "200")["seats"] == seats["seats"]

    user = unique("docs_")
    held = demo.hold_ok("evt_2025_1001", 2, user=user)
    same_shape(example("/v1/reservations", "post", "201"), held, "hold")
    one = demo.reservation(held["reservationId"], user=user).json()
    same_shape(example("/v1/reservations/{reservationId}", "get", "200"), one, "reservation")
    listed = demo.get("/v1/reservations", user=user).json()
    same_shape(example("/v1/reservations", "get", "200"), listed, "listing")
    extended = demo.post(f"/v1/reservations/{held['reservationId']}/extend", {"seconds": 60}, user=user).json()
    same_shape(example("/v1/reservations/{reservationId}/extend", "post", "200"), extended, "extend")
    confirmed = demo.confirm(held["reservationId"], user=user).json()
    same_shape(example("/v1/reservations/confirm", "post", "200"), confirmed, "confirm")
    other = demo.hold_ok("evt_2025_1001", 1, user=user)
    cancelled = demo.cancel(other["reservationId"], user=user).json()
    same_shape(example("/v1/reservations/cancel", "post", "200"), cancelled, "cancel")
    missing = demo.reservation("rsv_missing", user=user).json()
    same_shape(example("/v1/reservations/{reservationId}", "get", "404"), missing, "error")


# -- what schemathesis found, fixed in the server ---------------------------------------------------

def test_integral_json_numbers_are_integers(demo):
    """JSON has one number type: 2.0 and 2e0 are the integer 2, as JSON Schema counts them."""
    r = demo.post("/v1/reservations", None, data='{"eventId":"evt_2025_1001","quantity":2.0}', key=unique("k-"))
    assert r.status_code == 201, r.text
    assert r.json()["quantity"] == 2
    r = demo.post("/v1/events", None, data=json.dumps({"name": "N", "currency": "KRW",
                                                       "sections": [{"name": "A", "seats": 2e0, "price": 1.5}]}))
    err = assert_error(r, 400, "INVALID_REQUEST")
    assert err["details"] == {"sections[0].price": "must be an integer"}


def test_caller_header_must_be_visible_ascii(demo):
    """Other bytes were decoded with replacement characters: two different headers named one caller."""
    for raw in (b"caf\xe9", b"caf\xef\xbf\xbd", b"a\x80"):
        r = requests.get(demo.base + "/v1/reservations", headers={"X-User-Id": raw}, timeout=10)
        err = assert_error(r, 400, "INVALID_REQUEST")
        assert err["details"] == {"X-User-Id": "must be 1-255 visible ASCII characters"}
    assert demo.get("/v1/reservations", user="plain-ascii_id.1").status_code == 200


# -- the flag ---------------------------------------------------------------------------------------

def test_assets_flag_is_listed_and_checked(binary, tmp_path):
    help_text = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=10).stdout
    assert "--swagger-ui-assets-url URL" in help_text and "SWAGGER_UI_ASSETS_URL" in help_text
    for bad in ("ftp://x/y", "unpkg.com/swagger-ui-dist@5", 'https://cdn.example/"><script>', "javascript:alert(1)"):
        for how in ("flag", "env"):
            args, env = [str(binary), "--port", "0", "--grpc-port", "0", "--db", str(tmp_path / "r.db")], dict(os.environ)
            if how == "flag":
                args += ["--swagger-ui-assets-url", bad]
            else:
                env["SWAGGER_UI_ASSETS_URL"] = bad
            done = subprocess.run(args, capture_output=True, text=True, timeout=10, env=env)
            assert done.returncode == 2, (bad, how, done.stderr)
            assert "--swagger-ui-assets-url must be" in done.stderr


def test_page_loads_swagger_ui_from_the_flag(server):
    srv = server(args=["--swagger-ui-assets-url", "https://assets.example/ui/"])
    for path in ("/swagger-ui.html", "/docs"):
        r = srv.get(path)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert '<script src="https://assets.example/ui/swagger-ui-bundle.js"></script>' in r.text
        assert '<link rel="stylesheet" href="https://assets.example/ui/swagger-ui.css">' in r.text
        assert f'url: "{DOCS}"' in r.text
    default = server().get("/docs").text
    assert "https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" in default


# -- the page in a browser --------------------------------------------------------------------------

def swagger_ui_dist() -> Path:
    """Swagger UI 5's files from the pinned PyPI package (OpenAPI 3.1 needs Swagger UI 5)."""
    import swagger_ui_bundle
    path = Path(swagger_ui_bundle.swagger_ui_path)
    assert (path / "swagger-ui-bundle.js").is_file() and re.search(r"swagger-ui-5\.", str(path)), path
    return path


class StaticServer:
    """A test-only HTTP server for a directory, on a free port, in a thread."""

    def __init__(self, directory: Path):
        handler = functools.partial(Quiet, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.paths: list[str] = Quiet.paths

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    paths: list[str] = []

    def log_message(self, *args):
        Quiet.paths.append(self.path)


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed (Debian package `chromium`; .ci/run installs it)", pytrace=False)
    return path


def test_swagger_ui_renders_every_operation_in_headless_chromium(server, tmp_path):
    static = StaticServer(swagger_ui_dist())
    try:
        srv = server(args=["--swagger-ui-assets-url", static.url])
        done = subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000", "--dump-dom", srv.base + "/swagger-ui.html"],
            capture_output=True, text=True, timeout=90)
        dom = done.stdout
        assert "/swagger-ui-bundle.js" in static.paths and "/swagger-ui.css" in static.paths, static.paths
    finally:
        static.close()
    blocks = re.findall(r'class="opblock opblock-(\w+)[^"]*" id="operations-[^"]*".*?data-path="([^"]*)"', dom, re.S)
    assert ("post", "/v1/reservations") in blocks, dom[-2000:]
    assert set(blocks) == OPERATIONS, set(blocks) ^ OPERATIONS
    assert '<option value="/">/</option>' in dom, "the servers list offers this server, for Try it out"


# -- schemathesis -----------------------------------------------------------------------------------

def test_schemathesis_finds_nothing(demo, tmp_path):
    """Every operation, every check, bounded examples: no 5xx; statuses, content types, headers and bodies
    as documented; valid data accepted and invalid data refused; links followed (stateful)."""
    st = shutil.which("st") or shutil.which("schemathesis")
    assert st, "schemathesis is not installed (scripts/requirements.txt)"
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "40")
    seed = os.environ.get("SCHEMATHESIS_SEED", "20260101")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "hooks", "PYTHONPATH": str(SCHEMATHESIS)}
    done = subprocess.run(
        [st, "--config-file", str(SCHEMATHESIS / "schemathesis.toml"), "run", demo.base + DOCS, "--checks", "all",
         "--max-examples", examples, "--seed", seed, "--workers", "2", "--no-color",
         "--report", "junit", "--report-junit-path", str(tmp_path / "schemathesis.xml")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)  # state files go to tmp
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"schemathesis failed (seed {seed}):\n{output[-12000:]}"
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert counts and counts[1] == counts[2] and int(counts[1]) > 20 * len(OPERATIONS), output[-3000:]
    print(output[output.find("SUMMARY"):])  # warnings, if any, for whoever reads the log
    assert not [line for line in demo.log_lines() if line.get("level") == "error"], "the server logged errors"
