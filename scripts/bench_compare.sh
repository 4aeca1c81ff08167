#!/usr/bin/env bash
# Benchmark, side by side in one run: lingopipe against what a user would
# otherwise write (scripts/bench_node/client.mjs: the official openai npm
# client with p-limit), sending the same requests to the stand-in server with
# the same latency and concurrency. The requests are those lingopipe plans for
# the synthetic batch, captured once from the stand-in's log beforehand.
# Third, curl's own command-line tool (--parallel, on the libcurl lingopipe
# uses) sends the same bodies, and fourth, lingopipe's own transport alone
# (lingopipe-transport-bench: the curl multi loop over epoll a run uses, with
# no preparation, cache, checks or export): yardsticks for the client CPU per
# request, the second one the floor under lingopipe's.
#
#   bash scripts/bench_compare.sh [COPIES] [LATENCY_MS] [IN_FLIGHT]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
copies=${1:-385}
latency=${2:-200}
in_flight=${3:-64}
bash scripts/build.sh >/dev/null
command -v curl >/dev/null || { echo "bench_compare: needs curl (apt-get install curl)" >&2; exit 2; }
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
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/$label.out" 2>"$work/$label.err"
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

kill "$standin"; wait "$standin" 2>/dev/null || true; rm -f "$work/port"

# 4. curl --parallel, same bodies, fresh stand-in: one config entry per request.
start_standin "$work" --compress no --latency-ms "$latency" --threads 512
python3 - "$work/requests.jsonl" >"$work/bodies.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    print(json.dumps({"model": r["model"], "messages": r["messages"],
                      "max_tokens": r.get("max_tokens"), "temperature": 0.2}))
PY
python3 - "$work/bodies.jsonl" "$standin_url/v1/chat/completions" >"$work/curl.cfg" <<'PY'
import json, sys
for i, body in enumerate(open(sys.argv[1], encoding="utf-8")):
    if i:
        print("next")
    print(f'url = "{sys.argv[2]}"\noutput = "/dev/null"\nfail')
    print('header = "Content-Type: application/json"\nheader = "Authorization: Bearer unused"')
    print("data = " + json.dumps(body.rstrip("\n")))
PY
cu=$(measure curl curl --parallel --parallel-immediate --parallel-max "$in_flight" --no-progress-meter -K "$work/curl.cfg")
if [ -s "$work/curl.err" ]; then echo "bench_compare: curl failed:" >&2; head -n 3 "$work/curl.err" >&2; exit 1; fi
kill "$standin"; wait "$standin" 2>/dev/null || true; rm -f "$work/port"

# 5. lingopipe's transport alone, same bodies, fresh stand-in.
start_standin "$work" --compress no --latency-ms "$latency" --threads 512
tr=$(measure transport build/tests/support/lingopipe-transport-bench "$work/bodies.jsonl" \
  "$standin_url/v1/chat/completions" "$in_flight") ||
  { echo "bench_compare: the transport bench failed:" >&2; cat "$work/transport.err" >&2; exit 1; }

python3 - "$lp" "$nd" "$cu" "$tr" "$requests" "$in_flight" "$latency" <<'PY'
import math, sys
lp, nd, cu, tr = ([float(x) for x in a.split()] for a in sys.argv[1:5])
n, c, l = int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]) / 1000
ideal = math.ceil(n / c) * l
print(f"{n} requests, latency {l*1000:.0f} ms, in flight {c}, ideal {ideal:.2f} s")
for name, (wall, cpu, rss) in (("lingopipe", lp), ("node openai+p-limit", nd),
                               ("curl --parallel", cu), ("lingopipe transport", tr)):
    print(f"{name:20s} wall {wall:6.2f} s  efficiency {ideal/wall:.3f}  CPU {cpu:5.2f} s "
          f"({1000*cpu/n:.3f} s/1000 req)  peak RSS {rss:.0f} MB")
print(f"ratios node/lingopipe: wall {nd[0]/lp[0]:.2f}x, CPU {nd[1]/lp[1]:.2f}x, RSS {nd[2]/lp[2]:.2f}x")
print(f"ratios curl/lingopipe: wall {cu[0]/lp[0]:.2f}x, CPU {cu[1]/lp[1]:.2f}x, RSS {cu[2]/lp[2]:.2f}x")
print(f"lingopipe's transport alone: {tr[1]/lp[1]:.0%} of lingopipe's CPU")
PY
echo "lingopipe transport, its send loop alone: $(cat "$work/transport.out")"
