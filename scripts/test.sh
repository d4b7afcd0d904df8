#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), builds, starts throw-away PostgreSQL
# and MariaDB test servers (scripts/services.sh), runs every test with CTest,
# then stops the servers and removes their data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
LAKEHOUSE_SERVICES_DIR=$(mktemp -d /tmp/lakehouse-test-services.XXXXXX)
export LAKEHOUSE_SERVICES_DIR
chmod 755 "$LAKEHOUSE_SERVICES_DIR"
cleanup() {
  bash scripts/services.sh stop || true
  rm -rf "$LAKEHOUSE_SERVICES_DIR"
}
trap cleanup EXIT
# An assignment, not eval "$(...)": a server that cannot start (its port
# taken by one left running) fails the run instead of skipping the import tests.
exports=$(bash scripts/services.sh start)
eval "$exports"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" --timeout 600
