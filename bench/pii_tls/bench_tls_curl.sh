#!/bin/bash
# Cross-check of (c) download and (d) upload with curl (C client, OpenSSL) instead of python,
# interleaved A,B,B,A...; prints medians and ratio. usage: bench_tls_curl.sh HTTP_PORT HTTPS_PORT CERT BIG_CSV [N_DL] [N_UL]
set -e
HP=$1; SP=$2; CERT=$3; BIG=$4; NDL=${5:-10}; NUL=${6:-5}
SQL='{"sql": "SELECT * FROM range(10000000) t(x)", "format": "csv"}'
dl() { if [ "$1" = http ]; then U=http://127.0.0.1:$HP; else U=https://127.0.0.1:$SP; fi
  curl -s --cacert "$CERT" -X POST "$U/query/export" -d "$SQL" -o /dev/null -w '%{time_total}\n'; }
ul() { if [ "$1" = http ]; then U=http://127.0.0.1:$HP; else U=https://127.0.0.1:$SP; fi
  curl -s --cacert "$CERT" -F mode=replace -F name=big -F "file=@$BIG" "$U/ingest/file" -o /dev/null -w '%{time_total}\n'; }
run() { # fn n out_prefix
  local f=$1 n=$2 p=$3; : > $p.http; : > $p.https
  $f http >/dev/null; $f https >/dev/null   # warm-up
  for i in $(seq 1 $n); do
    if [ $((i % 2)) = 1 ]; then o="http https"; else o="https http"; fi
    for k in $o; do $f $k >> $p.$k; done
  done
  python3 - "$p" <<'PY'
import statistics as s, sys
p = sys.argv[1]; a = [float(x) for x in open(p + ".http")]; b = [float(x) for x in open(p + ".https")]
pair = s.median([y / x for x, y in zip(a, b)])
print(f"{p}: n={len(a)} HTTP median {s.median(a):.3f} s, HTTPS median {s.median(b):.3f} s, ratio {s.median(b)/s.median(a):.2f}, per-pair ratio median {pair:.2f}")
PY
}
run dl $NDL curl_download
run ul $NUL curl_upload
