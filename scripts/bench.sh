#!/usr/bin/env bash
# Benchmark: a synthetic batch against the stand-in server with a fixed answer
# latency. Reports wall time, efficiency against the ideal for the in-flight
# limit, client CPU, peak RSS, and the warm (all cached) re-run; then, from
# the stand-in's timing log, where the cold run's wall time went
# (scripts/bench_timing.py).
#
#   bash scripts/bench.sh [COPIES] [LATENCY_MS] [IN_FLIGHT]
#
# COPIES copies of each sample article are made, each with a unique first
# paragraph so every request has its own cache key. LINGOPIPE_BIN=path runs
# another build of lingopipe (A/B comparisons in one session).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
copies=${1:-100}
latency=${2:-200}
in_flight=${3:-64}
bash scripts/build.sh >/dev/null
bin=${LINGOPIPE_BIN:-build/src/lingopipe}
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'kill "$standin" 2>/dev/null || true; rm -rf "$work"' EXIT
bench_config -e "s/max_in_flight: 16 /max_in_flight: $in_flight /" >"$work/config.yaml"
make_batch "$work" "$copies"
start_standin "$work" --compress no --latency-ms "$latency" --threads 512 --timing-log "$work/timing.log" \
  ${BENCH_LOG:+--log "$BENCH_LOG"}
export LINGOPIPE_BASE_URL="$standin_url/v1" LINGOPIPE_MODEL=bench

measure() { # label, then the command
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || true
  read -r wall user sys rss <"$work/time"
  local summary
  summary=$(grep '^lingopipe:' "$work/err" | tail -n1)
  echo "$label: wall ${wall}s, cpu $(echo "$user + $sys" | bc)s (user ${user}s, sys ${sys}s), peak RSS $((rss / 1024)) MB"
  echo "  $summary"
}

requests=$("$bin" -c "$work/config.yaml" run --dry-run | sed -n 's/.* \([0-9]*\) to send/\1/p')
ideal=$(echo "scale=2; $(( (requests + in_flight - 1) / in_flight )) * $latency / 1000" | bc)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "batch: $((copies * 2)) articles, $requests requests, latency ${latency} ms, in flight $in_flight"
echo "ideal (ceil(requests / in flight) x latency): ${ideal}s"
launched=$(date +%s%6N)
measure cold "$bin" -c "$work/config.yaml" run
ended=$(date +%s%6N)
# The stand-in's own CPU (utime + stime from /proc, in clock ticks): it must not be the bottleneck.
ticks=$(awk '{print $14 + $15}' "/proc/$standin/stat")
echo "  stand-in CPU: $(echo "scale=2; $ticks / $(getconf CLK_TCK)" | bc) s, $(echo "scale=1; $ticks * 1000000 / $(getconf CLK_TCK) / $requests" | bc) us per request"
measure warm "$bin" -c "$work/config.yaml" run
# Where the cold run's wall time went, from the stand-in's timing log (written as it stops).
kill "$standin"; wait "$standin" 2>/dev/null || true
echo "cold run, per request (stand-in's log):"
python3 scripts/bench_timing.py "$work/timing.log" "$latency" "$in_flight" "$launched" "$ended"
