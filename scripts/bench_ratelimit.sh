#!/usr/bin/env bash
# Benchmark: a batch against the stand-in server enforcing provider-style
# requests-per-minute and tokens-per-minute limits (429 with retry-after and
# x-ratelimit-* headers when exceeded). lingopipe is configured with the same
# limits. Reports achieved tokens per minute against the limit, and the share
# of requests answered 429.
#
#   bash scripts/bench_ratelimit.sh [COPIES] [TPM] [RPM] [LATENCY_MS] [CLIENT_LIMITS]
#
# CLIENT_LIMITS=no leaves lingopipe's own limits at 0, so it paces only by the
# server's x-ratelimit-* headers and its answers to 429.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
copies=${1:-30}
tpm=${2:-200000}
rpm=${3:-3000}
latency=${4:-200}
client_limits=${5:-yes}
bash scripts/build.sh >/dev/null

work=$(mktemp -d)
trap 'kill "$standin" 2>/dev/null || true; rm -rf "$work"' EXIT
client_rpm=$rpm client_tpm=$tpm
[ "$client_limits" = "no" ] && client_rpm=0 client_tpm=0
bench_config -e "s/max_in_flight: 16 /max_in_flight: 64 /" \
    -e "s/requests_per_minute: 0 /requests_per_minute: $client_rpm /" \
    -e "s/tokens_per_minute: 0 /tokens_per_minute: $client_tpm /" >"$work/config.yaml"
make_batch "$work" "$copies"
start_standin "$work" --compress no --latency-ms "$latency" --rpm "$rpm" --tpm "$tpm" --threads 256
base=$standin_url
export LINGOPIPE_BASE_URL="$base/v1" LINGOPIPE_MODEL=bench-ratelimit

start=$(date +%s.%N)
build/src/lingopipe -c "$work/config.yaml" run 2>"$work/err" >/dev/null || true
wall=$(echo "$(date +%s.%N) - $start" | bc)
stats=$(curl -s "$base/_stats")
report="$work/out/run-report.json"
python3 - "$report" "$stats" "$wall" "$tpm" "$rpm" "$copies" "$latency" "$client_limits" <<'PY'
import json, sys
report = json.load(open(sys.argv[1])); stats = json.loads(sys.argv[2])
wall, tpm, rpm = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
tokens = report["tokens"]["in"] + report["tokens"]["out"]
achieved = tokens / (wall / 60)
print(f"batch: {2*int(sys.argv[6])} articles, limits {tpm:.0f} TPM / {rpm:.0f} RPM, latency {sys.argv[7]} ms, client limits: {sys.argv[8]}")
allowed = tpm + tpm * wall / 60  # the server's bucket starts full, then refills
print(f"wall {wall:.1f} s, tokens {tokens}, achieved {achieved:.0f} TPM = {100*achieved/tpm:.1f} % of the limit; "
      f"{100*tokens/allowed:.1f} % of what the server allowed in that time")
print(f"requests {stats['chat_requests']}, answered 429: {stats['throttled']} "
      f"({100*stats['throttled']/max(1,stats['chat_requests']):.2f} %), failed jobs {report['jobs']['failed']}")
PY
