#!/bin/sh
# Install PostgreSQL 15 + PostGIS 3 (Debian packages) for the store tests; idempotent.
# Skips apt when both are present; without root or apt it only reports what is missing.
set -eu
have_pg() { [ -x /usr/lib/postgresql/15/bin/initdb ]; }
have_postgis() { [ -f /usr/share/postgresql/15/extension/postgis.control ]; }
if have_pg && have_postgis; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-postgis: PostgreSQL 15 + PostGIS 3 missing and cannot install (need root and apt);" \
         "the PostGIS tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql postgresql-15-postgis-3 >/dev/null
