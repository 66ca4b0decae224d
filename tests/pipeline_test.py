#!/usr/bin/env python3
"""The decision pipeline of `promorec serve`, driven from outside as a shop
would: view events in, decisions out on every channel (the `impressions`
stream, signed webhooks to a real HTTP receiver, email to a real SMTP server
(Debian's aiosmtpd), live Server-Sent Events) and in the lake, read by DuckDB
itself. And exactly once in effect: the server is SIGKILLed at random points
while a producer sends a fixed set of events (some of them twice), and every
qualifying event must end up with exactly one decision everywhere."""
import argparse
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from serve_process import ServeProcess  # noqa: E402

BINARY = None
ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = "webhook-secret-0123456789"
T0 = 1765000000  # event time, epoch seconds


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class WebhookReceiver:
    """A shop's webhook endpoint: checks every signature with its own HMAC and
    keeps what it received (a receiver that keeps decision ids sees each once)."""

    def __init__(self):
        received = self.received = []
        lock = self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = dict(part.split("=", 1)
                                 for part in self.headers["X-Promorec-Signature"].split(","))
                expected = hmac.new(SECRET.encode(), signature["t"].encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, signature["v1"])
                with lock:
                    received.append((self.headers["Idempotency-Key"], json.loads(body), ok))
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids(self):
        with self.lock:
            return {key for key, _, _ in self.received}

    def all(self):
        with self.lock:
            return list(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpServer:
    """Debian's aiosmtpd, writing each message it receives into a maildir."""

    def __init__(self, directory):
        self.maildir = pathlib.Path(directory) / "mail"
        self.port = free_port()
        # Debian's interpreter: the package is installed for it.
        self.process = subprocess.Popen(
            ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False
        wait_for(listening, 20, "the SMTP server to listen")

    def messages(self):
        new = self.maildir / "new"
        if not new.exists():
            return []
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted(new.iterdir())]

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class LiveClient:
    """An SSE connection to GET /v1/notifications?user=U; reconnects with
    Last-Event-ID after the server went away, as a browser's EventSource does."""

    def __init__(self, user):
        self.user = user
        self.ids = []
        self.last_id = None
        self.stop = False
        self.port = None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def point_at(self, port):
        with self.lock:
            self.port = port
        if not self.thread.is_alive():
            self.thread.start()

    def run(self):
        while not self.stop:
            with self.lock:
                port = self.port
            try:
                self.listen(port)
            except OSError:
                pass
            time.sleep(0.05)

    def listen(self, port):
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            headers = f"GET /v1/notifications?user={self.user} HTTP/1.1\r\nHost: x\r\n"
            if self.last_id:
                headers += f"Last-Event-ID: {self.last_id}\r\n"
            s.sendall((headers + "\r\n").encode())
            s.settimeout(0.5)
            buffer = b""
            while not self.stop:
                with self.lock:
                    if self.port != port:
                        return
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    return
                buffer += chunk
                while b"\n\n" in buffer:
                    frame, buffer = buffer.split(b"\n\n", 1)
                    self.take(frame.decode(errors="replace"))

    def take(self, frame):
        event_id, data = None, None
        for line in frame.splitlines():
            # Chunked transfer framing lines and comments are not SSE fields.
            if line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
        if event_id and data:
            self.ids.append(data["decision_id"])
            self.last_id = event_id


def view(n, user, email_address=None):
    event = {"event_id": f"view-{n}", "user_id": user, "product": f"product-{n % 9}",
             "category": f"cat-{n % 4}", "country": "de", "type": "view", "timestamp": T0 + n}
    if email_address:
        event["attributes"] = {"email": email_address}
    return event


def lake_query(data_dir, sql):
    out = subprocess.run(
        ["node", str(ROOT / "tests/node/lake_query.mjs"), "--binary", BINARY,
         "--data-dir", str(data_dir), "--sql", sql],
        capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"lake query failed: {out.stderr}")
    return json.loads(out.stdout)


class PipelineTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.data = pathlib.Path(self.dir.name) / "data"
        self.hook = WebhookReceiver()
        self.smtp = SmtpServer(self.dir.name)
        self.server = None

    def tearDown(self):
        if self.server is not None and self.server.process.poll() is None:
            self.server.process.kill()
            self.server.process.wait()
        self.hook.close()
        self.smtp.close()
        self.dir.cleanup()

    def start(self):
        self.server = ServeProcess(
            BINARY, "--data-dir", str(self.data), "--webhook-url", self.hook.url,
            "--webhook-secret", SECRET, "--smtp-url", f"smtp://127.0.0.1:{self.smtp.port}",
            "--smtp-from", "shop@example.com", "--profile-snapshot", "1")
        return self.server

    def send(self, events):
        status, _, body = self.server.request(
            "POST", "/v1/events", json.dumps(events).encode(),
            {"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["rejected"], [])

    def decisions(self):
        """The ad log: decision records by id, failing on a repeat."""
        out = {}
        for key, data in self.server.read_stream("impressions"):
            record = json.loads(data)
            self.assertEqual(key, record["user_id"])
            self.assertNotIn(record["decision_id"], out, "a decision logged twice")
            out[record["decision_id"]] = record
        return out

    def test_a_view_reaches_every_channel_and_the_lake(self):
        server = self.start()
        live = LiveClient("ann")
        live.point_at(int(server.url.rsplit(":", 1)[1]))
        time.sleep(0.3)  # the live connection is open
        events = [view(1, "ann", "ann@example.com"), view(2, "bob"), view(3, "ann"),
                  {"event_id": "buy-1", "user_id": "bob", "product": "product-2", "type": "buy",
                   "timestamp": T0 + 60}]
        self.send(events)
        self.send(events[:2])  # a producer's retry: no second effect
        decisions = wait_for(lambda: len(self.decisions()) == 3 and self.decisions(), 20,
                             "three decisions")
        by_event = {d["event_id"]: d for d in decisions.values()}
        self.assertEqual(set(by_event), {"view-1", "view-2", "view-3"})
        first = by_event["view-1"]
        self.assertEqual(first["policy"], "uniform")  # no model: the cold start
        self.assertAlmostEqual(first["probability"], 1 / 20)
        self.assertEqual(len(first["candidates"]["scores"]), 20)
        self.assertEqual(first["subject"], "You have a coupon!")
        self.assertEqual(
            first["message"],
            "We noticed you were looking at our product-1 today. We thought that a discount "
            f"might make your decision easier - {first['promotion_text']}! Enter code "
            f"{first['promotion_code']} on the checkout page.")

        wait_for(lambda: self.hook.ids() == set(decisions), 20, "the webhook deliveries")
        for key, body, signed in self.hook.all():
            self.assertTrue(signed)
            self.assertEqual(body["decision_id"], key)
            self.assertEqual(body["message"], decisions[key]["message"])
        mail = wait_for(lambda: self.smtp.messages(), 20, "the email")
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail[0]["To"], "ann@example.com")
        self.assertEqual(mail[0]["Subject"], "You have a coupon!")
        self.assertIn(first["decision_id"], mail[0]["Message-ID"])
        self.assertEqual(mail[0].get_content().strip(), first["message"])
        wait_for(lambda: len(live.ids) == 2, 20, "ann's two live notifications")
        self.assertEqual(sorted(live.ids),
                         sorted([by_event["view-1"]["decision_id"],
                                 by_event["view-3"]["decision_id"]]))
        live.stop = True

        self.assertEqual(server.stop(), 0)
        clicks = lake_query(self.data, "SELECT event_id, type FROM clicks ORDER BY event_id")
        self.assertEqual(clicks, [{"event_id": "buy-1", "type": "buy"},
                                  {"event_id": "view-1", "type": "view"},
                                  {"event_id": "view-2", "type": "view"},
                                  {"event_id": "view-3", "type": "view"}])
        rows = lake_query(self.data,
                          "SELECT decision_id, promotion_id, probability FROM decisions")
        self.assertEqual({r["decision_id"]: (r["promotion_id"], r["probability"]) for r in rows},
                         {i: (d["promotion_id"], d["probability"]) for i, d in decisions.items()})

    def test_a_reward_labels_its_decision_in_the_examples_and_the_lake(self):
        server = self.start()
        status, _, body = server.request(
            "POST", "/v1/decisions",
            json.dumps({"user_id": "ann", "request_id": "slot-1", "product": "hat"}).encode(),
            {"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        decision = json.loads(body)["decision_id"]
        status, _, body = server.request("POST", f"/v1/decisions/{decision}/reward",
                                         b'{"reward": 1}', {"Content-Type": "application/json"})
        self.assertEqual(status, 202, body)
        self.assertEqual(json.loads(body)["decision_id"], decision)
        # Not a decision id, and a reward out of range: refused, nothing kept.
        status, _, _ = server.request("POST", "/v1/decisions/nope/reward", b'{"reward": 1}')
        self.assertEqual(status, 400)
        status, _, _ = server.request("POST", f"/v1/decisions/{decision}/reward",
                                      b'{"reward": 2}')
        self.assertEqual(status, 400)
        # A second reward for the same decision finds it labelled already.
        status, _, _ = server.request("POST", f"/v1/decisions/{decision}/reward",
                                      b'{"reward": 0}')
        self.assertEqual(status, 202)

        def examples():
            return [json.loads(data) for _, data in server.read_stream("examples")]
        labelled = wait_for(lambda: examples(), 20, "the rewarded example")
        self.assertEqual(len(labelled), 1)
        self.assertEqual(labelled[0]["example_id"], decision)
        self.assertEqual(labelled[0]["label"], 1)
        self.assertEqual(labelled[0]["outcome_event_id"], "reward")
        self.assertEqual(labelled[0]["product"], "hat")
        metrics = wait_for(lambda: (lambda m: 'promorec_rewards_total{result="unmatched"} 1' in m
                                    and m)(server.request("GET", "/metrics")[2].decode()),
                           20, "the rewards counted")
        self.assertIn('promorec_rewards_total{result="applied"} 1', metrics)
        self.assertEqual(server.stop(), 0)
        rows = lake_query(self.data, "SELECT example_id, label FROM examples")
        self.assertEqual(rows, [{"example_id": decision, "label": "1"}])

    def test_killed_at_random_points_every_event_is_decided_exactly_once(self):
        rng = random.Random(20261207)
        users = [f"shopper-{u}" for u in range(40)]
        # Three views per shopper: within the default frequency cap (3 an
        # hour), so every view gets exactly one decision.
        events = [view(n, users[n % 40], f"{users[n % 40]}@example.com" if n % 10 == 0 else None)
                  for n in range(120)]
        live = [LiveClient(user) for user in users[:4]]
        sent = 0
        for _ in range(10):
            server = self.start()
            for client in live:
                client.point_at(int(server.url.rsplit(":", 1)[1]))
            # A batch of new events and a few re-sent ones, then SIGKILL at
            # a random moment while the server decides and delivers.
            batch = events[sent:sent + rng.randint(5, 15)]
            resent = rng.sample(events[:sent], min(sent, 5))
            sent += len(batch)

            def produce():
                try:
                    for chunk in [*([e] for e in batch[:len(batch) // 2]), resent,
                                  *([e] for e in batch[len(batch) // 2:])]:
                        if chunk:
                            server.request("POST", "/v1/events", json.dumps(chunk).encode(),
                                           {"Content-Type": "application/json"})
                except OSError:
                    pass  # killed mid-request: the producer sends it again later
            producer = threading.Thread(target=produce)
            producer.start()
            time.sleep(rng.uniform(0.0, 0.15))
            server.process.send_signal(signal.SIGKILL)
            server.process.wait()
            server.process.stdout.close()
            server.process.stderr.close()
            producer.join()
        # The last run: the producer sends everything again, as one that
        # never saw its acknowledgements would.
        server = self.start()
        for client in live:
            client.point_at(int(server.url.rsplit(":", 1)[1]))
        for start in range(0, len(events), 40):
            self.send(events[start:start + 40])
        decisions = wait_for(lambda: len(self.decisions()) == 120 and self.decisions(), 60,
                             "a decision for each of the 120 views")
        self.assertEqual({d["event_id"] for d in decisions.values()},
                         {e["event_id"] for e in events})
        # Every decision reached the webhook receiver; repeats (a delivery
        # retried across a crash) carry the same decision id and body.
        wait_for(lambda: self.hook.ids() == set(decisions), 60, "every webhook delivery")
        bodies = {}
        for key, body, signed in self.hook.all():
            self.assertTrue(signed)
            self.assertEqual(body["decision_id"], key)
            self.assertEqual(bodies.setdefault(key, body), body)
        # Every decision for a watched shopper reached their live connection.
        for client in live:
            expected = {i for i, d in decisions.items() if d["user_id"] == client.user}
            wait_for(lambda: set(client.ids) >= expected, 30,
                     f"the live notifications of {client.user}")
            self.assertEqual(set(client.ids), expected)
            client.stop = True
        emailed = {i for i, d in decisions.items() if d["event_id"] in
                   {e["event_id"] for e in events if "attributes" in e}}
        wait_for(lambda: {m["Message-ID"].strip("<>").split("@")[0]
                          for m in self.smtp.messages()} >= emailed, 30, "every email")

        self.assertEqual(server.stop(), 0)
        # The lake holds whole files only, and exactly the events and the
        # decisions of the streams.
        for leftover in self.data.glob("lake/**/.*.tmp"):
            self.fail(f"a temporary file was left in the lake: {leftover}")
        clicks = lake_query(self.data, "SELECT event_id FROM clicks")
        self.assertEqual(sorted(r["event_id"] for r in clicks),
                         sorted(e["event_id"] for e in events))
        rows = lake_query(self.data, "SELECT decision_id FROM decisions")
        self.assertEqual(sorted(r["decision_id"] for r in rows), sorted(decisions))


def main():
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
