#!/usr/bin/env bash
# Checks the container files (Dockerfile, compose, Prometheus, Grafana) without Docker.
# Fails if any check fails; see scripts/check-containers.py for the list.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/check-containers.py
