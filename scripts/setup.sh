#!/usr/bin/env bash
# Installs every Debian package lingopipe's build needs; with --tests also
# what only the tests use (headless Chromium for the HTML digest, Python's
# jsonschema for the export schema, nghttpx as an HTTP/2 server). Idempotent and non-interactive; a no-op
# (well under a second) when all is installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcurl4-openssl-dev nlohmann-json3-dev libspdlog-dev libgtest-dev
  libyaml-cpp-dev libsqlite3-dev libcli11-dev libssl-dev libpcre2-dev
  libutf8proc-dev libcpp-httplib-dev libcsv-dev libkainjow-mustache-dev
  libgumbo-dev libcld2-dev
  sqlite3 python3
)
if [ "${1:-}" = "--tests" ]; then
  packages+=(chromium fonts-dejavu-core python3-jsonschema nghttp2-proxy openssl)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
