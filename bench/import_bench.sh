#!/usr/bin/env bash
# Database import throughput and memory, each against the database's own
# export in the same run:
#   Postgres: pgbench_accounts (pgbench -i -s SCALE) -> `lakehouse import postgres`
#             vs psql -c "\copy pgbench_accounts TO '/dev/null'"
#   MariaDB:  a generated table of the same row count -> `lakehouse import mysql`
#             vs mariadb -e 'SELECT * FROM t' > /dev/null
# Peak RSS from /usr/bin/time. Needs the servers of scripts/services.sh.
# usage: bench/import_bench.sh [SCALE=10] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${1:-10}
ROUNDS=${2:-3}
ROWS=$((SCALE * 100000))
eval "$(bash scripts/services.sh start)"
BIN=./build/lakehouse
WORK=$(mktemp -d /tmp/lh_import_bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export PGPASSWORD=$LAKEHOUSE_TEST_SECRET
PG="psql -h 127.0.0.1 -p ${LAKEHOUSE_PG_PORT:-55432} -U lh -d lhtest -q"
MY="mariadb --no-defaults -h 127.0.0.1 -P ${LAKEHOUSE_MY_PORT:-53306} -u lh -p$LAKEHOUSE_TEST_SECRET lhtest"

echo "==> preparing $ROWS rows in each database" >&2
if [ "$($PG -Atc "SELECT count(*) FROM pgbench_accounts" 2>/dev/null || echo 0)" != "$ROWS" ]; then
  pgbench -h 127.0.0.1 -p "${LAKEHOUSE_PG_PORT:-55432}" -U lh -i -s "$SCALE" -q lhtest >/dev/null 2>&1
fi
if [ "$($MY -N -e "SELECT count(*) FROM bench_rows" 2>/dev/null || echo 0)" != "$ROWS" ]; then
  $MY -e "DROP TABLE IF EXISTS bench_rows;
    CREATE TABLE bench_rows (id bigint PRIMARY KEY, account int, balance decimal(12,2), name varchar(64), created datetime, filler char(84));
    INSERT INTO bench_rows SELECT seq, seq % 1000, (seq % 100000) / 100, CONCAT('name ', seq), TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, REPEAT(' ', 84) FROM seq_1_to_$ROWS;"
fi

measure() {  # label command... -> "seconds peak_kb"
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>&1
  cat "$WORK/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for system in postgres mysql; do
  : > "$WORK/base"; : > "$WORK/ours"; : > "$WORK/rss"
  for round in $(seq 1 "$ROUNDS"); do
    if [ "$system" = postgres ]; then
      read -r secs _ < <(measure $PG -c "\\copy pgbench_accounts TO '/dev/null'")
    else
      read -r secs _ < <(measure sh -c "$MY -e 'SELECT * FROM bench_rows' > /dev/null")
    fi
    echo "$secs" >> "$WORK/base"
    rm -rf "$WORK/data"
    if [ "$system" = postgres ]; then
      read -r secs rss < <(measure $BIN -d "$WORK/data" import postgres "$LAKEHOUSE_TEST_PG_DSN" --table pgbench_accounts)
    else
      read -r secs rss < <(measure $BIN -d "$WORK/data" import mysql "$LAKEHOUSE_TEST_MYSQL_DSN" --table bench_rows)
    fi
    echo "$secs" >> "$WORK/ours"; echo "$rss" >> "$WORK/rss"
    echo "$system round $round: export $(tail -1 "$WORK/base") s, lakehouse import $secs s, peak RSS $((rss / 1024)) MiB" >&2
  done
  base=$(median < "$WORK/base"); ours=$(median < "$WORK/ours"); rss=$(median < "$WORK/rss")
  printf '| %s | %d | %.2f | %.2f | %.0f | %.2f | %d |\n' "$system" "$ROWS" "$base" "$ours" \
    "$(echo "$ROWS / $ours" | bc -l)" "$(echo "$ours / $base" | bc -l)" $((rss / 1024))
done
