#!/usr/bin/env bash
# Install what the benchmarks need beyond the project venv (`make bench` runs this first):
#   - wrk (the load generator), from apt, when it is not on PATH already;
#   - valgrind (instructions.py counts instructions a request with callgrind), from apt, when it is missing;
#   - npm from apt when it is missing, then Prism 5 (the reference mock server) into bench/.work/ (git-ignored).
# taskset (util-linux) is assumed present. Run as root (or through sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v wrk >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update
    $SUDO apt-get install -y wrk
fi
wrk --version 2>&1 | head -1 || true   # wrk --version exits 1

if ! command -v valgrind >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get install -y valgrind || { $SUDO apt-get update && $SUDO apt-get install -y valgrind; }
fi
valgrind --version

if [ "${NO_PRISM:-0}" != 1 ]; then
    if ! command -v npm >/dev/null 2>&1; then
        SUDO=""
        if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
        $SUDO apt-get update && $SUDO apt-get install -y npm || true
    fi
    if command -v npm >/dev/null 2>&1; then
        mkdir -p .work
        if [ ! -x .work/node_modules/.bin/prism ]; then
            npm install --prefix .work --no-audit --no-fund @stoplight/prism-cli@5
        fi
        echo "prism $(.work/node_modules/.bin/prism --version)"
    else
        echo "npm not found: Prism will be skipped (the bench prints a note)" >&2
    fi
fi
