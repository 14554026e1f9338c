#!/usr/bin/env bash
# A base image for the Dockerfile where no image registry is reachable (CI here): Debian bookworm made by
# debootstrap from the Debian mirror, with python3 (3.11) and venv, imported into the local engine.
#   docker/base.sh [TAG]  (default fakeexports-base:bookworm), then
#   docker build --network host --build-arg BASE=fakeexports-base:bookworm -t fakeexports .
# The machine's CA bundle is copied in, so that pip inside the build trusts what the machine trusts (a
# TLS-inspecting proxy in front of the package index, as on these CI machines). Needs root, debootstrap, docker.
set -euo pipefail
TAG=${1:-fakeexports-base:bookworm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "base image $TAG is there"; exit 0
fi
ROOT=$(mktemp -d /tmp/fakeexports-rootfs.XXXXXX)
trap 'rm -rf "$ROOT"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$ROOT" "$MIRROR" >/dev/null
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    cat /etc/ssl/certs/ca-certificates.crt > "$ROOT/etc/ssl/certs/ca-certificates.crt"
fi
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*
tar -C "$ROOT" -c . | docker import --change 'CMD ["python3"]' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    - "$TAG" >/dev/null
echo "base image $TAG made"
