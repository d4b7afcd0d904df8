#!/usr/bin/env bash
# Installs everything (scripts/setup.sh), builds, and runs every test with CTest.
# Tests need no running services of their own yet; the end-to-end tests start
# the real lakehouse binary on free ports with throw-away data folders.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)" --timeout 600
