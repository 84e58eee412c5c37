#!/bin/sh
# Install the load generators of bench/api.py (Debian packages); idempotent.
# wrk drives the HTTP side; pgbench (shipped with PostgreSQL, see setup-postgis.sh) the raw
# PostGIS side. Skips apt when both are present; without root or apt it says what to install.
set -eu
here=$(dirname "$0")
have_wrk() { command -v wrk >/dev/null 2>&1; }
have_pgbench() { ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || command -v pgbench >/dev/null 2>&1; }
if ! have_pgbench; then
    "$here/setup-postgis.sh"
fi
if have_wrk && have_pgbench; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-bench-tools: need root and apt to install: apt-get install wrk postgresql" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wrk >/dev/null
have_wrk && have_pgbench || { echo "setup-bench-tools: wrk or pgbench still missing" >&2; exit 1; }
