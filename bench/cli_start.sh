#!/usr/bin/env bash
# How long a one-shot CLI command takes on a data folder with many datasets:
# `lakehouse query "SELECT 1"` and a query naming one dataset, median of 5,
# with peak RSS (GNU time).
#   bash bench/cli_start.sh [DATASETS=100] [ROWS_EACH=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100} ROWS=${2:-20000}
BIN=./build/lakehouse
DIR=$(mktemp -d /tmp/lh_cli_start.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
for i in $(seq 1 "$N"); do
  awk -v n="$ROWS" -v k="$i" 'BEGIN { print "id,name,amount"; for (r = 0; r < n; r++) printf "%d,name %d,%d.5\n", r, r % 977, (r * k) % 1000 }' > "$DIR/d$i.csv"
done
"$BIN" -d "$DIR/data" ingest "$DIR"/d*.csv > /dev/null
measure() {
  local times=() rss=()
  for _ in 1 2 3 4 5; do
    out=$( { /usr/bin/time -f '%e %M' "$BIN" -d "$DIR/data" query "$1" > /dev/null; } 2>&1 | tail -n1)
    times+=("${out% *}"); rss+=("${out#* }")
  done
  printf '| `%s` | %s s | %s MB |\n' "$1" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)" \
    "$(( $(printf '%s\n' "${rss[@]}" | sort -n | sed -n 3p) / 1024 ))"
}
echo "$N datasets of $ROWS rows ($(du -sh "$DIR/data" | cut -f1) of Parquet)"
echo "| CLI command (median of 5) | time | peak RSS |"
echo "|---|---|---|"
measure "SELECT 1"
measure "SELECT count(*), sum(amount) FROM d7"
