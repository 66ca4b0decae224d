#!/usr/bin/env python3
"""`promorec serve` driven as users drive it: plain HTTP, the real AWS CLI
(Kinesis and SageMaker runtime) and boto3 from Debian's packages, against a
real server on 127.0.0.1."""
import argparse
import base64
import datetime
import json
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from serve_process import ServeProcess, event_record_fields

BINARY = None
AWS = "/usr/bin/aws"           # Debian's awscli (scripts/setup installs it)
SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-boto3 lives
AWS_ENV = {"AWS_ACCESS_KEY_ID": "promorec", "AWS_SECRET_ACCESS_KEY": "promorec",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_EC2_METADATA_DISABLED": "true"}


def run(*args, **kwargs):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=300, **kwargs)


def Server(*args):
    return ServeProcess(BINARY, *args)


class ServeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        gen = cls.dir / "gen"
        assert run("generate", "--rows", "20000", "--users", "2000", "--offers", "200", "--seed",
                   "5", "--format", "kasandr", "--out", str(gen), "--no-progress").returncode == 0
        cls.model = cls.dir / "model"
        trained = run("train", "--format", "kasandr", "--train", str(gen / "train.csv"),
                      "--epochs", "2", "--deterministic", "--out", str(cls.model))
        assert trained.returncode == 0, trained.stderr

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def setUp(self):
        self.data = self.dir / f"data-{self._testMethodName}"
        self.server = Server("--data-dir", str(self.data), "--model", str(self.model))

    def tearDown(self):
        if self.server.process.poll() is None:
            self.assertEqual(self.server.stop(), 0)

    def aws(self, *args):
        result = subprocess.run([AWS, "--endpoint-url", self.server.url, "--output", "json", *args],
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, **AWS_ENV})
        self.assertEqual(result.returncode, 0, f"aws {args}: {result.stderr}")
        return json.loads(result.stdout) if result.stdout.strip() else None

    def test_health_readiness_and_ping(self):
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)
        self.assertEqual(self.server.request("GET", "/readyz")[0], 200)
        self.assertEqual(self.server.request("GET", "/ping")[0], 200)
        bare = Server("--data-dir", str(self.dir / "bare"))
        try:
            self.assertEqual(bare.request("GET", "/ping")[0], 503)
            status, _, body = bare.request("GET", "/readyz")
            self.assertEqual(status, 503)
            self.assertEqual(json.loads(body)["error"]["code"], "model_not_loaded")
        finally:
            self.assertEqual(bare.stop(), 0)

    def test_events_are_in_the_log_before_the_answer(self):
        body = ("u1,o1,de,c1,m1,1518318207.8448,1\n"
                "u2,o2,de,c1,m1,1518318207.8448,maybe\n"
                "u3,o3,fr,c2,m2,1518318208,0\n")
        status, _, reply = self.server.request("POST", "/v1/events", body.encode(),
                                               {"Content-Type": "text/csv"})
        self.assertEqual(status, 200, reply)
        answer = json.loads(reply)
        self.assertEqual(answer["accepted"], 2)
        self.assertEqual(answer["rejected"][0]["index"], 1)
        self.assertEqual(answer["rejected"][0]["reason"], "bad_rating")
        # The log is read by another process while the server runs.
        stat = run("log", "stat", "--json", "--data-dir", str(self.data))
        self.assertEqual(stat.returncode, 0, stat.stderr)
        clicks = [s for s in json.loads(stat.stdout)["streams"] if s["name"] == "clicks"][0]
        self.assertEqual(clicks["records"], 2)
        status, _, reply = self.server.request("POST", "/v1/events", b"<x/>",
                                               {"Content-Type": "application/xml"})
        self.assertEqual(status, 415)
        status, headers, text = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        text = text.decode()
        self.assertIn("promorec_events_accepted_total 2\n", text)
        self.assertIn('promorec_events_rejected_total{reason="bad_rating"} 1\n', text)
        self.assertIn('promorec_http_requests_total{route="POST /v1/events",status="200"} 1\n',
                      text)
        self.assertIn('promorec_http_requests_total{route="POST /v1/events",status="415"} 1\n',
                      text)
        self.assertIn("promorec_log_append_seconds_count 1\n", text)
        self.assertIn("promorec_model_loaded 1\n", text)
        self.assertRegex(text, r'promorec_model_info\{dir="[^"]+",features="\d+",'
                               r'version="[0-9a-f]{8}"\} 1\n')

    def test_kinesis_with_the_aws_cli_and_boto3(self):
        self.aws("kinesis", "create-stream", "--stream-name", "shop", "--shard-count", "2")
        described = self.aws("kinesis", "describe-stream", "--stream-name", "shop")
        self.assertEqual(len(described["StreamDescription"]["Shards"]), 2)
        self.assertIn("shop", self.aws("kinesis", "list-streams")["StreamNames"])
        put = self.aws("kinesis", "put-record", "--stream-name", "shop", "--partition-key", "u1",
                       "--data", "u1,o1,de,c1,m1,1518318207.8448,1",
                       "--cli-binary-format", "raw-in-base64-out")
        shard = put["ShardId"]
        self.assertTrue(put["SequenceNumber"].isdigit())
        records = json.dumps([{"Data": base64.b64encode(f"line {i}".encode()).decode(),
                               "PartitionKey": "u1"} for i in range(5)])
        batch = self.aws("kinesis", "put-records", "--stream-name", "shop", "--records", records)
        self.assertEqual(batch["FailedRecordCount"], 0)
        iterator = self.aws("kinesis", "get-shard-iterator", "--stream-name", "shop",
                            "--shard-id", shard, "--shard-iterator-type",
                            "TRIM_HORIZON")["ShardIterator"]
        got = self.aws("kinesis", "get-records", "--shard-iterator", iterator)
        data = [base64.b64decode(r["Data"]).decode() for r in got["Records"]]
        self.assertEqual(data, ["u1,o1,de,c1,m1,1518318207.8448,1"] +
                         [f"line {i}" for i in range(5)])
        # The CLI reads the wire's epoch seconds and prints them as ISO 8601.
        arrived = datetime.datetime.fromisoformat(got["Records"][0]["ApproximateArrivalTimestamp"])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - arrived).total_seconds()), 600)
        # boto3 against the same stream, through Debian's python3-boto3.
        script = f"""
import boto3, json
k = boto3.client("kinesis", endpoint_url="{self.server.url}")
out = k.put_records(StreamName="shop", Records=[
    {{"Data": b"\\x00\\x01binary\\xff", "PartitionKey": "p%d" % i}} for i in range(3)])
assert out["FailedRecordCount"] == 0, out
shards = k.list_shards(StreamName="shop")["Shards"]
seen = []
for s in shards:
    it = k.get_shard_iterator(StreamName="shop", ShardId=s["ShardId"],
                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    seen += [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]]
print(json.dumps(sum(1 for d in seen if d == b"\\x00\\x01binary\\xff")))
try:
    k.describe_stream(StreamName="nope")
except k.exceptions.ResourceNotFoundException:
    print("not found")
"""
        result = subprocess.run([SYSTEM_PYTHON, "-c", script], capture_output=True, text=True,
                                timeout=120, env={**os.environ, **AWS_ENV, "PYTHONPATH": ""})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["3", "not", "found"])
        # Unsigned requests are refused, as AWS refuses them.
        status, _, reply = self.server.request(
            "POST", "/", b"{}", {"X-Amz-Target": "Kinesis_20131202.ListStreams",
                                 "Content-Type": "application/x-amz-json-1.1"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(reply)["__type"], "MissingAuthenticationTokenException")

    def test_kinesis_click_records_reach_the_clicks_stream(self):
        self.aws("kinesis", "create-stream", "--stream-name", "shop", "--shard-count", "2")
        line = "u7,o1,de,c1,m1,1518318207.8448,1"
        put = lambda: self.aws("kinesis", "put-record", "--stream-name", "shop",
                               "--partition-key", "k7", "--data", line,
                               "--cli-binary-format", "raw-in-base64-out")
        put()
        # boto3: a JSON event with its own id, a JSON event without one, other data.
        script = f"""
import boto3, json
k = boto3.client("kinesis", endpoint_url="{self.server.url}")
out = k.put_records(StreamName="shop", Records=[
    {{"Data": json.dumps({{"event_id": "ev-1", "user_id": "u8", "product": "p9",
                           "rating": 0}}).encode(), "PartitionKey": "k8"}},
    {{"Data": b'{{"userid": "u9", "merchant": "p1", "rating": 1, "utcdate": 1518318207}}',
      "PartitionKey": "k9"}},
    {{"Data": b"\\x00 not a click", "PartitionKey": "k0"}}])
assert out["FailedRecordCount"] == 0, out
try:
    k.put_record(StreamName="clicks", PartitionKey="x", Data=b"not a click")
except k.exceptions.InvalidArgumentException as e:
    print("refused")
direct = k.put_records(StreamName="clicks", Records=[
    {{"Data": b"u5,0,de,c1,m2,1518318209,0", "PartitionKey": "x"}},
    {{"Data": b"junk", "PartitionKey": "y"}}])
print(direct["FailedRecordCount"], direct["Records"][1]["ErrorCode"])
"""
        result = subprocess.run([SYSTEM_PYTHON, "-c", script], capture_output=True, text=True,
                                timeout=120, env={**os.environ, **AWS_ENV, "PYTHONPATH": ""})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.split(), ["refused", "1", "InvalidArgumentException"])
        # The producer retries the first record: its event keeps its id.
        put()
        # Every record of `shop` is there as it came...
        shop = sorted(data for _, data in self.server.read_stream("shop"))
        self.assertEqual(len(shop), 5)
        self.assertEqual(shop.count(line.encode()), 2)
        # ...and `clicks` holds only event records, keyed by user id.
        events = {}
        for key, data in self.server.read_stream("clicks"):
            event_id, user, *_ = event_record_fields(data)
            self.assertEqual(key, user)
            events.setdefault(user, []).append(event_id)
        self.assertEqual(sorted(events), ["u5", "u7", "u8", "u9"])
        self.assertEqual(len(events["u7"]), 2)
        self.assertEqual(events["u7"][0], events["u7"][1], "a retried record, the same id")
        self.assertRegex(events["u7"][0], "^[0-9a-f]{32}$")
        self.assertEqual(events["u8"], ["ev-1"])
        self.assertRegex(events["u9"][0], "^[0-9a-f]{32}$")
        self.assertNotEqual(events["u9"][0], events["u7"][0])
        text = self.server.request("GET", "/metrics")[2].decode()
        self.assertIn('promorec_kinesis_click_events_total{stream="shop"} 4\n', text)
        self.assertIn('promorec_kinesis_other_records_total{stream="shop"} 1\n', text)
        self.assertIn('promorec_kinesis_click_events_total{stream="clicks"} 1\n', text)
        self.assertIn('promorec_kinesis_rejected_records_total{stream="clicks"} 2\n', text)
        self.assertIn('promorec_kinesis_records_total{stream="shop"} 5\n', text)

    def test_sagemaker_invoke_endpoint_with_the_aws_cli(self):
        request = {"instances": [
            {"keys": ["userid", "offerid", "countrycode", "category", "merchant"],
             "values": ["someone", "0", "de", "100000001", "10003"]}] * 3}
        out = self.dir / "prediction.json"
        result = subprocess.run(
            [AWS, "--endpoint-url", self.server.url, "sagemaker-runtime", "invoke-endpoint",
             "--endpoint-name", "promorec", "--content-type", "application/json",
             "--cli-binary-format", "raw-in-base64-out", "--body", json.dumps(request),
             str(out)], capture_output=True, text=True, timeout=120,
            env={**os.environ, **AWS_ENV})
        self.assertEqual(result.returncode, 0, result.stderr)
        predictions = json.loads(out.read_text())["predictions"]
        self.assertEqual(len(predictions), 3)
        self.assertIsInstance(predictions[0]["score"], float)
        self.assertTrue(0 < predictions[0]["score"] < 1)
        status, headers, body = self.server.request(
            "POST", "/invocations", b"x", {"Content-Type": "text/plain"})
        self.assertEqual(status, 415)

    def test_sagemaker_training_and_serving_contract(self):
        root = self.dir / "opt-ml"
        gen = self.dir / "sm-gen"
        self.assertEqual(run("generate", "--rows", "20000", "--users", "2000", "--offers", "200",
                             "--seed", "9", "--format", "recordio", "--out", str(gen),
                             "--no-progress").returncode, 0)
        (root / "input" / "data" / "train").mkdir(parents=True)
        (root / "input" / "config").mkdir(parents=True)
        for name in ("train.rec", "headers.csv"):
            (root / "input" / "data" / "train" / name).write_bytes((gen / name).read_bytes())
        (root / "input" / "config" / "inputdataconfig.json").write_text(
            json.dumps({"train": {"ContentType": "application/x-recordio-protobuf"}}))
        config = root / "input" / "config" / "hyperparameters.json"
        config.write_text(json.dumps({"num_factors": "4", "epochs": "2",
                                      "predictor_type": "binary_classifier",
                                      "deterministic": "true", "learning_rat": "0.1"}))
        failed = run("train", "--sagemaker", "--sagemaker-root", str(root))
        self.assertEqual(failed.returncode, 1)
        self.assertEqual((root / "output" / "failure").read_text(),
                         "unknown hyperparameter 'learning_rat'\n")
        config.write_text(json.dumps({"num_factors": "4", "epochs": "2",
                                      "predictor_type": "binary_classifier",
                                      "deterministic": "true", "valid_tail": "0.1"}))
        trained = run("train", "--sagemaker", "--sagemaker-root", str(root))
        self.assertEqual(trained.returncode, 0, trained.stderr)
        # No validation channel: the last tenth of the training rows validates.
        self.assertIn("valid logloss", trained.stderr)
        self.assertTrue((root / "model" / "model.bin").exists())
        self.assertTrue((root / "model" / "headers.csv").read_text().startswith("userid_"))
        # The container contract: the port from SAGEMAKER_BIND_TO_PORT.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen([BINARY, "serve", "--sagemaker", "--sagemaker-root", str(root),
                                    "--data-dir", str(self.dir / "sm-data")],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "SAGEMAKER_BIND_TO_PORT": str(port)})
        try:
            first = process.stdout.readline()
            self.assertIn(f"listening on http://0.0.0.0:{port}", first)
            url = f"http://127.0.0.1:{port}"
            with urllib.request.urlopen(url + "/ping", timeout=30) as response:
                self.assertEqual(response.status, 200)
            instances = {"instances": [{"features": [0.0] * 3}]}
            req = urllib.request.Request(url + "/invocations", json.dumps(instances).encode(),
                                         {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as response:
                self.assertEqual(len(json.load(response)["predictions"]), 1)
        finally:
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=30), 0)
            process.stdout.close()
            process.stderr.close()
        # A regressor learns squared loss: its model scores are raw values,
        # judged by RMSE.
        config.write_text(json.dumps({"num_factors": "4", "epochs": "2",
                                      "predictor_type": "regressor", "deterministic": "true"}))
        regressor = run("train", "--sagemaker", "--sagemaker-root", str(root))
        self.assertEqual(regressor.returncode, 0, regressor.stderr)
        self.assertIn("train mse", regressor.stderr)
        evaluated = run("eval", "--model", str(root / "model"), "--format", "recordio",
                        "--input", str(gen / "train.rec"), "--json")
        self.assertEqual(evaluated.returncode, 0, evaluated.stderr)
        self.assertIn("rmse", json.loads(evaluated.stdout))
        config.write_text(json.dumps({"predictor_type": "multiclass_classifier"}))
        refused = run("train", "--sagemaker", "--sagemaker-root", str(root))
        self.assertEqual(refused.returncode, 1)
        self.assertIn("must be binary_classifier or regressor",
                      (root / "output" / "failure").read_text())

    def test_recommendations_from_the_demo_catalogue(self):
        status, _, body = self.server.request(
            "GET", "/v1/recommendations?user=someone&k=3&country=de&category=100000001")
        self.assertEqual(status, 200, body)
        answer = json.loads(body)
        self.assertEqual(answer["user"], "someone")
        recommendations = answer["recommendations"]
        self.assertEqual(len(recommendations), 3)
        scores = [r["score"] for r in recommendations]
        self.assertEqual(scores, sorted(scores, reverse=True))
        self.assertTrue(all(isinstance(s, float) and 0 < s < 1 for s in scores))
        self.assertTrue(all(r["text"] for r in recommendations))
        self.assertEqual(self.server.request("GET", "/v1/recommendations?k=3")[0], 400)

    def test_settings_auth_and_limits(self):
        config = self.dir / "serve.json"
        config.write_text(json.dumps({"api_keys": ["k1", "k2"], "admin_token": "a" * 20,
                                      "rate_limit_per_second": 0.1, "rate_limit_burst": 3,
                                      "max_header_bytes": 8192, "port": 1}))
        # A bad value anywhere stops the start with the key, the source and why.
        bad = subprocess.run([BINARY, "serve", "--config", str(config), "--data-dir",
                              str(self.dir / "x")], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "PROMOREC_IDLE_TIMEOUT_SECONDS": "0"})
        self.assertEqual(bad.returncode, 2)
        self.assertIn("idle_timeout_seconds '0' (from PROMOREC_IDLE_TIMEOUT_SECONDS)", bad.stderr)
        # Flags beat the file (port 1 there).
        guarded = Server("--config", str(config), "--data-dir", str(self.dir / "guarded"))
        try:
            line = b"u1,o1,de,c1,m1,1518318207.8448,1\n"
            status, _, reply = guarded.request("POST", "/v1/events", line,
                                               {"Content-Type": "text/csv"})
            self.assertEqual(status, 401)
            self.assertEqual(json.loads(reply)["error"]["code"], "unauthorized")
            status, _, _ = guarded.request("POST", "/v1/events", line,
                                           {"Content-Type": "text/csv", "X-Api-Key": "k2"})
            self.assertEqual(status, 200)
            # The two requests above took two of the burst of 3, refilled at
            # only 0.1/s: the second of these finds the bucket empty, however
            # slow the machine.
            statuses = [guarded.request("GET", "/v1/recommendations?user=u",
                                        headers={"Authorization": "Bearer k1"})[0]
                        for _ in range(3)]
            self.assertIn(429, statuses)
            status, headers, _ = guarded.request("GET", "/v1/recommendations?user=u",
                                                 headers={"Authorization": "Bearer k1"})
            self.assertEqual(status, 429)
            self.assertEqual(headers.get("Retry-After"), "1")
            self.assertEqual(guarded.request("GET", "/healthz")[0], 200, "health is not limited")
            self.assertEqual(guarded.request("GET", "/v1/admin/config")[0], 401)
            status, _, body = guarded.request("GET", "/v1/admin/config",
                                              headers={"Authorization": "Bearer " + "a" * 20})
            self.assertEqual(status, 200)
            self.assertNotIn("k1", body.decode())
            self.assertEqual(json.loads(body)["api_keys"], 2)
            status, _, _ = guarded.request("GET", "/healthz", headers={"X-Big": "y" * 20000})
            self.assertIn(status, (413, 431))
        finally:
            self.assertEqual(guarded.stop(), 0)

    def test_sigterm_lets_a_request_in_flight_finish(self):
        host, port = self.server.url[len("http://"):].split(":")
        body = "".join(f"u{i},o{i % 20},de,c1,m1,{1518318207 + i},{i % 2}\n"
                       for i in range(2000)).encode()
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            # "Expect: 100-continue" makes the server answer once it has taken
            # the request on, so the request is surely in flight before the
            # signal, however slow the server (e.g. under a sanitizer).
            conn.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                         + f"Content-Length: {len(body)}\r\nConnection: close\r\n".encode()
                         + b"Expect: 100-continue\r\n\r\n")
            interim = b""
            while b"\r\n\r\n" not in interim:
                chunk = conn.recv(4096)
                self.assertTrue(chunk, "the server closed before 100 Continue")
                interim += chunk
            self.assertIn(b"100 Continue", interim)
            self.server.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            conn.sendall(body)
            reply = b""
            while chunk := conn.recv(65536):
                reply += chunk
        self.assertIn(b"200 OK", reply.split(b"\r\n", 1)[0])
        self.assertIn(b'"accepted":2000', reply)
        self.assertEqual(self.server.process.wait(timeout=30), 0)
        self.server.process.stdout.close()
        self.server.process.stderr.close()
        stat = run("log", "stat", "--json", "--data-dir", str(self.data))
        clicks = [s for s in json.loads(stat.stdout)["streams"] if s["name"] == "clicks"][0]
        self.assertEqual(clicks["records"], 2000)

    def test_signatures_are_checked_when_credentials_are_set(self):
        signed = Server("--data-dir", str(self.dir / "signed"), "--model", str(self.model),
                        "--aws-credentials", "promorec:promorec,other:secret2")
        try:
            def aws(secret, *args):
                return subprocess.run([AWS, "--endpoint-url", signed.url, "--output", "json",
                                       *args], capture_output=True, text=True, timeout=120,
                                      env={**os.environ, **AWS_ENV,
                                           "AWS_SECRET_ACCESS_KEY": secret})
            good = aws("promorec", "kinesis", "create-stream", "--stream-name", "s",
                       "--shard-count", "1")
            self.assertEqual(good.returncode, 0, good.stderr)
            bad = aws("wrong", "kinesis", "list-streams")
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("InvalidSignatureException", bad.stderr)
            out = self.dir / "signed.json"
            body = json.dumps({"instances": [{"keys": ["userid"], "values": ["u"]}]})
            invoked = aws("promorec", "sagemaker-runtime", "invoke-endpoint", "--endpoint-name",
                          "e", "--content-type", "application/json", "--cli-binary-format",
                          "raw-in-base64-out", "--body", body, str(out))
            self.assertEqual(invoked.returncode, 0, invoked.stderr)
            refused = aws("wrong", "sagemaker-runtime", "invoke-endpoint", "--endpoint-name",
                          "e", "--content-type", "application/json", "--cli-binary-format",
                          "raw-in-base64-out", "--body", body, str(out))
            self.assertNotEqual(refused.returncode, 0)
        finally:
            self.assertEqual(signed.stop(), 0)

    def test_https_with_a_certificate(self):
        cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                               "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj",
                               "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(made.returncode, 0, made.stderr)
        secure = Server("--data-dir", str(self.dir / "tls"), "--tls-cert", str(cert),
                        "--tls-key", str(key))
        try:
            self.assertTrue(secure.url.startswith("https://127.0.0.1:"), secure.url)
            context = ssl.create_default_context(cafile=str(cert))
            with urllib.request.urlopen(secure.url + "/healthz", timeout=30,
                                        context=context) as response:
                self.assertEqual(json.load(response), {"status": "ok"})
            with self.assertRaises(Exception):
                urllib.request.urlopen(secure.url.replace("https", "http") + "/healthz",
                                       timeout=10)
        finally:
            self.assertEqual(secure.stop(), 0)
        half = subprocess.run([BINARY, "serve", "--tls-cert", str(cert), "--data-dir",
                               str(self.dir / "half")], capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(half.returncode, 2)
        self.assertIn("tls_cert and tls_key go together", half.stderr)

    PROMOTIONS = {"promotions": [
        {"id": "DE10", "text": "10% off in Germany", "eligibility": {"countries": ["DE"]}},
        {"id": "LOYAL", "text": "Thanks for coming back",
         "eligibility": {"returning_shoppers_only": True}},
        {"id": "WELCOME", "text": "Welcome!", "eligibility": {"new_shoppers_only": True}},
        {"id": "BIG", "text": "5 off orders from 100", "eligibility": {"min_price": 100}},
        {"id": "GONE", "text": "Expired", "eligibility": {"valid_until": "2020-01-01T00:00:00Z"}},
        {"id": "ALWAYS", "text": "Free shipping", "code": "SHIPFREE"}]}

    def recommend(self, server, query):
        status, _, body = server.request("GET", "/v1/recommendations?k=10&" + query)
        self.assertEqual(status, 200, body)
        answer = json.loads(body)
        self.assertTrue(all(isinstance(r["score"], float) for r in answer["recommendations"]))
        return answer["profile"], {r["promotion_id"]: r["text"]
                                   for r in answer["recommendations"]}

    def serve_with_promotions(self, name):
        data = self.dir / name
        data.mkdir()
        (data / "promotions.json").write_text(json.dumps(self.PROMOTIONS))
        server = Server("--data-dir", str(data), "--model", str(self.model))
        return data, server, server.process.stdout.readline()

    def test_promotions_json_rules_are_served(self):
        data, server, startup = self.serve_with_promotions("rules")
        try:
            self.assertIn(f"6 promotions from {data}/promotions.json", startup)
            profile, shown = self.recommend(server, "user=nobody&country=de")
            self.assertFalse(profile)
            self.assertEqual(set(shown), {"DE10", "WELCOME", "BIG", "ALWAYS"})
            self.assertEqual(shown["DE10"], "10% off in Germany")
            _, shown = self.recommend(server, "user=nobody&country=fr&price=20")
            self.assertEqual(set(shown), {"WELCOME", "ALWAYS"})
            status, _, _ = server.request("GET", "/v1/recommendations?user=x&price=cheap")
            self.assertEqual(status, 400)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_profile_from_events_changes_recommendations(self):
        data, server, startup = self.serve_with_promotions("profiles")
        try:
            self.assertIn("profiles: 0 users (no snapshot, 0 events replayed", startup)
            profile, shown = self.recommend(server, "user=u9")
            self.assertFalse(profile)
            self.assertEqual(set(shown), {"WELCOME", "BIG", "ALWAYS"})
            event = {"user_id": "u9", "product": "p1", "country": "de", "rating": 0}
            status, _, reply = server.request("POST", "/v1/events", json.dumps(event).encode(),
                                              {"Content-Type": "application/json"})
            self.assertEqual(status, 200, reply)
            profile, shown = self.recommend(server, "user=u9")
            self.assertTrue(profile)
            self.assertEqual(set(shown), {"DE10", "WELCOME", "BIG", "ALWAYS"},
                             "the country comes from the profile")
            event = {"user_id": "u9", "product": "p2", "rating": 1}
            status, _, reply = server.request("POST", "/v1/events", json.dumps(event).encode(),
                                              {"Content-Type": "application/json"})
            self.assertEqual(status, 200, reply)
            _, shown = self.recommend(server, "user=u9")
            self.assertEqual(set(shown), {"DE10", "LOYAL", "BIG", "ALWAYS"},
                             "a click makes a returning shopper")
        finally:
            self.assertEqual(server.stop(), 0)
        self.assertTrue((data / "profiles" / "snapshot").exists())
        # Events stored while the server is down are replayed after the
        # snapshot at the next start; those in the snapshot are not again.
        events = data / "more.json"
        events.write_text(json.dumps({"user_id": "u10", "product": "p1", "country": "de",
                                      "rating": 0, "timestamp": 1700000000}) + "\n")
        imported = run("import", "--format", "json", "--data-dir", str(data), str(events))
        self.assertEqual(imported.returncode, 0, imported.stderr)
        again = Server("--data-dir", str(data), "--model", str(self.model))
        try:
            startup = again.process.stdout.readline()
            self.assertIn(f"profiles: 2 users (1 from {data}/profiles/snapshot, "
                          "1 events replayed", startup)
            profile, shown = self.recommend(again, "user=u9")
            self.assertTrue(profile)
            self.assertIn("LOYAL", shown)
            profile, shown = self.recommend(again, "user=u10")
            self.assertTrue(profile)
            self.assertIn("DE10", shown)
        finally:
            self.assertEqual(again.stop(), 0)

    def test_profiles_are_snapshotted_while_serving(self):
        """After SIGKILL the next start replays only what came after the last
        periodic snapshot, not the whole stream."""
        data = self.dir / "periodic"
        data.mkdir()
        server = Server("--data-dir", str(data), "--model", str(self.model),
                        "--profile-snapshot", "1")
        events = "".join(json.dumps({"user_id": f"u{i}", "product": "p1", "country": "de",
                                     "rating": 0, "timestamp": 1700000000 + i}) + "\n"
                         for i in range(5))
        try:
            status, _, reply = server.request("POST", "/v1/events", events.encode(),
                                              {"Content-Type": "application/x-ndjson"})
            self.assertEqual(status, 200, reply)
            snapshot = data / "profiles" / "snapshot"
            deadline = time.monotonic() + 30
            while not snapshot.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue(snapshot.exists(), "no snapshot while serving")
            time.sleep(1.5)  # a later snapshot holds the five events for sure
        finally:
            server.process.kill()
            server.process.wait(timeout=30)
            server.process.stdout.close()
            server.process.stderr.close()
        again = Server("--data-dir", str(data), "--model", str(self.model))
        try:
            startup = again.process.stdout.readline()
            self.assertIn(f"profiles: 5 users (5 from {data}/profiles/snapshot, "
                          "0 events replayed", startup)
        finally:
            self.assertEqual(again.stop(), 0)

    def test_retention_runs_on_a_schedule(self):
        data = self.dir / "retention"
        data.mkdir()
        server = Server("--data-dir", str(data), "--retention-check", "1")
        try:
            deadline = time.monotonic() + 30
            exposition = ""
            while time.monotonic() < deadline:
                status, _, body = server.request("GET", "/metrics")
                self.assertEqual(status, 200)
                exposition = body.decode()
                if "promorec_retention_runs_total" in exposition:
                    break
                time.sleep(0.1)
            self.assertIn("promorec_retention_runs_total", exposition)
            self.assertIn('promorec_retention_segments_deleted_total{stream="clicks"} 0',
                          exposition)
        finally:
            self.assertEqual(server.stop(), 0)

    def start_fails(self, data):
        return subprocess.run([BINARY, "serve", "--port", "0", "--data-dir", str(data),
                               "--model", str(self.model)], capture_output=True, text=True,
                              timeout=60)

    def test_bad_promotions_json_stops_the_start(self):
        data = self.dir / "bad-promotions"
        data.mkdir()
        (data / "promotions.json").write_text(
            '[{"id": "A", "text": "a"}, {"id": "B", "text": "b", '
            '"eligibility": {"countrys": ["de"]}}]')
        failed = self.start_fails(data)
        self.assertEqual(failed.returncode, 1)
        self.assertEqual(failed.stdout, "")
        self.assertIn(f'promorec serve: invalid_argument: {data}/promotions.json: '
                      'promotions[1].eligibility: unknown key "countrys"\n', failed.stderr)

    def test_damaged_profile_snapshot_stops_the_start(self):
        data = self.dir / "bad-snapshot"
        (data / "profiles").mkdir(parents=True)
        (data / "profiles" / "snapshot").write_bytes(b"PROFILEZ" + bytes(8))
        failed = self.start_fails(data)
        self.assertEqual(failed.returncode, 1)
        self.assertIn(f"{data}/profiles/snapshot: header: bad magic (not a profile snapshot)",
                      failed.stderr)

    def test_sigterm_stops_cleanly(self):
        self.assertEqual(self.server.stop(), 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
