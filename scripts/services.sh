#!/usr/bin/env bash
# Starts (or stops) the real PostgreSQL and MariaDB servers the tests import
# from: loopback only, non-default ports, data in a throw-away folder.
#   scripts/services.sh start   -> prints `export ...` lines with the test DSNs
#   scripts/services.sh stop
# Installs the server packages first when they are missing.
set -euo pipefail
RUN_DIR=${LAKEHOUSE_SERVICES_DIR:-/tmp/lakehouse-services}
PG_PORT=${LAKEHOUSE_PG_PORT:-55432}
MY_PORT=${LAKEHOUSE_MY_PORT:-53306}
PASSWORD=lh-secret-pw   # a test-only password; tests check it never leaks

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi

as_postgres() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_servers() {
  local missing=()
  for p in postgresql mariadb-server mariadb-client; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing ${missing[*]}" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  local dir=$RUN_DIR/pg
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$RUN_DIR" "$dir"
    as_postgres "$bin/initdb" -D "$dir" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust >/dev/null
    cat > "$dir/pg_hba.conf" <<HBA
local all all trust
host all lh_trust 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
HBA
  fi
  as_postgres "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1 ||
  as_postgres "$bin/pg_ctl" -D "$dir" -l "$RUN_DIR/pg.log" -w -t 60 start \
    -o "-p $PG_PORT -k $RUN_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" >/dev/null
  as_postgres psql -h "$RUN_DIR" -p "$PG_PORT" -U postgres -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lh') THEN CREATE ROLE lh LOGIN PASSWORD '$PASSWORD'; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lh_trust') THEN CREATE ROLE lh_trust LOGIN; END IF;
END \$\$;
SELECT 'CREATE DATABASE lhtest OWNER lh' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'lhtest')\gexec
GRANT ALL ON DATABASE lhtest TO lh_trust;
SQL
  as_postgres psql -h "$RUN_DIR" -p "$PG_PORT" -U postgres -d lhtest -q -c "GRANT ALL ON SCHEMA public TO lh_trust" >/dev/null
}

start_mariadb() {
  local dir=$RUN_DIR/my
  mkdir -p "$dir"
  if [ ! -d "$dir/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$dir" --user="$(id -un)" --auth-root-authentication-method=socket \
      --skip-test-db >/dev/null 2>&1
  fi
  if ! mariadb-admin --no-defaults --socket="$RUN_DIR/my.sock" -u root ping >/dev/null 2>&1; then
  mariadbd --no-defaults --datadir="$dir" --port="$MY_PORT" --socket="$RUN_DIR/my.sock" --bind-address=127.0.0.1 \
    --user="$(id -un)" --pid-file="$RUN_DIR/my.pid" --skip-log-bin --innodb-flush-log-at-trx-commit=0 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin --log-error="$RUN_DIR/my.log" &
  fi
  for _ in $(seq 1 120); do
    mariadb-admin --no-defaults --socket="$RUN_DIR/my.sock" -u root ping >/dev/null 2>&1 && break
    sleep 0.5
  done
  mariadb --no-defaults --socket="$RUN_DIR/my.sock" -u root <<SQL
CREATE DATABASE IF NOT EXISTS lhtest CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'lh'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
CREATE USER IF NOT EXISTS 'lh_trust'@'127.0.0.1';
GRANT ALL ON lhtest.* TO 'lh'@'127.0.0.1';
GRANT ALL ON lhtest.* TO 'lh_trust'@'127.0.0.1';
SQL
}

case "${1:-}" in
  start)
    install_servers
    mkdir -p "$RUN_DIR"
    start_postgres
    start_mariadb
    echo "export LAKEHOUSE_TEST_PG_DSN=postgresql://lh:$PASSWORD@127.0.0.1:$PG_PORT/lhtest"
    echo "export LAKEHOUSE_TEST_PG_TRUST_DSN=postgresql://lh_trust@127.0.0.1:$PG_PORT/lhtest"
    echo "export LAKEHOUSE_TEST_MYSQL_DSN=mysql://lh:$PASSWORD@127.0.0.1:$MY_PORT/lhtest"
    echo "export LAKEHOUSE_TEST_MYSQL_TRUST_DSN=mysql://lh_trust@127.0.0.1:$MY_PORT/lhtest"
    echo "export LAKEHOUSE_TEST_SECRET=$PASSWORD"
    ;;
  stop)
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [ -f "$RUN_DIR/pg/postmaster.pid" ] && as_postgres "$bin/pg_ctl" -D "$RUN_DIR/pg" -m fast -w stop >/dev/null || true
    if [ -S "$RUN_DIR/my.sock" ]; then
      mariadb-admin --no-defaults --socket="$RUN_DIR/my.sock" -u root shutdown >/dev/null 2>&1 || true
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
