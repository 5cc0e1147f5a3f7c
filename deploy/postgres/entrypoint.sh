#!/bin/sh
# First start: initdb in the volume, then a role and a database for estd
# (POSTGRES_USER, POSTGRES_DB) with the password POSTGRES_PASSWORD, the first
# line of POSTGRES_PASSWORD_FILE, or PGPASSWORD (the one estd's libpq reads,
# so deploy/compose.yaml keeps it in one file). Every start: exec postgres, so
# signals reach it (STOPSIGNAL SIGINT, a fast shutdown).
set -eu

if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
  POSTGRES_PASSWORD=$(head -n1 "$POSTGRES_PASSWORD_FILE")
fi
POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-${PGPASSWORD:-}}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "estd-postgres: set POSTGRES_PASSWORD, POSTGRES_PASSWORD_FILE or PGPASSWORD" >&2
    exit 2
  fi
  echo "estd-postgres: initializing $PGDATA"
  initdb --pgdata="$PGDATA" --username=postgres --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  # Password logins from any address (a bridge network); listen_addresses
  # and the container's network decide who can reach the port at all.
  echo 'host all all all scram-sha-256' >>"$PGDATA/pg_hba.conf"
  pg_ctl --pgdata="$PGDATA" --silent --wait \
    -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" start
  # The password goes through a psql variable, quoted by psql itself.
  psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -d postgres \
    -v user="$POSTGRES_USER" -v db="$POSTGRES_DB" -v password="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
  pg_ctl --pgdata="$PGDATA" --silent --wait stop
  echo "estd-postgres: role $POSTGRES_USER and database $POSTGRES_DB created"
fi
unset POSTGRES_PASSWORD PGPASSWORD

exec postgres -D "$PGDATA" \
  -c listen_addresses="$POSTGRES_LISTEN_ADDRESSES" -c port="$POSTGRES_PORT" \
  -c unix_socket_directories=/run/postgresql "$@"
