#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `.ci/postgres.sh COMMAND [ARGS...]` starts a fresh
# cluster on 127.0.0.1 at a free port, runs COMMAND with REPCLI_TEST_POSTGRES set to its URL, then
# stops the server and deletes its files (also on Ctrl-C or a failure). Without a command it opens
# a shell ("exit" stops the server).
#
#   .ci/postgres.sh python -m pytest -q tests/test_store_migrate.py
#
# The server binaries come from $PATH or /usr/lib/postgresql/*/bin (Debian's postgresql package).
# If there are none, root installs them (apt-get); anyone else gets the reason the PostgreSQL tests
# will be skipped, and COMMAND runs without the variable. initdb refuses to run as root, so as
# root the cluster belongs to `nobody` (set PG_THROWAWAY_USER for another user).
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
  if command -v initdb > /dev/null 2>&1 && command -v pg_ctl > /dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1 || true)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then
    echo "$newest"
    return 0
  fi
  return 1
}

run_without() {
  say "$1; the PostgreSQL tests will be skipped"
  if [ "$#" -gt 1 ]; then
    shift
    exec "$@"
  fi
  exit 0
}

bin=$(find_bin || true)
if [ -z "$bin" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null 2>&1; then
    say "no PostgreSQL server binaries: installing Debian's postgresql package"
    # The package's own cluster is not used (and not started: there is no init system here).
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql > /dev/null
    bin=$(find_bin || true)
  fi
  if [ -z "$bin" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      run_without "no PostgreSQL server binaries (initdb), and only root may install them (apt-get install postgresql)" "$@"
    fi
    run_without "no PostgreSQL server binaries (initdb), and installing them failed" "$@"
  fi
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  owner=${PG_THROWAWAY_USER:-nobody}
  if command -v runuser > /dev/null 2>&1; then
    as_owner=(runuser -u "$owner" --)
  else
    as_owner=(setpriv --reuid="$owner" --regid="$(id -g "$owner")" --clear-groups --)
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/repcli-pg.XXXXXX")
data="$work/data"
log="$work/server.log"
password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$password" > "$work/pwfile"
if [ "${#as_owner[@]}" -gt 0 ]; then
  chown -R "$owner" "$work"
fi
chmod 700 "$work"
# The free port: the kernel's pick for a socket bound to port 0 (free for the next moment).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  if [ -f "$data/postmaster.pid" ]; then
    (cd "$work" && "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -m immediate -w stop > /dev/null 2>&1) || true
  fi
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

cd "$work"
"${as_owner[@]}" "$bin/initdb" -D "$data" -U repcli --pwfile="$work/pwfile" \
  --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 > "$work/initdb.log" 2>&1 || {
  cat "$work/initdb.log" >&2
  say "initdb failed"
  exit 1
}
rm -f "$work/pwfile"
# Loopback TCP only; its own socket folder; no durability (a throwaway: speed over safety).
opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$work"
opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
"${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$log" -o "$opts" -w -t 60 start > /dev/null || {
  cat "$log" >&2
  say "the server did not start"
  exit 1
}
cd - > /dev/null

export REPCLI_TEST_POSTGRES="postgresql://repcli:$password@127.0.0.1:$port/postgres"
say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (user repcli, data in $data); stopped when the command ends"
if [ "$#" -eq 0 ]; then
  "${SHELL:-bash}" -i || true
else
  # In the foreground, as the command would run alone: a command a non-interactive shell puts
  # in the background inherits SIGINT ignored, and tests that press Ctrl-C then hang
  # (tests/test_ci_scripts.py). Ctrl-C reaches the command and this script alike; the server
  # is stopped (trap EXIT, reached through the INT/TERM trap above) once the command has
  # ended. A trapped signal is reset to its default in the command; only an ignored one is
  # inherited.
  set +e
  "$@"
  rc=$?
  set -e
  exit "$rc"
fi
