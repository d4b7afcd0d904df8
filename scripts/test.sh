#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), builds, starts the PostgreSQL and
# MariaDB test servers (scripts/services.sh), runs every test with CTest, and
# stops the servers again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
eval "$(bash scripts/services.sh start)"
trap 'bash scripts/services.sh stop' EXIT
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" --timeout 600
