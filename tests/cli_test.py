#!/usr/bin/env python3
"""CLI tests: run build/promorec as a user would and check what it says."""
import argparse
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BINARY = None
SUBCOMMANDS = ["serve", "demo", "train", "predict", "eval", "generate", "simulate", "import",
               "agent", "log", "lake", "models", "bench"]
NOT_BUILT = ["simulate", "models"]
KASANDR_HEADER = "userid\tofferid\tcountrycode\tcategory\tmerchant\tutcdate\trating\n"


def run(*args, cwd=None, timeout=300):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def kasandr_rows(count, rng, bad=None):
    """`count` KASANDR rows; `bad` maps a 0-based row index to a replacement row."""
    bad = bad or {}
    lines = [KASANDR_HEADER]
    for i in range(count):
        if i in bad:
            lines.append(bad[i])
            continue
        user = "%040x" % rng.getrandbits(160)
        offer = "%032x" % rng.getrandbits(128)
        lines.append(f"{user}\t{offer}\tde\t{rng.randrange(10**8, 10**9)}\t"
                     f"{rng.randrange(10**4, 10**5)}\t2016-06-{rng.randrange(1, 29):02d} "
                     f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.0"
                     f"\t{1 if rng.random() < 0.1 else 0}\n")
    return "".join(lines)


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_version_names_version_and_build_type(self):
        result = run("--version")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^promorec \d+\.\d+\.\d+ \((Release|Debug|RelWithDebInfo) build\)")

    def test_every_subcommand_has_help(self):
        for command in SUBCOMMANDS:
            result = run(command, "--help")
            self.assertEqual(result.returncode, 0, command)
            self.assertIn(command, result.stdout)

    def test_unbuilt_subcommands_say_so_and_exit_2(self):
        for command in NOT_BUILT:
            result = run(command, cwd=self.dir)
            self.assertEqual(result.returncode, 2, command)
            self.assertIn("not built yet", result.stderr)
        self.assertEqual(run("bench", "score").returncode, 2)

    def test_data_dir_option_where_data_is_used(self):
        for command in [["demo"], ["import"], ["serve"], ["log", "stat"], ["log", "check"],
                        ["lake"], ["models"], ["simulate"], ["train"], ["bench"]]:
            self.assertIn("--data-dir", run(*command, "--help").stdout, command)

    def test_bad_usage_exits_2(self):
        self.assertEqual(run("no-such-command").returncode, 2)
        self.assertEqual(run("import", "--format", "xml", "f").returncode, 2)
        self.assertEqual(run().returncode, 2)

    def test_import_json_ndjson_and_array(self):
        ndjson = self.dir / "events.ndjson"
        ndjson.write_text(
            '{"user_id":"u1","product":"p1","rating":1,"timestamp":1518318207.8448}\n'
            '{"userid":"u2","merchant":"p2","rating":0,"utcdate":"2016-06-14 17:28:47.0"}\n'
            '{"user_id":"u3","product":"p3","rating":0}\n'
            '{"user_id":"u4","product":"p4","rating":1,"timestamp":1518318207\n')
        array = self.dir / "events.json"
        array.write_text('[{"user_id":"u5","product":"p5","rating":1,"timestamp":1},'
                         '{"user_id":"","product":"p6","rating":1,"timestamp":1}]')
        result = run("import", "--format", "json", "--json", "--data-dir",
                     str(self.dir / "data"), str(ndjson), str(array))
        self.assertEqual(result.returncode, 0, result.stderr)
        summary = json.loads(result.stdout)
        self.assertEqual((summary["rows_read"], summary["accepted"], summary["rejected"]),
                         (6, 3, 3))
        self.assertEqual(summary["rejected_by_reason"],
                         {"missing_field": 1, "bad_json": 1, "empty_field": 1})
        self.assertIn("events.ndjson:3 (byte ", result.stderr)
        self.assertIn("field 'timestamp': is required", result.stderr)
        self.assertIn("events.json:1 (byte 58): field 'user_id': must not be empty",
                      result.stderr)

    def test_import_1000_lines_one_bad(self):
        lines = [f"user{i},0,de,100,p{i % 20},{1518318207 + i}.25,{i % 2}\n" for i in range(1000)]
        lines[416] = "user416,0,de,100,p16,1518318623.25,yes\n"
        path = self.dir / "clicks.csv"
        path.write_text("".join(lines))
        data_dir = self.dir / "data"
        result = run("import", "--format", "click", "--json", "--data-dir", str(data_dir),
                     str(path))
        self.assertEqual(result.returncode, 0, result.stderr)
        summary = json.loads(result.stdout)
        self.assertEqual(summary["rows_read"], 1000)
        self.assertEqual(summary["accepted"], 999)
        self.assertEqual(summary["rejected"], 1)
        self.assertEqual(summary["rejected_by_reason"], {"bad_rating": 1})
        self.assertIn("clicks.csv:417 (byte ", result.stderr)
        self.assertIn("field 'rating': must be 0 or 1, got \"yes\"", result.stderr)
        dead = [json.loads(l) for l in pathlib.Path(summary["dead_letter"]).read_text().splitlines()]
        self.assertEqual(len(dead), 1)
        self.assertEqual(dead[0]["line"], 417)
        self.assertEqual(dead[0]["reason"], "bad_rating")
        self.assertEqual(dead[0]["raw"], lines[416].rstrip("\n"))
        self.assertTrue(str(data_dir / "deadletter") in summary["dead_letter"])

    def test_import_text_summary_and_clean_import_leaves_no_dead_letter(self):
        path = self.dir / "ok.csv"
        path.write_text("andy,0,us,1,p,1518318207.8448,1\n")
        data_dir = self.dir / "data"
        result = run("import", "--format", "click", "--data-dir", str(data_dir), str(path))
        self.assertEqual(result.returncode, 0)
        self.assertIn("total: 1 rows read, 1 accepted, 0 rejected", result.stdout)
        self.assertFalse((data_dir / "deadletter").exists())

    def test_import_missing_file_fails_but_reads_the_others(self):
        good = self.dir / "good.csv"
        good.write_text("andy,0,us,1,p,1518318207.8448,1\n")
        result = run("import", "--format", "click", "--json", "--data-dir", str(self.dir / "d"),
                     str(self.dir / "missing.csv"), str(good))
        self.assertEqual(result.returncode, 1)
        summary = json.loads(result.stdout)
        self.assertEqual(summary["accepted"], 1)
        self.assertIn("No such file or directory", summary["files"][0]["error"])

    def test_import_one_million_kasandr_rows_exact_counts(self):
        rng = random.Random(20260)
        bad = {
            10: "u\to\tde\t1\tm\t2016-06-14 17:28:47.0\t3\n",          # bad_rating
            200_000: "u\to\tde\t1\tm\t2016-06-14\t1\n",                # bad_timestamp
            500_000: "\to\tde\t1\tm\t2016-06-14 17:28:47.0\t1\n",      # empty_field
            777_777: "u\to\tde\t1\tm\t2016-06-14 17:28:47.0\n",        # wrong_field_count
            999_998: "u\xe9\to\tde\t1\tm\t2016-06-14 17:28:47.0\t1\n",  # fine: UTF-8 é
        }
        path = self.dir / "train_de.csv"
        path.write_text(kasandr_rows(1_000_000, rng, bad), encoding="utf-8")
        result = run("import", "--format", "kasandr", "--json", "--data-dir",
                     str(self.dir / "data"), str(path), timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr)
        summary = json.loads(result.stdout)
        self.assertEqual(summary["rows_read"], 1_000_000)
        self.assertEqual(summary["accepted"], 999_996)
        self.assertEqual(summary["rejected"], 4)
        self.assertEqual(summary["rejected_by_reason"],
                         {"bad_rating": 1, "bad_timestamp": 1, "empty_field": 1,
                          "wrong_field_count": 1})
        for line in (12, 200_002, 500_002, 777_779):
            self.assertIn(f"train_de.csv:{line} (byte ", result.stderr)

    def test_import_appends_to_the_clicks_stream_and_log_stat_shows_it(self):
        lines = [f"user{i % 37},0,de,100,p{i % 20},{1518318207 + i}.5,{i % 2}\n" for i in range(5000)]
        path = self.dir / "clicks.csv"
        path.write_text("".join(lines))
        data_dir = str(self.dir / "data")
        result = run("import", "--format", "click", "--json", "--data-dir", data_dir, str(path))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["stored"], 5000)
        # A second import appends after the first.
        self.assertEqual(run("import", "--format", "click", "--data-dir", data_dir,
                             str(path)).returncode, 0)
        stat = run("log", "stat", "--json", "--data-dir", data_dir)
        self.assertEqual(stat.returncode, 0, stat.stderr)
        streams = json.loads(stat.stdout)["streams"]
        self.assertEqual([s["name"] for s in streams], ["clicks"])
        clicks = streams[0]
        self.assertEqual(len(clicks["shards"]), 4)
        self.assertEqual(clicks["records"], 10000)
        self.assertEqual(sum(s["records"] for s in clicks["shards"]), 10000)
        self.assertEqual(clicks["shards"][0]["starting_hash_key"], "0")
        self.assertEqual(clicks["shards"][3]["ending_hash_key"],
                         "340282366920938463463374607431768211455")
        check = run("log", "check", "--data-dir", data_dir)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("event log is intact", check.stdout)

    def test_log_check_reports_damage_and_exits_1(self):
        lines = [f"user{i},0,de,100,p,{1518318207 + i},1\n" for i in range(3000)]
        path = self.dir / "clicks.csv"
        path.write_text("".join(lines))
        data_dir = self.dir / "data"
        self.assertEqual(run("import", "--format", "click", "--data-dir", str(data_dir),
                             str(path)).returncode, 0)
        segment = sorted((data_dir / "streams" / "clicks" / "shard-0001").glob("*.seg"))[0]
        raw = bytearray(segment.read_bytes())
        raw[64 + 100] ^= 0xFF  # inside the first block's records
        segment.write_bytes(bytes(raw))
        check = run("log", "check", "--json", "--data-dir", str(data_dir))
        self.assertEqual(check.returncode, 1, check.stdout + check.stderr)
        report = json.loads(check.stdout)
        self.assertFalse(report["clean"])
        self.assertTrue(any(f["path"] == str(segment) for f in report["findings"]))
        # Checking changed nothing.
        self.assertEqual(segment.read_bytes(), bytes(raw))

    def test_bench_log_prints_figures_and_ratio(self):
        result = run("bench", "log", "--seconds", "0.05", "--repeat", "1", "--json",
                     "--data-dir", str(self.dir / "data"), timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        figures = json.loads(result.stdout)
        self.assertEqual(len(figures["append"]), 12)
        self.assertTrue(all(row["records_per_second"] > 0 for row in figures["append"]))
        self.assertEqual([l["appenders"] for l in figures["latency"]], [1, 64])
        self.assertGreater(figures["read_records_per_second"], 0)
        self.assertGreater(figures["fsync_group_to_raw_ratio"], 0)
        self.assertEqual(list((self.dir / "data" / "tmp").iterdir()), [])

    def test_train_eval_predict_on_generated_libffm(self):
        gen = self.dir / "gen"
        generated = run("generate", "--rows", "30000", "--users", "3000", "--offers", "300",
                        "--seed", "7", "--format", "libffm", "--out", str(gen), "--no-progress")
        self.assertEqual(generated.returncode, 0, generated.stderr)
        model_dir = self.dir / "model"
        trained = run("train", "--train", str(gen / "train.ffm"), "--epochs", "3",
                      "--deterministic", "--out", str(model_dir), "--json")
        self.assertEqual(trained.returncode, 0, trained.stderr)
        summary = json.loads(trained.stdout)
        self.assertEqual(summary["rows"], 24000)
        self.assertEqual(summary["fields"], 6)
        self.assertTrue((model_dir / "model.bin").exists())
        self.assertEqual(len((model_dir / "headers.csv").read_text().splitlines()),
                         summary["features"])
        evaluated = run("eval", "--model", str(model_dir), "--input", str(gen / "test.ffm"),
                        "--truth", str(gen / "test_truth.txt"), "--json")
        self.assertEqual(evaluated.returncode, 0, evaluated.stderr)
        figures = json.loads(evaluated.stdout)
        self.assertEqual(figures["rows"], 6000)
        self.assertGreater(figures["auc"], 0.6)
        self.assertGreaterEqual(figures["logloss"], figures["oracle"]["logloss"] - 0.01)
        self.assertLess(figures["logloss"], 0.4)
        predicted = run("predict", "--model", str(model_dir), "--input", str(gen / "test.ffm"))
        self.assertEqual(predicted.returncode, 0, predicted.stderr)
        probabilities = [float(line) for line in predicted.stdout.split()]
        self.assertEqual(len(probabilities), 6000)
        self.assertTrue(all(0 < p < 1 for p in probabilities))
        # The same data and seed give the same model, byte for byte.
        again = self.dir / "again"
        run("train", "--train", str(gen / "train.ffm"), "--epochs", "3", "--deterministic",
            "--out", str(again))
        self.assertEqual((again / "model.bin").read_bytes(), (model_dir / "model.bin").read_bytes())
        self.assertEqual(run("train", "--train", str(gen / "train.ffm"), "--format", "xml",
                             "--out", str(self.dir / "x")).returncode, 2)

    def test_valid_tail_validates_on_the_last_training_rows(self):
        gen = self.dir / "gen"
        self.assertEqual(run("generate", "--rows", "40000", "--users", "3000", "--offers", "300",
                             "--seed", "5", "--format", "libffm", "--out", str(gen),
                             "--no-progress").returncode, 0)
        lines = (gen / "train.ffm").read_text().splitlines(keepends=True)
        self.assertEqual(len(lines), 32000)
        fit, valid = self.dir / "fit.ffm", self.dir / "valid.ffm"
        fit.write_text("".join(lines[:28000]))
        valid.write_text("".join(lines[28000:]))
        split = run("train", "--train", str(fit), "--valid", str(valid), "--deterministic",
                    "--epochs", "4", "--out", str(self.dir / "split"), "--json")
        self.assertEqual(split.returncode, 0, split.stderr)
        tail = run("train", "--train", str(gen / "train.ffm"), "--valid-tail", "0.125",
                   "--deterministic", "--epochs", "4", "--out", str(self.dir / "tail"), "--json")
        self.assertEqual(tail.returncode, 0, tail.stderr)
        summary = json.loads(tail.stdout)
        self.assertEqual(summary["rows"], 28000)
        self.assertIsNotNone(summary["valid_logloss"])
        self.assertIn("valid_logloss", summary["epochs"][0])
        # The last 4,000 rows validate exactly as the same rows in a file of
        # their own do: the very same model.
        self.assertEqual((self.dir / "tail" / "model.bin").read_bytes(),
                         (self.dir / "split" / "model.bin").read_bytes())
        for bad, reason in ((["--valid-tail", "1.5"], "must be a fraction"),
                            (["--valid-tail", "0.00001"], "leaves no rows"),
                            (["--valid-tail", "0.1", "--valid", str(valid)], "exclude each other")):
            refused = run("train", "--train", str(fit), *bad, "--out", str(self.dir / "bad"))
            self.assertNotEqual(refused.returncode, 0, bad)
            self.assertIn(reason, refused.stderr, bad)

    def test_squared_loss_learns_ratings(self):
        # Ratings (real-valued, "-1" a rating too) from a planted user x offer
        # effect: libffm lines with numeric labels.
        rng = random.Random(4)
        def lines(n):
            out = []
            for _ in range(n):
                u, o = rng.randrange(300), rng.randrange(40)
                rating = (2.5 if u % 3 == o % 3 else -1.0) + rng.gauss(0, 0.3)
                out.append(f"{rating:.3f} 0:{u}:1 1:{300 + o}:1\n")
            return "".join(out)
        fit, valid, test = self.dir / "r-fit.ffm", self.dir / "r-valid.ffm", self.dir / "r-test.ffm"
        fit.write_text(lines(30000))
        valid.write_text(lines(4000))
        test.write_text(lines(4000))
        model_dir = self.dir / "ratings"
        trained = run("train", "--train", str(fit), "--valid", str(valid), "--loss", "squared",
                      "--eta", "0.1", "--deterministic", "--out", str(model_dir), "--json")
        self.assertEqual(trained.returncode, 0, trained.stderr)
        summary = json.loads(trained.stdout)
        self.assertEqual(summary["loss"], "squared")
        self.assertLess(summary["valid_mse"], 0.3)
        self.assertIn("valid_mse", summary["epochs"][0])
        evaluated = run("eval", "--model", str(model_dir), "--input", str(test), "--json")
        self.assertEqual(evaluated.returncode, 0, evaluated.stderr)
        figures = json.loads(evaluated.stdout)
        self.assertLess(figures["rmse"], 0.5)  # the ratings' own spread is about 1.7
        self.assertNotIn("logloss", figures)
        predicted = run("predict", "--model", str(model_dir), "--input", str(test))
        scores = [float(x) for x in predicted.stdout.split()]
        self.assertEqual(len(scores), 4000)
        self.assertLess(min(scores), -0.5)  # raw scores, not probabilities
        self.assertGreater(max(scores), 2.0)
        # The same file read with click labels refuses "2.5"; the default
        # loss is logistic.
        clicks = run("train", "--train", str(fit), "--strict", "--out", str(self.dir / "c"))
        self.assertNotEqual(clicks.returncode, 0)
        self.assertIn("must be 1, 0 or -1", clicks.stderr)
        self.assertEqual(run("train", "--train", str(fit), "--loss", "hinge",
                             "--out", str(self.dir / "h")).returncode, 2)
        # A warm start keeps the loss it was trained with.
        other = run("train", "--train", str(fit), "--warm-start", str(model_dir),
                    "--out", str(self.dir / "w"))
        self.assertNotEqual(other.returncode, 0)
        self.assertIn("other loss", other.stderr)

    def test_training_cache_eval_figures_export_and_warm_start(self):
        gen = self.dir / "gen"
        self.assertEqual(run("generate", "--rows", "40000", "--users", "3000", "--offers", "300",
                             "--seed", "3", "--format", "libffm", "--out", str(gen),
                             "--no-progress").returncode, 0)
        train, test = gen / "train.ffm", gen / "test.ffm"
        lines = train.read_text().splitlines(keepends=True)
        fit, valid = self.dir / "fit.ffm", self.dir / "valid.ffm"
        fit.write_text("".join(lines[:28000]))
        valid.write_text("".join(lines[28000:]))
        model_dir = self.dir / "model"
        first = run("train", "--train", str(fit), "--valid", str(valid), "--deterministic",
                    "--epochs", "3", "--out", str(model_dir), "--json")
        self.assertEqual(first.returncode, 0, first.stderr)
        summary = json.loads(first.stdout)
        self.assertEqual(len(summary["epochs"]), summary["epochs_run"])
        self.assertIn("valid_logloss", summary["epochs"][0])
        # The text was parsed once; the second run reads the cache beside it
        # and trains the very same model.
        cache = pathlib.Path(str(fit) + ".promorec-cache")
        self.assertTrue(cache.exists())
        again = self.dir / "again"
        second = run("train", "--train", str(fit), "--valid", str(valid), "--deterministic",
                     "--epochs", "3", "--out", str(again), "--json")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual((again / "model.bin").read_bytes(), (model_dir / "model.bin").read_bytes())
        # A damaged cache is noticed and rebuilt, not trusted.
        damaged = bytearray(cache.read_bytes())
        damaged[len(damaged) // 2] ^= 0xFF
        cache.write_bytes(bytes(damaged))
        third = run("train", "--train", str(fit), "--valid", str(valid), "--deterministic",
                    "--epochs", "3", "--out", str(again))
        self.assertEqual(third.returncode, 0, third.stderr)
        self.assertIn("cache checksum mismatch; reading the text again", third.stderr)
        self.assertEqual((again / "model.bin").read_bytes(), (model_dir / "model.bin").read_bytes())
        # A changed source never comes from the old cache.
        fit.write_text("".join(lines[:20000]))
        fourth = run("train", "--train", str(fit), "--deterministic", "--epochs", "1",
                     "--out", str(again), "--json")
        self.assertEqual(json.loads(fourth.stdout)["rows"], 20000)
        fit.write_text("".join(lines[:28000]))

        evaluated = run("eval", "--model", str(model_dir), "--input", str(test), "--truth",
                        str(gen / "test_truth.txt"), "--json", "--at", "5")
        self.assertEqual(evaluated.returncode, 0, evaluated.stderr)
        figures = json.loads(evaluated.stdout)
        self.assertEqual(figures["k"], 5)
        self.assertGreater(figures["map_at_k"], 0)
        self.assertLessEqual(figures["ndcg_at_k"], 1)
        self.assertGreater(figures["oracle"]["ndcg_at_k"], 0)
        buckets = figures["by_user_frequency"]
        self.assertEqual(sum(b["rows"] for b in buckets), figures["rows"])
        self.assertEqual(buckets[0]["bucket"], "0", "test users unseen in training")
        self.assertIn("oracle_logloss", buckets[-1])

        # A serving-only export scores the same and is about half the size.
        serving = self.dir / "serving"
        exported = run("train", "--train", str(fit), "--valid", str(valid), "--deterministic",
                       "--epochs", "3", "--serving-only", "--out", str(serving))
        self.assertEqual(exported.returncode, 0, exported.stderr)
        ratio = (serving / "model.bin").stat().st_size / (model_dir / "model.bin").stat().st_size
        self.assertLess(ratio, 0.6)
        self.assertEqual(
            run("predict", "--model", str(serving), "--input", str(test)).stdout,
            run("predict", "--model", str(model_dir), "--input", str(test)).stdout)

        # Nightly retraining: a warm start from the model on newer rows.
        newer = self.dir / "newer.ffm"
        newer.write_text("".join(lines[20000:]))
        warm = self.dir / "warm"
        continued = run("train", "--train", str(newer), "--warm-start", str(model_dir),
                        "--deterministic", "--epochs", "1", "--out", str(warm), "--json")
        self.assertEqual(continued.returncode, 0, continued.stderr)
        cold = run("train", "--train", str(newer), "--deterministic", "--epochs", "1",
                   "--out", str(self.dir / "cold"), "--json")
        self.assertLess(json.loads(continued.stdout)["train_logloss"],
                        json.loads(cold.stdout)["train_logloss"])
        refused = run("train", "--train", str(newer), "--warm-start", str(serving), "-k", "8",
                      "--out", str(self.dir / "x"))
        self.assertEqual(refused.returncode, 1)
        self.assertIn("warm start: the earlier model's type, fields or k differ", refused.stderr)

    def test_recordio_protobuf_train_and_eval(self):
        rec, ffm = self.dir / "rec", self.dir / "ffm"
        for fmt, out in (("recordio", rec), ("libffm", ffm)):
            self.assertEqual(run("generate", "--rows", "40000", "--users", "3000", "--offers",
                                 "300", "--seed", "3", "--format", fmt, "--out", str(out),
                                 "--no-progress").returncode, 0)
        self.assertEqual(json.loads((rec / "meta.json").read_text())["format"], "recordio")
        self.assertFalse((rec / "train.ffm").exists())
        figures = {}
        for name, args in (
                ("recordio", ["--format", "recordio", "--headers", str(rec / "headers.csv"),
                              "--train", str(rec / "train.rec")]),
                ("libffm", ["--train", str(ffm / "train.ffm")])):
            model_dir = self.dir / ("model-" + name)
            trained = run("train", *args, "--deterministic", "--epochs", "3", "--out",
                          str(model_dir))
            self.assertEqual(trained.returncode, 0, trained.stderr)
            test = rec / "test.rec" if name == "recordio" else ffm / "test.ffm"
            evaluated = run("eval", "--format", "recordio" if name == "recordio" else "libffm",
                            "--model", str(model_dir), "--input", str(test), "--json")
            self.assertEqual(evaluated.returncode, 0, evaluated.stderr)
            figures[name] = json.loads(evaluated.stdout)
        # The same rows in either format train models of the same quality,
        # and headers.csv gives the RecordIO model its names.
        self.assertAlmostEqual(figures["recordio"]["auc"], figures["libffm"]["auc"], delta=0.01)
        self.assertEqual(figures["recordio"]["rows"], figures["libffm"]["rows"])
        headers = (self.dir / "model-recordio" / "headers.csv").read_text().splitlines()
        self.assertTrue(headers[0].startswith("userid_"))
        # A damaged file loses only its damaged records, each named.
        data = bytearray((rec / "test.rec").read_bytes())
        data[0] ^= 0xFF
        (self.dir / "bad.rec").write_bytes(bytes(data))
        damaged = run("eval", "--format", "recordio", "--model", str(self.dir / "model-recordio"),
                      "--input", str(self.dir / "bad.rec"), "--json")
        self.assertEqual(damaged.returncode, 0, damaged.stderr)
        self.assertIn("bad.rec: record 1 (byte 0): bad magic", damaged.stderr)
        self.assertEqual(json.loads(damaged.stdout)["rows"], figures["recordio"]["rows"] - 1)

    def test_train_and_eval_on_kasandr_events(self):
        gen = self.dir / "gen"
        self.assertEqual(run("generate", "--rows", "30000", "--users", "3000", "--offers", "300",
                             "--seed", "7", "--format", "kasandr", "--out", str(gen),
                             "--no-progress").returncode, 0)
        model_dir = self.dir / "model"
        trained = run("train", "--format", "kasandr", "--train", str(gen / "train.csv"),
                      "--epochs", "3", "--deterministic", "--out", str(model_dir), "--json")
        self.assertEqual(trained.returncode, 0, trained.stderr)
        self.assertEqual(json.loads(trained.stdout)["fields"], 7)
        headers = (model_dir / "headers.csv").read_text().splitlines()
        self.assertTrue(any(h.startswith("hour_") for h in headers))
        self.assertTrue(any(h.startswith("product_") for h in headers))
        evaluated = run("eval", "--format", "kasandr", "--model", str(model_dir), "--input",
                        str(gen / "test.csv"), "--truth", str(gen / "test_truth.txt"), "--json")
        self.assertEqual(evaluated.returncode, 0, evaluated.stderr)
        figures = json.loads(evaluated.stdout)
        self.assertEqual(figures["rows"], 6000)
        self.assertGreater(figures["auc"], 0.6)

    def test_bench_import_prints_rate_and_ratio(self):
        result = run("bench", "import", "--rows", "20000", "--repeat", "3", "--json",
                     "--data-dir", str(self.dir / "data"))
        self.assertEqual(result.returncode, 0, result.stderr)
        figures = json.loads(result.stdout)
        self.assertGreater(figures["import_rows_per_second"], 0)
        self.assertGreater(figures["ratio_to_baseline"], 0)
        self.assertEqual(list((self.dir / "data" / "tmp").iterdir()), [])

    def test_demo_serves_and_stops_on_sigterm(self):
        process = subprocess.Popen([BINARY, "demo", "--port", "0", "--data-dir",
                                    str(self.dir / "data")], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            first = process.stdout.readline()
            self.assertRegex(first, r"serving http://127\.0\.0\.1:\d+")
            url = first.split()[3]
            with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
                self.assertEqual(json.load(response), {"status": "ok"})
            with urllib.request.urlopen(url + "/v1/catalogue/promotions", timeout=10) as response:
                promotions = json.load(response)["promotions"]
                self.assertEqual(len(promotions), 20)
                self.assertEqual(promotions[0]["text"], "Free Shipping")
            with self.assertRaises(urllib.error.HTTPError) as missing:
                urllib.request.urlopen(url + "/nope", timeout=10)
            self.assertEqual(missing.exception.code, 404)
            self.assertEqual(json.load(missing.exception)["error"]["code"], "not_found")
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=30), 0)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
            process.stderr.close()


    def test_generate_every_format_is_complete_importable_and_deterministic(self):
        extensions = {"kasandr": "csv", "click": "csv", "libffm": "ffm", "ndjson": "ndjson"}
        args = ["--rows", "20000", "--users", "3000", "--offers", "400", "--seed", "7"]
        for fmt, ext in extensions.items():
            outs = [self.dir / f"{fmt}-1", self.dir / f"{fmt}-2"]
            for out in outs:
                result = run("generate", *args, "--format", fmt, "--out", str(out), "--json")
                self.assertEqual(result.returncode, 0, result.stderr)
                summary = json.loads(result.stdout)
                self.assertEqual(summary["rows"], 20000)
                self.assertTrue(0.05 <= summary["click_rate"] <= 0.20, summary)
                self.assertGreater(summary["oracle_auc"], 0.5)
            names = [f"train.{ext}", f"test.{ext}", "test_truth.txt", "meta.json"]
            if fmt == "libffm":
                names.append("headers.csv")
            for name in names:
                first, second = (out / name for out in outs)
                self.assertTrue(first.is_file(), f"{fmt}: {name}")
                self.assertEqual(first.read_bytes(), second.read_bytes(), f"{fmt}: {name}")
            header = 1 if fmt == "kasandr" else 0
            lines = lambda name: (outs[0] / name).read_text().count("\n")
            self.assertEqual(lines(f"train.{ext}"), 16000 + header, fmt)
            self.assertEqual(lines(f"test.{ext}"), 4000 + header, fmt)
            self.assertEqual(lines("test_truth.txt"), 4000, fmt)
            if fmt == "libffm":
                meta = json.loads((outs[0] / "meta.json").read_text())
                self.assertEqual(lines("headers.csv"), meta["features"])
        kasandr = self.dir / "kasandr-1"
        result = run("import", "--format", "kasandr", "--json", "--data-dir",
                     str(self.dir / "data"), str(kasandr / "train.csv"), str(kasandr / "test.csv"))
        self.assertEqual(result.returncode, 0, result.stderr)
        summary = json.loads(result.stdout)
        self.assertEqual(summary["accepted"], 20000)
        self.assertEqual(summary["rejected"], 0)
        for bad in (["--rows", "0"], ["--users", "0"], ["--offers", "0"], ["--test-fraction", "1"],
                    ["--format", "csv"]):
            options = dict(zip(args[::2], args[1::2]), **{"--format": "click"})
            options.update(dict(zip(bad[::2], bad[1::2])))
            flat = [item for pair in options.items() for item in pair]
            result = run("generate", *flat, "--out", str(self.dir / "bad"))
            self.assertEqual(result.returncode, 2, bad)
            self.assertIn("promorec generate", result.stderr, bad)

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
