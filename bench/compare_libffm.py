#!/usr/bin/env python3
"""promorec's trainer side by side with libffm on the same generated data.

Usage: bench/compare_libffm.py LIBFFM_DIR [--rows N] [--threads T] [--work DIR] [--tune]
                               [--repeat R]

LIBFFM_DIR holds ffm-train and ffm-predict, built by the user from
github.com/ycjuan/libffm (this script never builds it). Both tools get the
same data from `promorec generate` (fields user, offer, country, category,
merchant, hour; k = 4), the same validation set (the time-ordered last 10 %
of the training rows) for early stopping, and the same threads. The test
set is the generator's time-ordered tail, scored against its true
probabilities (the oracle). Prints test logloss, AUC, wall time and peak
memory of each, and the differences: first with each tool's defaults, then,
with --tune, with each tool's best of nine settings (learning rate and
regularisation) by validation logloss, the test set playing no part in the
choice. With --repeat R each comparison runs R times, alternating the tools,
and the figures are medians (the time ratio is the median of the per-round
ratios).
"""
import argparse
import json
import math
import os
import pathlib
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_measured(argv, cwd, stdout_path):
    """Runs argv in cwd with its output in stdout_path; returns (seconds, peak
    RSS in MiB of that process).

    The peak is the child's own VmHWM from /proc, read every few ms while it
    runs: the high-water mark only grows, so the last reading is the peak.
    (ru_maxrss would also count the memory this script held when it forked.)
    """
    start = time.monotonic()
    with open(stdout_path, "w") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, text=True, cwd=cwd)
    peak_kib = 0
    status = pathlib.Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kib = max(peak_kib, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    seconds = time.monotonic() - start
    if child.returncode != 0:
        sys.exit(f"{argv[0]} failed: {child.stderr.read()}")
    return seconds, peak_kib / 1024


def metrics(probabilities, labels):
    eps = 1e-7
    loss = -sum(math.log(min(max(p, eps), 1 - eps)) if y else math.log(1 - min(max(p, eps), 1 - eps))
                for p, y in zip(probabilities, labels)) / len(labels)
    order = sorted(range(len(labels)), key=lambda i: probabilities[i])
    positives = sum(labels)
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j < len(order) and probabilities[order[j]] == probabilities[order[i]]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum += mean_rank * sum(labels[order[t]] for t in range(i, j))
        i = j
    negatives = len(labels) - positives
    auc = (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
    return loss, auc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("libffm_dir")
    parser.add_argument("--rows", type=int, default=2_500_000, help="train + test rows")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=5_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", default="/tmp/promorec-vs-libffm")
    parser.add_argument("--generate", default="", help="more `promorec generate` options")
    parser.add_argument("--train-options", default="", help="more `promorec train` options")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each comparison this many times and print medians")
    parser.add_argument("--tune", action="store_true",
                        help="also tune each tool over 9 settings by validation logloss")
    args = parser.parse_args()
    promorec = ROOT / "build" / "promorec"
    ffm_train = pathlib.Path(args.libffm_dir) / "ffm-train"
    ffm_predict = pathlib.Path(args.libffm_dir) / "ffm-predict"
    for tool in (promorec, ffm_train, ffm_predict):
        if not tool.exists():
            sys.exit(f"missing {tool}")
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(promorec), "generate", "--rows", str(args.rows), "--users", str(args.users),
                    "--offers", str(args.offers), "--seed", str(args.seed), "--format", "libffm",
                    "--test-fraction", "0.2", "--out", str(work / "data"), "--no-progress"]
                   + args.generate.split(),
                   check=True, stdout=subprocess.DEVNULL)
    train_lines = (work / "data" / "train.ffm").read_text().splitlines(keepends=True)
    cut = len(train_lines) * 9 // 10
    (work / "fit.ffm").write_text("".join(train_lines[:cut]))
    (work / "valid.ffm").write_text("".join(train_lines[cut:]))
    test = work / "data" / "test.ffm"
    labels = [1 if line.split(" ", 1)[0] == "1" else 0 for line in test.read_text().splitlines()]
    truth = [float(x) for x in (work / "data" / "test_truth.txt").read_text().split()]

    oracle = metrics(truth, labels)

    def fresh():
        # Both tools cache parsed text beside it; every run starts without
        # caches so that both pay for parsing once, as a first run does.
        for cache in list(work.glob("*.bin")) + list(work.glob("*.promorec-cache")):
            cache.unlink()

    def run_libffm(options):
        fresh()
        log = work / "libffm.log"
        seconds, mib = run_measured(
            [str(ffm_train), "-k", "4", "-t", "50", "-s", str(args.threads), "-p",
             str(work / "valid.ffm"), "--auto-stop"] + options +
            [str(work / "fit.ffm"), str(work / "libffm.model")], work, log)
        # Its per-iteration table: iter, tr_logloss, va_logloss, tr_time.
        valid = min(float(line.split()[2]) for line in log.read_text().splitlines()
                    if line.split() and line.split()[0].isdigit())
        # libffm writes its binary caches into the working directory.
        subprocess.run([str(ffm_predict), str(test), str(work / "libffm.model"),
                        str(work / "libffm.out")], check=True, stdout=subprocess.DEVNULL, cwd=work)
        loss, auc = metrics([float(x) for x in (work / "libffm.out").read_text().split()], labels)
        return {"options": " ".join(options) or "defaults", "valid": valid, "logloss": loss,
                "auc": auc, "seconds": seconds, "mib": mib}

    def run_promorec(options):
        fresh()
        log = work / "promorec.json"
        seconds, mib = run_measured(
            [str(promorec), "train", "--train", str(work / "fit.ffm"), "--valid",
             str(work / "valid.ffm"), "-k", "4", "--epochs", "50", "--threads", str(args.threads),
             "--out", str(work / "promorec.model"), "--json"] + options +
            args.train_options.split(), work, log)
        valid = json.loads(log.read_text())["valid_logloss"]
        evaluated = subprocess.run([str(promorec), "eval", "--model", str(work / "promorec.model"),
                                    "--input", str(test), "--json"], check=True,
                                   capture_output=True, text=True)
        ours = json.loads(evaluated.stdout)
        return {"options": " ".join(options) or "defaults", "valid": valid,
                "logloss": ours["logloss"], "auc": ours["auc"], "seconds": seconds, "mib": mib}

    def median(values):
        values = sorted(values)
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2

    def repeated(libffm_options, ours_options):
        """Runs both tools args.repeat times, alternating; returns each one's
        medians and the median of the per-round time ratios."""
        rounds = [(run_libffm(libffm_options), run_promorec(ours_options))
                  for _ in range(args.repeat)]
        def medians(runs):
            out = dict(runs[0])
            for key in ("logloss", "auc", "seconds", "mib"):
                out[key] = median([r[key] for r in runs])
            return out
        ratios = [ours["seconds"] / libffm["seconds"] for libffm, ours in rounds]
        return medians([r[0] for r in rounds]), medians([r[1] for r in rounds]), ratios

    def table(title, libffm, ours, ratios):
        print(title)
        print(f"{'':10} {'logloss':>9} {'AUC':>8} {'seconds':>8} {'peak MiB':>9}  settings")
        print(f"{'oracle':10} {oracle[0]:9.5f} {oracle[1]:8.5f}")
        for name, r in (("libffm", libffm), ("promorec", ours)):
            print(f"{name:10} {r['logloss']:9.5f} {r['auc']:8.5f} {r['seconds']:8.1f} "
                  f"{r['mib']:9.0f}  {r['options']}")
        print(f"promorec - libffm: logloss {ours['logloss'] - libffm['logloss']:+.5f}, "
              f"AUC {ours['auc'] - libffm['auc']:+.5f}, "
              f"time x{median(ratios):.2f}, memory x{ours['mib'] / libffm['mib']:.2f}")
        if len(ratios) > 1:
            print(f"time ratio per round: {', '.join(f'{r:.2f}' for r in ratios)} "
                  f"(medians of {len(ratios)} runs above)")

    table("defaults", *repeated([], []))
    if args.tune:
        # The same number of settings for each tool around its defaults: the
        # learning rate and the strength of regularisation. The pick is by
        # validation logloss; the test set plays no part in it.
        libffm_grid = [["-r", r, "-l", l] for r in ("0.2", "0.3", "0.5")
                       for l in ("2e-5", "1e-4", "2e-4")]
        ours_grid = [["--eta", e, "--prior", p] for e in ("0.4", "0.5", "0.6") for p in ("2", "3", "4")]
        best_libffm = min((run_libffm(o) for o in libffm_grid), key=lambda r: r["valid"])
        best_ours = min((run_promorec(o) for o in ours_grid), key=lambda r: r["valid"])
        print()
        table("each tuned on the validation set (9 settings each)",
              *repeated(best_libffm["options"].split(), best_ours["options"].split()))


if __name__ == "__main__":
    main()
