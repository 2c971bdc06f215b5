#!/usr/bin/env bash
# Installs the front-end libraries from the npm registry (package.json +
# package-lock.json) and copies the files the binary embeds into
# internal/web/static/vendor/. Nothing it produces is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_install=1
if [ -d node_modules ] && [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  need_install=0
fi
if [ "$need_install" = 1 ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "assets: npm is missing; installing Debian's nodejs and npm" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  npm ci --no-audit --no-fund --loglevel=error
fi

dst=internal/web/static/vendor
rm -rf "$dst"
mkdir -p "$dst/leaflet/images"
cp node_modules/htmx.org/dist/htmx.min.js "$dst/htmx.min.js"
cp node_modules/echarts/dist/echarts.min.js "$dst/echarts.min.js"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$dst/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$dst/leaflet/images/"
