#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster (socket and data in a temp dir, port 54329 by default),
# exports GHOSTLINE_TEST_PG_URL and runs the given command (default: the feedback tests), then stops
# and deletes the cluster. Needs Debian's postgresql-15 (/usr/lib/postgresql/15/bin). When run as
# root the cluster runs as the `postgres` user.
#
#   bash scripts/postgres-test.sh                         # feedback tests on SQLite + Postgres
#   bash scripts/postgres-test.sh npx vitest run test/x   # any command with GHOSTLINE_TEST_PG_URL set
set -euo pipefail
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
PORT="${GHOSTLINE_TEST_PG_PORT:-54329}"
[ -x "$PGBIN/initdb" ] || { echo "postgres-test: $PGBIN/initdb not found (apt-get install postgresql-15)" >&2; exit 2; }
DIR="$(mktemp -d /tmp/ghostline-pg.XXXXXX)"
chmod 755 "$DIR"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
as_pg "$PGBIN/initdb" -D "$DIR/data" -U ghostline --auth=trust -E UTF8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
as_pg "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
  -o "-p $PORT -k $DIR -c listen_addresses='' -c fsync=on -c synchronous_commit=on" start >/dev/null \
  || { cat "$DIR/server.log" >&2; exit 1; }
as_pg "$PGBIN/createdb" -h "$DIR" -p "$PORT" -U ghostline ghostline_test
export GHOSTLINE_TEST_PG_URL="postgresql://ghostline@/ghostline_test?host=$DIR&port=$PORT"
echo "postgres-test: cluster up, GHOSTLINE_TEST_PG_URL=$GHOSTLINE_TEST_PG_URL" >&2
if [ "$#" -eq 0 ]; then set -- npx vitest run test/feedback; fi
"$@"
