#!/bin/bash
# Recreates the three servers used: pii (PORT_PII, customers.csv, keys p and m), http and https (small.csv).
# usage: ROOT=/tmp/lh-bench-pii-tls PORT_PII=3901 PORT_HTTP=3911 PORT_HTTPS=3912 ./setup_servers.sh   (after gen_data.py)
set -e
ROOT=${ROOT:-/tmp/lh-bench-pii-tls}; LH=${LH:-$(cd "$(dirname "$0")/../.." && pwd)/build/lakehouse}
PORT_PII=${PORT_PII:-3901}; PORT_HTTP=${PORT_HTTP:-3911}; PORT_HTTPS=${PORT_HTTPS:-3912}
mk() { # dir port [tls]
  mkdir -p "$ROOT/$1"; { echo "[server]"; echo "port = $2"
    [ -n "$3" ] && { echo 'tls_cert = "cert.pem"'; echo 'tls_key = "key.pem"'; }
    printf '[storage]\ndata_dir = "data"\n[inbox]\nenabled = false\n'; } > "$ROOT/$1/lakehouse.toml"; }
start() { (cd "$ROOT/$1" && { $LH --config lakehouse.toml serve > log 2>&1 & echo $! > server.pid; }); }
wait_up() { for i in $(seq 50); do curl -sk "$1/health" >/dev/null && return 0; sleep 0.2; done; echo "no server at $1"; exit 1; }
mk pii $PORT_PII; mk http $PORT_HTTP; mk https $PORT_HTTPS tls
(cd "$ROOT/https" && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
   -addext subjectAltName=IP:127.0.0.1 -keyout key.pem -out cert.pem 2>/dev/null)
start pii; start http; start https
wait_up http://127.0.0.1:$PORT_PII; wait_up http://127.0.0.1:$PORT_HTTP; wait_up https://127.0.0.1:$PORT_HTTPS
curl -s -F file=@"$ROOT/customers.csv" http://127.0.0.1:$PORT_PII/ingest/file > /dev/null
curl -s -F file=@"$ROOT/small.csv" http://127.0.0.1:$PORT_HTTP/ingest/file > /dev/null
curl -s --cacert "$ROOT/https/cert.pem" -F file=@"$ROOT/small.csv" https://127.0.0.1:$PORT_HTTPS/ingest/file > /dev/null
# is_pii check on the open server (before any key exists)
curl -s http://127.0.0.1:$PORT_PII/catalog/datasets/by-name/customers | python3 -c '
import json, sys; cols = {c["name"]: c for c in json.load(sys.stdin)["columns"]}
assert cols["email"]["is_pii"] and cols["card"]["is_pii"] and not cols["amount"]["is_pii"], cols
print("is_pii:", {n: (c["is_pii"], c["pii_kind"]) for n, c in cols.items()})'
cd "$ROOT/pii"
$LH --config lakehouse.toml auth key create --role reader --grant pii --name p > key_p.txt 2>&1
$LH --config lakehouse.toml auth key create --role reader --name m > key_m.txt 2>&1
echo "keys: pii=$(head -1 key_p.txt) masked=$(head -1 key_m.txt)"
