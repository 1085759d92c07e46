#!/usr/bin/env bash
# Quick start, part two: install what the tests need (Chromium included) and run the suite.
# REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 turn a missing PostgreSQL or browser into failures.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh dev
# Two workers: the machine has two cores; pass -n 0 to run in one process.
exec .venv/bin/python -m pytest -n 2 "$@"
