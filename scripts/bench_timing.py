#!/usr/bin/env python3
"""Where a benchmark run's wall time goes, from the stand-in's --timing-log.

    python3 scripts/bench_timing.py TIMING_LOG LATENCY_MS IN_FLIGHT LAUNCHED_US ENDED_US

Each log line is "CONNECTION RECEIVED_US ANSWERED_US" (wall clock). LAUNCHED_US
and ENDED_US are when the client was started and when it had exited. Prints
the run's timeline (first request, the probe's round trip, the window filling,
the last answer, the exit) and, per round trip, what the stand-in added beyond
the latency and what the client took between an answer and the next request
on the same connection.
"""
import sys
from collections import defaultdict


def quantile(values, q):
    return values[min(len(values) - 1, int(len(values) * q))]


def main():
    path, latency_ms, in_flight, launched, ended = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4]), int(sys.argv[5])
    requests = []
    for line in open(path, encoding="utf-8"):
        conn, received, answered = line.split()
        requests.append((int(received), int(answered), conn))
    if not requests:
        sys.exit(f"bench_timing: {path} holds no requests")
    requests.sort()
    by_connection = defaultdict(list)
    for received, answered, conn in requests:
        by_connection[conn].append((received, answered))
    beyond = sorted((a - r) / 1000 - latency_ms for r, a, _ in requests)
    turnaround = sorted((nxt[0] - prev[1]) / 1000 for reqs in by_connection.values()
                        for prev, nxt in zip(reqs, reqs[1:]))

    def ms(t):
        return (t - launched) / 1000

    first, second = requests[0], requests[1] if len(requests) > 1 else requests[0]
    window = min(in_flight + 1, len(requests))  # the probe, then a full window
    filled = requests[window - 1][0]
    last_answer = max(a for _, a, _ in requests)
    print(f"  timeline: first request {ms(first[0]):.0f} ms after launch, answered {ms(first[1]):.0f} ms; "
          f"second request {ms(second[0]):.0f} ms; request {window} "
          f"{ms(filled):.0f} ms; last answer {ms(last_answer) / 1000:.2f} s; "
          f"exit {(ended - last_answer) / 1000:.0f} ms after it")
    print(f"  stand-in beyond the {latency_ms:.0f} ms latency: mean {sum(beyond) / len(beyond):.2f} ms, "
          f"p99 {quantile(beyond, 0.99):.2f} ms")
    if turnaround:
        print(f"  client from an answer to the next request on its connection: "
              f"mean {sum(turnaround) / len(turnaround):.2f} ms, p50 {quantile(turnaround, 0.5):.2f}, "
              f"p90 {quantile(turnaround, 0.9):.2f} ms "
              f"({len(requests) / len(by_connection):.1f} requests on each of {len(by_connection)} connections)")


if __name__ == "__main__":
    main()
