#!/usr/bin/env python3
"""The decision pipeline end to end: view events sent over HTTP at fixed
rates, each timed from its request to the notification that answers it on a
live (SSE) connection, next to the ingest-only cost measured in the same run.

Usage: bench/pipeline_bench.py [--seconds S] [--rates 5000,20000]
                               [--promotions 20,1000] [--repeat R]

Setup (cached under --work): `promorec generate` writes 60,000 click rows
over 1,000 offers, `promorec train` fits a model on them, and the catalogue
of each run is the N most frequent offers of the training file, so every
promotion is one the model knows (every candidate costs a dot product).

For each catalogue size and rate, a fresh `promorec serve` (sharing the
machine with this script, or on one core of its own with --pin-server) gets view events from distinct shoppers in
batches every 5 ms (one request each); an admin SSE connection receives every
notification. Reported per run: events/s achieved, the request's own
latency (send to acknowledgement, which waits for the fsync: ack p50/p99),
latency percentiles
(p50/p99/p999) from the moment the request was sent (so they include the
durable append and its fsync) to the notification's arrival, the latency of
the last 10% of the events (a lag that grows shows up there), how long the
notifications took to drain after the sender stopped, how long until every
event had its decision logged (the pipeline's lag, read from /metrics, which
does not depend on this script keeping up with the SSE stream), and the
server's CPU time per event. The baseline in the same run is the same load with
decisions off (`--qualifying buy`: views are stored and folded into
profiles, nothing is decided): its CPU per event is the ingest cost, and
the difference is what deciding and emitting cost. The servers' logs (each
snapshot's timings among them) are appended to WORK/serve.log.
"""
import argparse
import collections
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROMOREC = ROOT / "build" / "promorec"
LOAD = ROOT / "build" / "bench" / "pipeline_load"
ADMIN = "bench-admin-token-0123456789"


def setup(work):
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "model" / "model.bin").exists():
        subprocess.run([PROMOREC, "generate", "--rows", "60000", "--users", "5000", "--offers",
                        "1000", "--format", "click", "--out", work / "gen"], check=True,
                       capture_output=True)
        subprocess.run([PROMOREC, "train", "--train", work / "gen" / "train.csv", "--format",
                        "click", "--epochs", "3", "--out", work / "model"], check=True,
                       capture_output=True)
    counts = collections.Counter()
    products = collections.Counter()
    with open(work / "gen" / "train.csv") as f:
        for line in f:
            fields = line.rstrip("\n").split(",")
            counts[fields[1]] += 1
            products[(fields[3], fields[4])] += 1
    return [o for o, _ in counts.most_common()], [p for p, _ in products.most_common(50)]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, work, offers, qualifying, pin_core):
        self.dir = tempfile.TemporaryDirectory(dir=work)
        data = pathlib.Path(self.dir.name)
        promotions = [{"id": o, "text": f"Deal {i}", "code": f"C{i}"}
                      for i, o in enumerate(offers)]
        (data / "promotions.json").write_text(json.dumps({"promotions": promotions}))
        pin = ["taskset", "-c", str(pin_core)] if pin_core is not None else []
        self.process = subprocess.Popen(
            pin + [PROMOREC, "serve", "--port", "0",
             "--data-dir", data, "--model", work / "model", "--admin-token", ADMIN,
             "--qualifying", qualifying, "--threads", "1"],
            stdout=subprocess.PIPE, stderr=open(work / "serve.log", "a"), text=True)
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.process.kill()
            sys.exit(f"serve did not start: {line} (see {work / 'serve.log'})")
        self.port = int(line.split()[4].rsplit(":", 1)[1])

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        self.dir.cleanup()


def decisions_logged(port):
    """promorec_decisions_total{outcome="logged"} from /metrics."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(1 << 16):
            data += chunk
    for line in data.decode().splitlines():
        if line.startswith('promorec_decisions_total{outcome="logged"}'):
            return int(float(line.split()[-1]))
    return 0


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run(work, offers, products, rate, seconds, qualifying, tag, pin_core):
    server = Server(work, offers, qualifying, pin_core)
    try:
        cpu0 = cpu_seconds(server.process.pid)
        load = subprocess.Popen(
            [LOAD, "--port", str(server.port), "--admin-token", ADMIN, "--rate", str(rate),
             "--seconds", str(seconds), "--products", str(work / "products.csv"), "--tag", tag,
             "--drain-s", "10" if qualifying == "view" else "0"],
            stdout=subprocess.PIPE, text=True)
        line = load.stdout.readline()
        if not line.startswith("sent "):
            sys.exit(f"pipeline_load failed: {line}")
        sent = int(line.split()[1])
        stop_sending = time.monotonic()
        logged_lag = 0.0
        if qualifying == "view":
            # The pipeline's own lag: how long after the last request every
            # event had its decision logged (independent of the SSE client).
            deadline = stop_sending + 60
            while decisions_logged(server.port) < sent and time.monotonic() < deadline:
                time.sleep(0.01)
            logged_lag = time.monotonic() - stop_sending
        result = json.loads(load.stdout.readline())
        load.wait()
        time.sleep(0.2)
        cpu = cpu_seconds(server.process.pid) - cpu0
        result["logged_lag_ms"] = logged_lag * 1000
        result["cpu_us_per_event"] = cpu / sent * 1e6
        return result
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rates", default="5000,20000")
    parser.add_argument("--promotions", default="20,1000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pin-server", type=int, default=None, metavar="CORE",
                        help="run the server on this core only and the load on the others "
                             "(default: both share the machine)")
    parser.add_argument("--work", default=str(pathlib.Path(tempfile.gettempdir()) /
                                              "promorec-pipeline-bench"))
    args = parser.parse_args()
    if args.pin_server is not None:
        os.sched_setaffinity(0, set(range(os.cpu_count())) - {args.pin_server})
    offers, products = setup(pathlib.Path(args.work))
    (pathlib.Path(args.work) / "products.csv").write_text(
        "".join(f"{category},{product}\n" for category, product in products))
    print(f"{'promotions':>10} {'rate':>6} {'mode':>9} {'events/s':>9} {'ack p50':>7} "
          f"{'ack p99':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'p999 ms':>8} {'tail p99':>8} {'drain ms':>8} {'lag ms':>7} "
          f"{'cpu us/ev':>9}")
    for count in (int(c) for c in args.promotions.split(",")):
        for rate in (int(r) for r in args.rates.split(",")):
            results = {"ingest": [], "decide": []}
            for r in range(args.repeat):
                for mode, qualifying in (("ingest", "buy"), ("decide", "view")):
                    results[mode].append(run(pathlib.Path(args.work), offers[:count], products,
                                             rate, args.seconds, qualifying,
                                             f"{mode}{count}-{rate}-{r}", args.pin_server))
            for mode in ("ingest", "decide"):
                med = {k: statistics.median(x[k] for x in results[mode])
                       for k in results[mode][0]}
                lat = mode == "decide"
                print(f"{count:>10} {rate:>6} {mode:>9} {med['events_per_s']:>9.0f} "
                      f"{med['ack_p50_ms']:>7.2f} {med['ack_p99_ms']:>7.2f} "
                      + (f"{med['p50_ms']:>7.2f} {med['p99_ms']:>7.2f} {med['p999_ms']:>8.2f} "
                         f"{med['last10_p99_ms']:>8.2f} {med['drain_ms']:>8.1f} "
                         f"{med['logged_lag_ms']:>7.1f} " if lat else
                         f"{'-':>7} {'-':>7} {'-':>8} {'-':>8} {'-':>8} {'-':>7} ")
                      + f"{med['cpu_us_per_event']:>9.1f}")
                if lat:
                    missing = [x["events"] - x["notified"] for x in results[mode]]
                    if any(missing):
                        print(f"{'':>10} notifications missing per run: {missing}")
            ingest = statistics.median(x["cpu_us_per_event"] for x in results["ingest"])
            decide = statistics.median(x["cpu_us_per_event"] for x in results["decide"])
            print(f"{'':>10} CPU per event, decide / ingest only: {decide / ingest:.2f}x "
                  f"(deciding and emitting: {decide - ingest:.1f} us of {decide:.1f} us)")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
