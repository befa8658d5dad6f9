#!/usr/bin/env bash
# A private PostgreSQL server for the run-store tests (the ctest fixture "postgres"):
#   postgres_server.sh start STATE_DIR   initdb a throw-away cluster under /tmp, start it on a free loopback port,
#                                        write its URL to STATE_DIR/url
#   postgres_server.sh stop STATE_DIR    stop it and remove its files
# Runs the server as the postgres user when started as root (PostgreSQL refuses to run as root).
set -euo pipefail
action=${1:?start or stop}
state=${2:?state directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ]; then
  echo "postgres_server.sh: PostgreSQL is not installed (scripts/bootstrap.sh installs it)" >&2
  exit 1
fi
as=()
[ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)

stop() {
  if [ -f "$state/data" ]; then
    data=$(cat "$state/data")
    "${as[@]}" "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$data"
  fi
  rm -rf "$state"
}

case "$action" in
  start)
    stop
    mkdir -p "$state"
    data=$(mktemp -d /tmp/xpulse-pg.XXXXXX)
    echo "$data" > "$state/data"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$data"
    "${as[@]}" "$bin/initdb" -D "$data/cluster" -A trust -U xpulse -E UTF8 --no-sync >"$state/initdb.log" 2>&1 ||
      { cat "$state/initdb.log" >&2; exit 1; }
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as[@]}" "$bin/pg_ctl" -D "$data/cluster" -l "$data/server.log" -w -t 60 \
      -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null ||
      { cat "$data/server.log" >&2; exit 1; }
    echo "postgresql://xpulse@127.0.0.1:$port/postgres" > "$state/url"
    echo "postgres_server.sh: $(cat "$state/url") ($data)"
    ;;
  stop) stop ;;
  *) echo "postgres_server.sh: start or stop, not '$action'" >&2; exit 2 ;;
esac
