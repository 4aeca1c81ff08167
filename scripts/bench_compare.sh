#!/usr/bin/env bash
# Benchmark, side by side in one run: lingopipe against what a user would
# otherwise write (scripts/bench_node/client.mjs: the official openai npm
# client with p-limit), sending the same requests to the stand-in server with
# the same latency and concurrency. The requests are those lingopipe plans for
# the synthetic batch, captured once from the stand-in's log beforehand.
#
#   bash scripts/bench_compare.sh [COPIES] [LATENCY_MS] [IN_FLIGHT]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
copies=${1:-385}
latency=${2:-200}
in_flight=${3:-64}
bash scripts/build.sh >/dev/null
(cd scripts/bench_node && npm install --silent --no-audit --no-fund >/dev/null)

work=$(mktemp -d)
trap 'kill "$standin" 2>/dev/null || true; rm -rf "$work"' EXIT
bench_config -e "s/max_in_flight: 16 /max_in_flight: $in_flight /" >"$work/config.yaml"
make_batch "$work" "$copies"
export LINGOPIPE_MODEL=bench-compare

# 1. Capture the requests (not measured): a run with a throwaway cache.
start_standin "$work" --compress no --threads 512 --log "$work/requests.jsonl"
LINGOPIPE_BASE_URL="$standin_url/v1" build/src/lingopipe -c "$work/config.yaml" run -q || true
kill "$standin"; wait "$standin" 2>/dev/null || true
rm -rf "$work/.lingopipe" "$work/out" "$work/port"
requests=$(wc -l <"$work/requests.jsonl")

measure() { # label, then the command; prints "wall cpu rss_mb"
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/$label.err"
  read -r wall user sys rss <"$work/time"
  echo "$wall $(echo "$user + $sys" | bc) $((rss / 1024))"
}

# 2. lingopipe, cold cache, fresh stand-in.
start_standin "$work" --compress no --latency-ms "$latency" --threads 512
lp=$(LINGOPIPE_BASE_URL="$standin_url/v1" measure lingopipe build/src/lingopipe -c "$work/config.yaml" run)
kill "$standin"; wait "$standin" 2>/dev/null || true; rm -f "$work/port"

# 3. The Node client, same requests, fresh stand-in.
start_standin "$work" --compress no --latency-ms "$latency" --threads 512
nd=$(LINGOPIPE_BASE_URL="$standin_url/v1" measure node node scripts/bench_node/client.mjs \
  "$work/requests.jsonl" "$in_flight" "$work/node-answers.json")

python3 - "$lp" "$nd" "$requests" "$in_flight" "$latency" <<'PY'
import math, sys
lp = [float(x) for x in sys.argv[1].split()]; nd = [float(x) for x in sys.argv[2].split()]
n, c, l = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]) / 1000
ideal = math.ceil(n / c) * l
print(f"{n} requests, latency {l*1000:.0f} ms, in flight {c}, ideal {ideal:.2f} s")
for name, (wall, cpu, rss) in (("lingopipe", lp), ("node openai+p-limit", nd)):
    print(f"{name:20s} wall {wall:6.2f} s  efficiency {ideal/wall:.3f}  CPU {cpu:5.2f} s "
          f"({1000*cpu/n:.3f} s/1000 req)  peak RSS {rss:.0f} MB")
print(f"ratios node/lingopipe: wall {nd[0]/lp[0]:.2f}x, CPU {nd[1]/lp[1]:.2f}x, RSS {nd[2]/lp[2]:.2f}x")
PY
