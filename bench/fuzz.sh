#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_*.cpp) with libFuzzer for MINUTES each
# and prints executions and crashes per target.
#   bash bench/fuzz.sh MINUTES [target ...]    (default: all targets)
# Builds in build-fuzz/ with Debian's clang, ASan and UBSan (installs clang
# when missing). Each target starts from the kept inputs in fuzz/corpus/<t>/
# and grows its own corpus in build-fuzz/corpus/<t>/; an input that crashes
# lands in build-fuzz/crashes/<t>/: copy it into fuzz/corpus/<t>/ once fixed,
# and the replay test (ctest -R fuzz_) keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:?usage: bench/fuzz.sh MINUTES [target ...]}
shift
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(format json_depth filter manifest config pg_binary http_upload)
if ! command -v clang++ >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang
fi
[ -f third_party/duckdb/include/duckdb.h ] || bash scripts/setup.sh
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DLAKEHOUSE_FUZZ=ON -DLAKEHOUSE_NATIVE=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")
# DuckDB is not instrumented; its one-off allocations at exit are not ours.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
printf '%-12s %14s %10s %8s\n' target executions exec/s crashes
for t in "${TARGETS[@]}"; do
  work=build-fuzz/corpus/$t crashes=build-fuzz/crashes/$t
  mkdir -p "$work" "$crashes"
  log=build-fuzz/fuzz_$t.log
  ./build-fuzz/fuzz/fuzz_$t -max_total_time=$((MINUTES * 60)) -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "$work" "fuzz/corpus/$t" >"$log" 2>&1 || true
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n1 || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n1 || echo 0)
  found=$(find "$crashes" -type f | wc -l)
  printf '%-12s %14s %10s %8s\n' "$t" "${execs:-0}" "${rate:-0}" "$found"
done
