#!/usr/bin/env bash
# Set up, build, and run lingopipe on articles/ (or the given paths).
# README command (1).
#
# Without a real endpoint (LINGOPIPE_BASE_URL unset and endpoint.base_url
# empty in config.yaml) it starts the project's stand-in server on a free
# loopback port for this run and stops it afterwards. The stand-in's answers
# are NOT translations: they only exercise the pipeline end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >/dev/null

configured_url=$(sed -n 's/^  base_url: *"\{0,1\}\([^"#]*\)"\{0,1\}.*$/\1/p' config.yaml | head -n1 | tr -d ' ')
if [ -n "${LINGOPIPE_BASE_URL:-}" ] || [ -n "$configured_url" ]; then
  exec build/src/lingopipe run "$@"
fi

state=$(mktemp -d)
build/tests/support/lingopipe-standin --port-file "$state/port" >"$state/log" 2>&1 &
standin=$!
trap 'kill "$standin" 2>/dev/null; rm -rf "$state"' EXIT
for _ in $(seq 100); do [ -s "$state/port" ] && break; sleep 0.05; done
port=$(cat "$state/port")

cat >&2 <<MSG
lingopipe: no endpoint configured, so this run uses the built-in STAND-IN server
           on 127.0.0.1:$port. Its answers are NOT real translations or summaries:
           they echo the German text tagged "[EN stand-in]". To use a real model,
           set LINGOPIPE_BASE_URL (see README.md).
MSG
status=0
LINGOPIPE_BASE_URL="http://127.0.0.1:$port/v1" LINGOPIPE_MODEL=lingopipe-standin \
  build/src/lingopipe run "$@" || status=$?
echo "lingopipe: exports are in out/ (stand-in answers, not real translations)" >&2
exit $status
