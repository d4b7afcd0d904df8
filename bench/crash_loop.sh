#!/usr/bin/env bash
# kill -9 loop: the crash tests of tests/e2e/e2e_crash_test.cpp with many
# iterations per path (append, replace, refresh, move; import when the test
# databases run).
#   bash bench/crash_loop.sh [ITERATIONS]     (default 100 per path)
# Starts the throw-away Postgres/MariaDB of scripts/services.sh for the
# import path. Prints each path's iterations and the failures, if any.
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS=${1:-100}
[ -x build/tests/e2e/e2e_test ] || bash scripts/setup.sh
LAKEHOUSE_SERVICES_DIR=$(mktemp -d /tmp/lakehouse-crash-services.XXXXXX)
export LAKEHOUSE_SERVICES_DIR
chmod 755 "$LAKEHOUSE_SERVICES_DIR"
trap 'bash scripts/services.sh stop || true; rm -rf "$LAKEHOUSE_SERVICES_DIR"' EXIT
eval "$(bash scripts/services.sh start)"
LAKEHOUSE_CRASH_ITERATIONS=$ITERATIONS ./build/tests/e2e/e2e_test --gtest_filter='CrashLoopE2E.*'
