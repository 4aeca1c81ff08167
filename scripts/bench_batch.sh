#!/usr/bin/env bash
# Benchmark: the same synthetic batch as scripts/bench.sh, sent through the
# stand-in's OpenAI Batch API (endpoint.batch: true) instead of live
# requests. Reports wall time, client CPU and peak RSS of the run that
# uploads, creates, polls and collects every batch: a batch holds all of its
# requests at once, so memory grows with the batch here, unlike the live path.
#
#   bash scripts/bench_batch.sh [COPIES]
#
# LINGOPIPE_BIN=path runs another build of lingopipe (A/B comparisons);
# BATCH_MAX_WAITING=N sets endpoint.batch_max_waiting_articles (default 2000).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
copies=${1:-100}
bash scripts/build.sh >/dev/null
bin=$(realpath "${LINGOPIPE_BIN:-build/src/lingopipe}")
command -v /usr/bin/time >/dev/null || { echo "bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

work=$(mktemp -d)
trap 'kill "$standin" 2>/dev/null || true; rm -rf "$work"' EXIT
bench_config -e "s/# batch: false/batch: true\n  batch_poll_s: 0.2\n  batch_max_waiting_articles: ${BATCH_MAX_WAITING:-2000}/" \
  >"$work/config.yaml"
make_batch "$work" "$copies"
start_standin "$work" --compress no
export LINGOPIPE_BASE_URL="$standin_url/v1" LINGOPIPE_MODEL=bench OPENAI_API_KEY=sk-bench
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" -c "$work/config.yaml" run >/dev/null 2>"$work/err" || true
read -r wall user sys rss <"$work/time"
echo "batch API run: wall ${wall}s, cpu $(echo "$user + $sys" | bc)s, peak RSS $((rss / 1024)) MB"
grep '^lingopipe:' "$work/err" | tail -n1
