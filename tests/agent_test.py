#!/usr/bin/env python3
"""`promorec agent` against a real `promorec serve`: click lines written to
rotating (and once truncated) log files while the agent is killed with
SIGKILL and restarted, then every line is looked for in the stream it was
shipped to, read back through the server's Kinesis API. A line may arrive
twice (the batch in flight at a kill), but then byte for byte the same
record, and never more than one batch per kill."""
import argparse
import base64
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from serve_process import ServeProcess, event_record_fields

BINARY = None
BATCH = 50


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def Server(data_dir):
    return ServeProcess(BINARY, "--data-dir", data_dir)


def event_ids(record):
    """(event_id, user_id) of a binary event record (docs/formats/event-record.md)."""
    return tuple(event_record_fields(record)[:2])


def click_line(n):
    # Unique user ids; the timestamp varies so that every event id differs.
    return f"user{n:06d},offer{n % 7},de,cat{n % 5},merchant{n % 3},{1518318207 + n}.25,{n % 2}"


class Agent:
    """A `promorec agent` process; its stderr goes to a file to read on failure."""

    def __init__(self, log_dir, *args):
        self.args = [BINARY, "--log-level", "warn", "agent", *args]
        self.log_path = pathlib.Path(log_dir) / "agent.stderr"
        self.process = None
        self.start()

    def start(self):
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=log)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=30)

    def terminate(self):
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def log(self):
        return self.log_path.read_text(errors="replace")[-4000:]


class AgentTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)
        self.logs = self.dir / "logs"
        self.logs.mkdir()
        self.server = Server(str(self.dir / "data"))
        self.agent = None

    def tearDown(self):
        if self.agent and self.agent.process.poll() is None:
            self.agent.kill()
        self.assertEqual(self.server.stop(), 0)
        self.tmp.cleanup()

    def agent_args(self, glob, *extra):
        return ["--watch", str(glob), "--to", self.server.url, "--checkpoint",
                str(self.dir / "agent.checkpoint"), "--batch-records", str(BATCH),
                "--batch-age-ms", "100", "--poll-ms", "50", "--max-backoff-ms", "500", *extra]

    def test_kills_and_rotations_lose_nothing_on_the_events_route(self):
        log = self.logs / "clicks.log"
        self.agent = Agent(self.dir, *self.agent_args(self.logs / "clicks.log*"))
        total, chunk, kills = 4000, 100, 0
        out = open(log, "a")
        for c in range(total // chunk):
            lines = [click_line(n) for n in range(c * chunk, (c + 1) * chunk)]
            text = "\n".join(lines) + "\n"
            # Every third chunk ends in the middle of a line; the rest of it
            # comes a moment later, as from a slow writer.
            cut = len(text) - 10 if c % 3 == 0 else len(text)
            out.write(text[:cut])
            out.flush()
            if cut < len(text):
                time.sleep(0.06)
                out.write(text[cut:])
                out.flush()
            if c % 8 == 7:  # rotate: rename away, the writer starts a new file
                out.close()
                os.rename(log, self.logs / f"clicks.log.{c // 8}")
                out = open(log, "a")
            if c % 5 == 2 or c % 8 == 7:
                self.agent.kill()
                kills += 1
                self.agent.start()
            time.sleep(0.03)
        out.close()

        expected = {f"user{n:06d}" for n in range(total)}

        def stored():
            records = self.server.read_stream("clicks")
            return records if {event_ids(data)[1] for _, data in records} >= expected else None

        try:
            records = wait_for(stored, 60, "every line in stream clicks")
        except AssertionError:
            raise AssertionError(f"agent log:\n{self.agent.log()}")
        self.assertEqual(self.agent.terminate(), 0, self.agent.log())

        by_user = {}
        for _, data in records:
            event_id, user = event_ids(data)
            by_user.setdefault(user, set()).add(data)
        self.assertEqual(set(by_user), expected)
        for user, versions in by_user.items():
            self.assertEqual(len(versions), 1, f"{user} arrived as different records")
        duplicates = len(records) - total
        self.assertLessEqual(duplicates, kills * BATCH,
                             f"{duplicates} duplicates after {kills} kills")
        print(f"agent_test: {total} lines, {kills} kills, {duplicates} duplicates",
              file=sys.stderr)

    def test_kinesis_stream_rotation_out_of_the_glob_and_truncation(self):
        stream = "agentstream"
        self.server.kinesis("CreateStream", {"StreamName": stream, "ShardCount": 2})
        log = self.logs / "app.log"
        self.agent = Agent(self.dir, *self.agent_args(log, "--stream", stream))
        expected = []

        def write(path, first, count):
            lines = [click_line(n) for n in range(first, first + count)]
            with open(path, "a") as f:
                f.write("\n".join(lines) + "\n")
            expected.extend(lines)

        def arrived():
            records = self.server.read_stream(stream)
            return records if {d.decode() for _, d in records} >= set(expected) else None

        def all_arrived(what):
            try:
                return wait_for(arrived, 60, what)
            except AssertionError:
                raise AssertionError(f"{what}; agent log:\n{self.agent.log()}")

        write(log, 0, 300)
        all_arrived("the first file")
        # Rotation to a name outside the glob; the writer still adds to the
        # old file before it moves on to the new one.
        write(log, 300, 100)
        os.rename(log, self.logs / "app.log.1")
        write(self.logs / "app.log.1", 400, 20)
        write(log, 420, 200)
        self.agent.kill()
        self.agent.start()
        write(log, 620, 100)
        all_arrived("the rotated and the new file")
        # Truncation: the file starts again from nothing.
        os.truncate(log, 0)
        write(log, 720, 50)
        records = all_arrived("the lines written after truncation")
        self.assertEqual(self.agent.terminate(), 0, self.agent.log())

        self.assertEqual({d.decode() for _, d in records}, set(expected))
        for key, data in records:
            self.assertEqual(key, data.decode().split(",")[0])
        self.assertLessEqual(len(records) - len(expected), BATCH)
        checkpoint = (self.dir / "agent.checkpoint").read_text()
        self.assertTrue(checkpoint.startswith("promorec-agent-checkpoint 1\n"), checkpoint)
        self.assertIn(str(log), checkpoint)

    def test_kasandr_needs_a_stream_and_bad_urls_are_refused(self):
        result = subprocess.run([BINARY, "agent", "--watch", "x*", "--to", self.server.url,
                                 "--format", "kasandr"], capture_output=True, text=True,
                                timeout=30)
        self.assertEqual(result.returncode, 2)
        self.assertIn("--stream", result.stderr)
        result = subprocess.run([BINARY, "agent", "--watch", "x*", "--to", "https://h/"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 2)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = args.binary
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
