#!/bin/bash
# Stops the servers started by setup_servers.sh (by the pid each wrote), usage: ROOT=/tmp/lh-bench-pii-tls ./stop_servers.sh
ROOT=${ROOT:-/tmp/lh-bench-pii-tls}
for d in pii http https; do f="$ROOT/$d/server.pid"; [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null && echo "stopped $d ($(cat "$f"))"; done
