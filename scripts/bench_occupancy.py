#!/usr/bin/env python3
"""Where a benchmark run lost time against a full window, from the stand-in's log.

    BENCH_LOG=/tmp/standin.jsonl bash scripts/bench.sh 385 200 256
    python3 scripts/bench_occupancy.py /tmp/standin.jsonl 200 256

The stand-in logs when each request arrived (ms since it started) and answers
LATENCY ms later, so the requests in flight at every millisecond are known.
Printed: the span from the first arrival to the last answer, and the loss in
ms of a full window in three parts: the first 500 ms (the lone first request
and the window's opening), the middle, and the last 600 ms (the tail, where
article summaries wait for their sections). Log entries past the first N
(default: all) are ignored, so a warm re-run's nothing-sent adds nothing.
"""
import json
import sys

path, latency, window = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
arrivals = [json.loads(line)["ms"] for line in open(path)][:limit]
start = min(arrivals)
end = max(arrivals) + latency
in_flight = [0] * (end - start + 1)
for ms in arrivals:
    for t in range(ms - start, ms - start + latency):
        in_flight[t] += 1


def loss(a, b):
    return round(sum(max(0, window - n) for n in in_flight[a:b]) / window)


n = len(in_flight)
print(f"requests {len(arrivals)}, span {n} ms (first arrival to last answer)")
print(f"lost, in ms of a full window: first 500 ms {loss(0, 500)}, "
      f"middle {loss(500, n - 600)}, last 600 ms {loss(n - 600, n)}")
