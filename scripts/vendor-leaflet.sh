#!/usr/bin/env bash
# Refresh the vendored map assets in maps/static/vendor/ from the npm registry:
# Leaflet, Leaflet.heat and the Natural Earth outline of Russia (npm world-atlas).
# Only the built dist files and the licences are kept (no node_modules).
# Usage: scripts/vendor-leaflet.sh   (needs npm and the project's .venv python)
set -euo pipefail

LEAFLET_VERSION="${LEAFLET_VERSION:-1.9.4}"
HEAT_VERSION="${HEAT_VERSION:-0.2.0}"
ATLAS_VERSION="${ATLAS_VERSION:-2.0.2}"

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/maps/static/vendor"
py="${PYTHON:-$root/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "leaflet@$LEAFLET_VERSION" "leaflet.heat@$HEAT_VERSION" \
    "world-atlas@$ATLAS_VERSION" >/dev/null
for pkg in leaflet leaflet.heat world-atlas; do
    mkdir -p "$pkg"
    tar xzf "$pkg"-*.tgz -C "$pkg" --strip-components=1
done

rm -rf "$vendor/leaflet" "$vendor/leaflet.heat" "$vendor/world-atlas"
mkdir -p "$vendor/leaflet/images" "$vendor/leaflet.heat" "$vendor/world-atlas"
cp leaflet/dist/leaflet.js leaflet/dist/leaflet.css leaflet/LICENSE "$vendor/leaflet/"
cp leaflet/dist/images/*.png "$vendor/leaflet/images/"
cp leaflet.heat/dist/leaflet-heat.js leaflet.heat/LICENSE "$vendor/leaflet.heat/"
cp world-atlas/LICENSE "$vendor/world-atlas/"
"$py" "$root/scripts/build_outline.py" world-atlas/countries-50m.json \
    world-atlas/countries-110m.json "$vendor/world-atlas/outline.geojson"
printf 'leaflet %s\nleaflet.heat %s\nworld-atlas %s (Natural Earth, public domain)\n' \
    "$LEAFLET_VERSION" "$HEAT_VERSION" "$ATLAS_VERSION" >"$vendor/VERSIONS"
echo "vendored into $vendor:"
du -sh "$vendor"/*
