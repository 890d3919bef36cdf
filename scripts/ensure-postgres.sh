#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the tests:
# starts the local cluster when it is down, installs PostgreSQL from Debian
# when it is missing. Idempotent. Under CI a server that still does not
# answer fails the run; elsewhere the PostgreSQL tests skip.
set -u
host=127.0.0.1 port=5432
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

ready && exit 0

if ! command -v pg_ctlcluster >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "ensure-postgres: installing PostgreSQL from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq postgresql postgresql-contrib >/dev/null
fi

if command -v pg_ctlcluster >/dev/null 2>&1; then
  for v in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
  done
  for _ in $(seq 1 30); do ready && break; sleep 0.5; done
fi

if ready; then
  # Trust authentication for local TCP connections, and the "test" database.
  if ! psql -h "$host" -p "$port" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      grep -q '^host all all 127.0.0.1/32 trust' "$hba" || sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    done
    for v in $(ls /etc/postgresql); do pg_ctlcluster --skip-systemctl-redirect "$v" main reload 2>/dev/null || true; done
    sleep 1
  fi
  psql -h "$host" -p "$port" -U postgres -d postgres -Atc "select 1 from pg_database where datname='test'" 2>/dev/null | grep -q 1 ||
    psql -h "$host" -p "$port" -U postgres -d postgres -qc 'create database test' 2>/dev/null || true
  exit 0
fi

if [ "${CI:-}" = "true" ]; then
  echo "ensure-postgres: PostgreSQL is required under CI and does not answer on $host:$port" >&2
  exit 1
fi
echo "ensure-postgres: PostgreSQL is not available; its tests will be skipped" >&2
exit 0
