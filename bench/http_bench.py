#!/usr/bin/env python3
"""promorec's HTTP server against a raw epoll loop, measured in the same run.

Usage: bench/http_bench.py [--seconds S] [--connections C] [--repeat R] [--baseline BINARY]

The server under test is pinned to core 0 and wrk to core 1 (loopback).
Two loads, each against promorec and against bench/raw_epoll_server (the
speed-of-light reference: same keep-alive HTTP, no work):
  - GET /v1/recommendations?user=...&k=5 with the 20 demo promotions and a
    trained model;
  - POST /v1/events with NDJSON batches of 100 events, each batch durable in
    the event log (fsync group commit) before its answer.
Prints requests/s, p50/p99 latency (medians of R runs) and the ratio to the
reference. With --baseline, another promorec binary (say, one built from an
earlier commit) serves the same loads in the same run, the two taking turns
round by round, and the ratio of this build to it is printed too. Needs wrk
and taskset (scripts/setup installs wrk).
"""
import argparse
import json
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROMOREC = ROOT / "build" / "promorec"
RAW = ROOT / "build" / "bench" / "raw_epoll_server"


def start(argv, marker):
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if marker not in line:
        process.kill()
        sys.exit(f"{argv[0]} did not start: {line}{process.stderr.read()}")
    return process, line


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url, seconds, connections, script=None):
    argv = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        argv += ["-s", str(script)]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"wrk saw {errors.group(1)} error responses from {url}")
    return rps, p50, p99


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="another promorec binary to measure in the same run")
    args = parser.parse_args()
    for tool in (PROMOREC, RAW):
        if not tool.exists():
            sys.exit(f"missing {tool}: build the release preset first")
    work = pathlib.Path(tempfile.mkdtemp(prefix="promorec-http-bench-"))
    subprocess.run([str(PROMOREC), "generate", "--rows", "50000", "--users", "5000", "--offers",
                    "500", "--seed", "1", "--format", "kasandr", "--out", str(work / "gen"),
                    "--no-progress"], check=True, capture_output=True)
    subprocess.run([str(PROMOREC), "train", "--format", "kasandr", "--train",
                    str(work / "gen" / "train.csv"), "--epochs", "3", "--out",
                    str(work / "model")], check=True, capture_output=True)
    events = "".join(json.dumps({"userid": f"user{i % 37}", "offerid": f"offer{i % 20}",
                                 "countrycode": "de", "category": "100020213",
                                 "merchant": "m1", "rating": i % 2,
                                 "utcdate": 1518318207.0 + i}) + "\n" for i in range(100))
    post = work / "post.lua"
    post.write_text('wrk.method = "POST"\n'
                    'wrk.headers["Content-Type"] = "application/x-ndjson"\n'
                    f"wrk.body = {json.dumps(events)}\n")
    loads = [("GET /v1/recommendations (20 promotions)",
              "/v1/recommendations?user=user7&k=5&country=de", None, 1),
             ("POST /v1/events (NDJSON, 100 per request)", "/v1/events", post, 100)]
    servers = [("raw epoll", ["taskset", "-c", "0", str(RAW), "18090"], "listening", "18090")]
    binaries = [("promorec", PROMOREC)]
    if args.baseline:
        binaries.append(("baseline", pathlib.Path(args.baseline).resolve()))
    for name, binary in binaries:
        servers.append((name, ["taskset", "-c", "0", str(binary), "serve", "--port", "18091",
                               "--model", str(work / "model"), "--data-dir",
                               str(work / ("data-" + name))], "listening on", "18091"))
    runs = {}
    # Round by round, every server in turn, so that a noisy moment of the
    # shared machine falls on all of them alike.
    for _ in range(args.repeat):
        for name, argv, marker, port in servers:
            process, _ = start(argv, marker)
            try:
                for load, path, script, per_request in loads:
                    rps, p50, p99 = wrk(f"http://127.0.0.1:{port}{path}", args.seconds,
                                        args.connections, script)
                    runs.setdefault((name, load), []).append((rps * per_request, p50, p99))
            finally:
                process.terminate()
                process.wait(timeout=30)
    results = {key: (statistics.median(r[0] for r in value),
                     statistics.median(r[1] for r in value),
                     statistics.median(r[2] for r in value)) for key, value in runs.items()}
    print(f"{args.connections} connections, {args.seconds} s x {args.repeat} runs (medians); "
          "server on core 0, wrk on core 1")
    print(f"{'load':44} {'server':10} {'per second':>12} {'p50 ms':>8} {'p99 ms':>8}")
    for load, _, _, per_request in loads:
        unit = "events" if per_request > 1 else "requests"
        for name, _, _, _ in servers:
            rate, p50, p99 = results[(name, load)]
            print(f"{load:44} {name:10} {rate:12.0f} {p50:8.3f} {p99:8.3f}")
        ratio = results[("promorec", load)][0] / results[("raw epoll", load)][0]
        print(f"{'':44} promorec / raw epoll {unit}: x{ratio:.2f}")
        if args.baseline:
            ratio = results[("promorec", load)][0] / results[("baseline", load)][0]
            print(f"{'':44} promorec / baseline {unit}: x{ratio:.2f}")


if __name__ == "__main__":
    main()
