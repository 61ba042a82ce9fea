#!/usr/bin/env python3
"""Static checks of the container files, runnable without Docker.

Covers Dockerfile, .dockerignore, docker-compose.yml, scripts/compose/prometheus/prometheus.yml and the Grafana
provisioning and dashboards under scripts/compose/grafana. Prints one line per check (PASS, FAIL or SKIP) and
exits 1 if any check failed. Optional tools are used when installed: promtool (Debian package
`prometheus`), hadolint, and `docker compose config` when a Docker engine answers.

Usage: python3 scripts/check-containers.py [--root DIR]
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - reported as a failure below
    yaml = None

SERVER_SERVICE = "reservation-server"
SERVER_PORT = 8010
METRICS_PATH = "/actuator/prometheus"
READINESS_PATH = "/actuator/health/readiness"
PROMETHEUS_SERVICE = "prometheus"
GRAFANA_SERVICE = "grafana"

# Metric families the server exposes (histograms by their base name).
KNOWN_METRICS = {
    "http_server_requests_seconds",
    "reservation_outcomes_total",
    "reservations_live_holds",
    "seats",
    "writer_queue_depth",
    "writer_batch_size",
    "writer_commit_seconds",
    "reservation_expiry_lateness_seconds",
    "outbox_backlog",
    "idempotency_replays_total",
    "idempotency_conflicts_total",
    "process_resident_memory_bytes",
    "process_open_fds",
    "process_cpu_seconds_total",
    "process_start_time_seconds",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

# Words in PromQL that look like identifiers but are not metric names.
PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "atan2", "inf", "nan",
}


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            print(f"PASS {name}")
        else:
            self.failures += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        return ok

    def skip(self, name: str, why: str) -> None:
        print(f"SKIP {name}: {why}")


# ---------------------------------------------------------------------------------------------
# helpers


def load_yaml(report: Report, root: Path, rel: str):
    path = root / rel
    if not path.is_file():
        report.check(f"{rel} exists", False, "file missing")
        return None
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except yaml.YAMLError as error:
        report.check(f"{rel} parses as YAML", False, str(error).replace("\n", " "))
        return None
    if not report.check(f"{rel} parses as YAML", isinstance(data, dict), "top level is not a mapping"):
        return None
    return data


def env_map(environment) -> dict[str, str]:
    """Compose `environment` as a dict, whether written as a mapping or as a list of KEY=VALUE."""
    if isinstance(environment, dict):
        return {str(k): "" if v is None else str(v) for k, v in environment.items()}
    result = {}
    for item in environment or []:
        key, _, value = str(item).partition("=")
        result[key] = value
    return result


def parse_volume(entry) -> tuple[str, str, str]:
    """Returns (kind, source, target) for a compose volume entry; kind is bind, volume or tmpfs."""
    if isinstance(entry, dict):
        kind = entry.get("type", "volume")
        return kind, str(entry.get("source", "")), str(entry.get("target", ""))
    parts = str(entry).split(":")
    if len(parts) == 1:
        return "volume", "", parts[0]
    source, target = parts[0], parts[1]
    kind = "bind" if source.startswith((".", "/", "~")) else "volume"
    return kind, source, target


def published_ports(service: dict) -> set[int]:
    ports = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            if entry.get("published") is not None:
                ports.add(int(str(entry["published"]).split("-")[0]))
            continue
        text = str(entry).split("/")[0]
        pieces = text.split(":")
        if len(pieces) >= 2 and pieces[-2].isdigit():
            ports.add(int(pieces[-2]))
    return ports


def inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def split_host_port(target: str) -> tuple[str, int | None]:
    host, _, port = target.rpartition(":")
    return host, int(port) if port.isdigit() else None


# ---------------------------------------------------------------------------------------------
# Dockerfile


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    instructions, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        word, _, rest = pending.strip().partition(" ")
        instructions.append((word.upper(), rest.strip()))
        pending = ""
    if pending.strip():
        word, _, rest = pending.strip().partition(" ")
        instructions.append((word.upper(), rest.strip()))
    return instructions


def copy_sources(arguments: str) -> tuple[list[str], bool]:
    """Sources of a COPY/ADD, and whether it copies from another stage or image (--from)."""
    if arguments.startswith("["):
        items = json.loads(arguments)
    else:
        items = shlex.split(arguments)
    flags = [item for item in items if item.startswith("--")]
    paths = [item for item in items if not item.startswith("--")]
    from_stage = any(flag.startswith("--from") for flag in flags)
    return paths[:-1], from_stage


def dockerignore_patterns(root: Path) -> list[tuple[bool, str]]:
    path = root / ".dockerignore"
    if not path.is_file():
        return []
    patterns = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        pattern = os.path.normpath(pattern.strip("/"))
        patterns.append((negate, pattern))
    return patterns


def glob_to_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as a regex: `*` and `?` stay within one path segment, `**` spans any."""
    regex, index = "", 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex, index = regex + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif pattern[index] == "*":
            regex, index = regex + "[^/]*", index + 1
        elif pattern[index] == "?":
            regex, index = regex + "[^/]", index + 1
        else:
            regex, index = regex + re.escape(pattern[index]), index + 1
    return re.compile(regex + r"\Z")


def ignored(path: str, patterns: list[tuple[bool, str]]) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern that matches a parent matches the path."""
    path = os.path.normpath(path.strip("/"))
    prefixes = []
    pieces = path.split("/")
    for end in range(1, len(pieces) + 1):
        prefixes.append("/".join(pieces[:end]))
    result = False
    for negate, pattern in patterns:
        regex = glob_to_regex(pattern)
        if any(regex.match(prefix) for prefix in prefixes):
            result = not negate
    return result


def check_dockerfile(report: Report, root: Path) -> dict:
    facts: dict = {"healthcheck": None}
    path = root / "Dockerfile"
    if not report.check("Dockerfile exists", path.is_file(), "file missing"):
        return facts
    instructions = dockerfile_instructions(path.read_text(encoding="utf-8"))
    froms = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    report.check("Dockerfile has two FROM stages (build, runtime)", len(froms) == 2, f"found {len(froms)}")
    if not froms:
        return facts
    final = instructions[froms[-1]:]

    def words(stage, name):
        return [args for word, args in stage if word == name]

    users = words(final, "USER")
    user = users[-1].split(":")[0] if users else ""
    report.check("Dockerfile runtime stage runs as a non-root USER", bool(user) and user not in ("root", "0"),
                 f"USER is {user or 'unset'}")
    report.check("Dockerfile runtime stage has HEALTHCHECK", bool(words(final, "HEALTHCHECK")), "missing")
    exposed = {p.split("/")[0] for args in words(final, "EXPOSE") for p in args.split()}
    report.check(f"Dockerfile EXPOSE {SERVER_PORT}", str(SERVER_PORT) in exposed, f"EXPOSE {sorted(exposed)}")
    report.check("Dockerfile has ENTRYPOINT", bool(words(final, "ENTRYPOINT")), "missing")
    report.check("Dockerfile STOPSIGNAL SIGTERM", any(a.strip() in ("SIGTERM", "15") for a in words(final, "STOPSIGNAL")),
                 "missing or not SIGTERM")
    builds = " ".join(words(instructions[: froms[-1]], "RUN"))
    report.check("Dockerfile build stage links the Swift runtime statically",
                 "--static-swift-stdlib" in builds and "--product reservation-server" in builds,
                 "no `swift build ... --product reservation-server --static-swift-stdlib`")
    runtime_image = instructions[froms[-1]][1].split()[0]
    report.check("Dockerfile runtime stage is slim Debian", "slim" in runtime_image, runtime_image)
    runtime_runs = " ".join(words(final, "RUN"))
    report.check("Dockerfile runtime stage installs libsqlite3-0", "libsqlite3-0" in runtime_runs, "not installed")

    env_text = " ".join(words(final, "ENV"))
    volumes = " ".join(words(final, "VOLUME"))
    db = re.search(r"DB_PATH[= ]\s*(\S+)", env_text)
    db_path = db.group(1).strip("\"'") if db else ""
    volume_dirs = [v.strip("[]\",' ") for v in re.split(r"[\s,]+", volumes) if v.strip("[]\",' ")]
    report.check("Dockerfile DB_PATH lies in a VOLUME",
                 bool(db_path) and any(db_path.startswith(v.rstrip("/") + "/") for v in volume_dirs),
                 f"DB_PATH={db_path or 'unset'} VOLUME={volume_dirs}")

    patterns = dockerignore_patterns(root)
    copied = []
    missing, excluded = [], []
    for word, args in instructions:
        if word not in ("COPY", "ADD"):
            continue
        sources, from_stage = copy_sources(args)
        if from_stage:
            continue
        for source in sources:
            copied.append(os.path.normpath(source))
            if not any(True for _ in root.glob(source)) and not (root / source).exists():
                missing.append(source)
            elif ignored(source, patterns):
                excluded.append(source)
            elif (root / source).is_dir():
                # A pattern may drop part of a copied folder, which the build would then miss.
                for file in sorted((root / source).rglob("*")):
                    relative = file.relative_to(root).as_posix()
                    if file.is_file() and ignored(relative, patterns):
                        excluded.append(relative)
                        break
    report.check("Dockerfile COPY sources exist in the repo", not missing, f"missing: {missing}")
    report.check("Dockerfile COPY sources are not excluded by .dockerignore", not excluded, f"excluded: {excluded}")

    # SwiftPM loads the whole manifest: every target directory it names must be in the image.
    manifest = root / "Package.swift"
    if manifest.is_file():
        text = manifest.read_text(encoding="utf-8")
        needed = set(re.findall(r'path:\s*"([^"]+)"', text))
        if re.search(r"\.(target|executableTarget|systemLibrary)\(", text):
            needed.add("Sources")
        if ".testTarget(" in text:
            needed.add("Tests")
        uncovered = sorted(n for n in needed
                           if not any(n == c or n.startswith(c.rstrip("/") + "/") or c == "." for c in copied))
        report.check("Dockerfile copies every directory Package.swift names", not uncovered, f"not copied: {uncovered}")

    for args in words(final, "HEALTHCHECK"):
        match = re.search(r"CMD\s+(.*)$", args)
        if match:
            command = match.group(1).strip()
            facts["healthcheck"] = json.loads(command) if command.startswith("[") else ["/bin/sh", "-c", command]
    if facts["healthcheck"]:
        report.check("Dockerfile HEALTHCHECK probes readiness", READINESS_PATH in " ".join(facts["healthcheck"]),
                     "does not mention " + READINESS_PATH)
    return facts


# ---------------------------------------------------------------------------------------------
# docker-compose.yml


def check_compose(report: Report, root: Path) -> dict:
    facts: dict = {}
    compose = load_yaml(report, root, "docker-compose.yml")
    if compose is None:
        return facts
    services = compose.get("services") or {}
    declared_volumes = set((compose.get("volumes") or {}).keys())
    for name in (SERVER_SERVICE, PROMETHEUS_SERVICE, GRAFANA_SERVICE):
        report.check(f"compose defines service {name}", name in services, "missing")
    facts["services"] = set(services)
    facts["mounts"] = {}

    for name, service in services.items():
        service = service or {}
        problems = []
        if not service.get("image") and not service.get("build"):
            problems.append("neither image nor build")
        build = service.get("build")
        if build is not None:
            context = build if isinstance(build, str) else build.get("context", ".")
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            context_path = root / context
            if not context_path.is_dir() or not inside(root, context_path):
                problems.append(f"build context {context} is not a folder of the repo")
            elif not (context_path / dockerfile).is_file():
                problems.append(f"{dockerfile} missing in build context {context}")
        for entry in service.get("volumes") or []:
            kind, source, target = parse_volume(entry)
            if kind == "bind":
                host = root / source
                if not source or not host.exists() or not inside(root, host):
                    problems.append(f"mounted path {source} is not in the repo")
                facts["mounts"].setdefault(name, {})[target] = os.path.normpath(source)
            elif kind == "volume" and source and source not in declared_volumes:
                problems.append(f"named volume {source} is not declared under top-level volumes")
        depends = service.get("depends_on") or []
        for dependency in depends if isinstance(depends, list) else list(depends):
            if dependency not in services:
                problems.append(f"depends_on unknown service {dependency}")
        report.check(f"compose service {name} is complete (image/build, mounts, depends_on)", not problems,
                     "; ".join(problems))

    server = services.get(SERVER_SERVICE) or {}
    report.check(f"compose {SERVER_SERVICE} is built from the repo", bool(server.get("build")), "no build")
    report.check(f"compose {SERVER_SERVICE} publishes {SERVER_PORT}", SERVER_PORT in published_ports(server),
                 f"ports {sorted(published_ports(server))}")
    data_volume = any(parse_volume(v)[2] == "/data" for v in server.get("volumes") or [])
    report.check(f"compose {SERVER_SERVICE} keeps /data on a volume", data_volume, "no volume at /data")
    health = server.get("healthcheck") or {}
    test = health.get("test")
    report.check(f"compose {SERVER_SERVICE} has a readiness healthcheck",
                 bool(test) and READINESS_PATH in (" ".join(test) if isinstance(test, list) else str(test)),
                 "missing or not probing " + READINESS_PATH)
    if isinstance(test, list) and test and test[0] in ("CMD", "CMD-SHELL"):
        # Compose turns `$$` into a literal `$` before the command runs.
        facts["healthcheck"] = [part.replace("$$", "$") for part in (test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", test[1]])]

    prometheus = services.get(PROMETHEUS_SERVICE) or {}
    report.check("compose prometheus uses the official image",
                 str(prometheus.get("image", "")).split(":")[0] in ("prom/prometheus", "quay.io/prometheus/prometheus"),
                 str(prometheus.get("image")))
    report.check("compose prometheus publishes 9090", 9090 in published_ports(prometheus),
                 f"ports {sorted(published_ports(prometheus))}")
    prom_mounts = facts["mounts"].get(PROMETHEUS_SERVICE, {})
    config_target = next((t for t, s in prom_mounts.items() if s == "scripts/compose/prometheus/prometheus.yml"), None)
    report.check("compose prometheus mounts scripts/compose/prometheus/prometheus.yml", config_target is not None, "not mounted")
    flags = [str(c) for c in (prometheus.get("command") or [])]
    config_flag = next((f.split("=", 1)[1] for f in flags if f.startswith("--config.file=")), "/etc/prometheus/prometheus.yml")
    report.check("compose prometheus reads the mounted config", config_target == config_flag,
                 f"mounted at {config_target}, --config.file={config_flag}")

    grafana = services.get(GRAFANA_SERVICE) or {}
    report.check("compose grafana uses the official image",
                 str(grafana.get("image", "")).split(":")[0] in ("grafana/grafana", "grafana/grafana-oss"),
                 str(grafana.get("image")))
    report.check("compose grafana publishes 3000", 3000 in published_ports(grafana),
                 f"ports {sorted(published_ports(grafana))}")
    env = env_map(grafana.get("environment"))
    report.check("compose grafana allows anonymous viewers",
                 env.get("GF_AUTH_ANONYMOUS_ENABLED", "").lower() == "true"
                 and env.get("GF_AUTH_ANONYMOUS_ORG_ROLE", "Viewer") == "Viewer",
                 "GF_AUTH_ANONYMOUS_ENABLED is not true or role is not Viewer")
    depends = grafana.get("depends_on") or []
    report.check("compose grafana depends on prometheus", PROMETHEUS_SERVICE in (depends if isinstance(depends, list) else list(depends)),
                 "missing")
    grafana_mounts = facts["mounts"].get(GRAFANA_SERVICE, {})
    report.check("compose grafana mounts scripts/compose/grafana/provisioning at /etc/grafana/provisioning",
                 grafana_mounts.get("/etc/grafana/provisioning") == "scripts/compose/grafana/provisioning",
                 f"mounts {grafana_mounts}")
    facts["grafana_dashboards_target"] = next((t for t, s in grafana_mounts.items() if s == "scripts/compose/grafana/dashboards"), None)
    report.check("compose grafana mounts scripts/compose/grafana/dashboards", facts["grafana_dashboards_target"] is not None,
                 f"mounts {grafana_mounts}")
    return facts


# ---------------------------------------------------------------------------------------------
# Prometheus


def check_prometheus(report: Report, root: Path, compose: dict) -> None:
    rel = "scripts/compose/prometheus/prometheus.yml"
    config = load_yaml(report, root, rel)
    if config is None:
        return
    jobs = config.get("scrape_configs") or []
    server_jobs = []
    for job in jobs:
        for static in job.get("static_configs") or []:
            for target in static.get("targets") or []:
                host, port = split_host_port(str(target))
                if host == SERVER_SERVICE and port == SERVER_PORT:
                    server_jobs.append(job)
    report.check(f"prometheus scrapes {SERVER_SERVICE}:{SERVER_PORT}", bool(server_jobs), "no such target")
    for job in server_jobs:
        name = job.get("job_name", "?")
        report.check(f"prometheus job {name} scrapes {METRICS_PATH}", job.get("metrics_path") == METRICS_PATH,
                     f"metrics_path is {job.get('metrics_path', '/metrics (default)')}")
        interval = job.get("scrape_interval") or (config.get("global") or {}).get("scrape_interval")
        report.check(f"prometheus job {name} scrapes every 5s", interval == "5s", f"interval {interval}")
    if compose.get("services"):
        hosts = {split_host_port(str(t))[0] for job in jobs for s in job.get("static_configs") or []
                 for t in s.get("targets") or []}
        unknown = sorted(h for h in hosts if h not in compose["services"] and h not in ("localhost", "127.0.0.1"))
        report.check("prometheus targets are compose services", not unknown, f"unknown hosts {unknown}")

    promtool = shutil.which("promtool")
    if promtool is None:
        report.skip("promtool check config", "promtool not installed")
        return
    result = subprocess.run([promtool, "check", "config", rel], cwd=root, capture_output=True, text=True)
    report.check("promtool check config", result.returncode == 0,
                 (result.stdout + result.stderr).strip().replace("\n", " | "))


# ---------------------------------------------------------------------------------------------
# Grafana


def panel_list(panels: list) -> list:
    """All panels, including those collapsed inside rows."""
    result = []
    for panel in panels or []:
        result.append(panel)
        result.extend(panel_list(panel.get("panels") or []))
    return result


def metric_names(expr: str) -> set[str]:
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', "", expr)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    text = re.sub(r"\$\{?\w+\}?", "", text)  # Grafana variables
    text = re.sub(r"\b\d+(\.\d+)?([eE][+-]?\d+)?\b", "", text)  # numbers
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        following = text[match.end():].lstrip()
        if following.startswith("(") or word.lower() in PROMQL_KEYWORDS:
            continue  # a function call or an operator word
        names.add(word)
    return names


def base_metric(name: str) -> str:
    if name in KNOWN_METRICS:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def check_grafana(report: Report, root: Path, compose: dict) -> None:
    ds_rel = "scripts/compose/grafana/provisioning/datasources/prometheus.yml"
    datasources = load_yaml(report, root, ds_rel)
    uid = None
    if datasources is not None:
        entries = [d for d in datasources.get("datasources") or [] if d.get("type") == "prometheus"]
        report.check("grafana datasource provisioning has one Prometheus", len(entries) == 1, f"found {len(entries)}")
        if entries:
            entry = entries[0]
            uid = entry.get("uid")
            report.check("grafana Prometheus datasource has a fixed uid", bool(uid), "uid missing")
            url = str(entry.get("url", ""))
            report.check(f"grafana Prometheus datasource points at http://{PROMETHEUS_SERVICE}:9090",
                         url.rstrip("/") == f"http://{PROMETHEUS_SERVICE}:9090", url)

    provider_rel = "scripts/compose/grafana/provisioning/dashboards/dashboards.yml"
    providers = load_yaml(report, root, provider_rel)
    dashboards_dir = root / "scripts/compose/grafana/dashboards"
    if providers is not None:
        items = providers.get("providers") or []
        report.check("grafana dashboard provider is defined", bool(items), "no providers")
        target = compose.get("grafana_dashboards_target")
        for provider in items:
            name = provider.get("name", "?")
            path = (provider.get("options") or {}).get("path")
            report.check(f"grafana provider {name} is a file provider", provider.get("type", "file") == "file",
                         str(provider.get("type")))
            report.check(f"grafana provider {name} reads the mounted dashboards folder",
                         bool(path) and path == target, f"path {path}, mounted at {target}")
    files = sorted(dashboards_dir.glob("*.json")) if dashboards_dir.is_dir() else []
    report.check("scripts/compose/grafana/dashboards holds dashboard JSON", bool(files), "no *.json")

    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            dashboard = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            report.check(f"{rel} is valid JSON", False, str(error))
            continue
        report.check(f"{rel} is valid JSON", True)
        schema = dashboard.get("schemaVersion", 0)
        report.check(f"{rel} schemaVersion >= 36", isinstance(schema, int) and schema >= 36, str(schema))
        report.check(f"{rel} has uid and title", bool(dashboard.get("uid")) and bool(dashboard.get("title")), "missing")
        panels = panel_list(dashboard.get("panels"))
        report.check(f"{rel} has panels", bool(panels), "none")
        ids = [p.get("id") for p in panels]
        duplicates = sorted({i for i in ids if ids.count(i) > 1}, key=str)
        report.check(f"{rel} panel ids are unique and set", None not in ids and not duplicates,
                     f"duplicates {duplicates}" if duplicates else "a panel has no id")
        bad_ds, empty, unknown, layout = [], [], set(), []
        for panel in panels:
            if panel.get("type") == "row":
                continue
            title = panel.get("title", f"id {panel.get('id')}")
            if (panel.get("datasource") or {}).get("uid") != uid:
                bad_ds.append(title)
            targets = panel.get("targets") or []
            if not targets:
                empty.append(title)
            for target in targets:
                if "datasource" in target and (target.get("datasource") or {}).get("uid") != uid:
                    bad_ds.append(f"{title}/{target.get('refId')}")
                expr = str(target.get("expr", "")).strip()
                if not expr:
                    empty.append(f"{title}/{target.get('refId')}")
                    continue
                unknown |= {n for n in metric_names(expr) if base_metric(n) not in KNOWN_METRICS}
            grid = panel.get("gridPos") or {}
            if not all(isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")) or grid["x"] + grid["w"] > 24:
                layout.append(title)
        report.check(f"{rel} every panel uses datasource uid {uid}", uid is not None and not bad_ds, f"{bad_ds}")
        report.check(f"{rel} every panel has non-empty exprs", not empty, f"{empty}")
        report.check(f"{rel} every expr uses only metrics the server exposes", not unknown, f"unknown {sorted(unknown)}")
        report.check(f"{rel} every panel has a gridPos within 24 columns", not layout, f"{layout}")


# ---------------------------------------------------------------------------------------------
# health probe, exercised against a stand-in server


class _Readiness(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 - http.server naming
        code = type(self).status if self.path == READINESS_PATH else 404
        body = b'{"status":"UP"}' if code == 200 else b'{"status":"DOWN"}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the probe hangs up after the status line; a reset while answering is expected


def check_probe(report: Report, name: str, command: list[str] | None) -> None:
    """Runs a healthcheck command against a local stand-in answering 200, then 503."""
    if not command:
        return
    if command[0] not in ("bash", "/bin/bash") or shutil.which("bash") is None:
        report.skip(f"{name} probe runs", "not a bash probe or bash missing")
        return
    handler = type("Readiness", (_Readiness,), {"status": 200})
    server = _QuietServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        script = command[-1].replace(f"/{SERVER_PORT}", f"/{port}")
        env = dict(os.environ, SERVER_PORT=str(port))
        results = []
        for status in (200, 503):
            handler.status = status
            run = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=10)
            results.append(run.returncode)
        report.check(f"{name} probe passes on 200 and fails on 503", results[0] == 0 and results[1] != 0,
                     f"exit codes {results}")
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------------------------
# optional tools


def docker_engine_available() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        compose = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=20)
        engine = subprocess.run([docker, "info"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return compose.returncode == 0 and engine.returncode == 0


def check_tools(report: Report, root: Path) -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        report.skip("hadolint Dockerfile", "hadolint not installed")
    else:
        run = subprocess.run([hadolint, "Dockerfile"], cwd=root, capture_output=True, text=True)
        report.check("hadolint Dockerfile", run.returncode == 0, (run.stdout + run.stderr).strip().replace("\n", " | "))
    if not docker_engine_available():
        report.skip("docker compose config", "no Docker engine with the compose plugin")
    else:
        run = subprocess.run(["docker", "compose", "-f", "docker-compose.yml", "config", "--quiet"],
                             cwd=root, capture_output=True, text=True)
        report.check("docker compose config", run.returncode == 0, (run.stdout + run.stderr).strip().replace("\n", " | "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="repository root (default: the parent of this script's folder)")
    root = parser.parse_args().root.resolve()
    report = Report()
    if not report.check("PyYAML is importable", yaml is not None, "pip install -r scripts/requirements.txt"):
        return 1
    docker_facts = check_dockerfile(report, root)
    compose_facts = check_compose(report, root)
    check_prometheus(report, root, compose_facts)
    check_grafana(report, root, compose_facts)
    check_probe(report, "Dockerfile HEALTHCHECK", docker_facts.get("healthcheck"))
    check_probe(report, "compose healthcheck", compose_facts.get("healthcheck"))
    check_tools(report, root)
    print(f"{'FAILED' if report.failures else 'OK'}: {report.failures} failing check(s)")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
