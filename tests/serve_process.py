"""A `promorec serve` process on a free port, for the Python tests that
drive a real server (serve_test.py, agent_test.py), and a reader for the
event records they find in its streams."""
import base64
import json
import signal
import subprocess
import urllib.error
import urllib.request

# Kinesis requests must carry a SigV4-shaped Authorization header; without
# configured credentials the server does not check the signature itself.
UNCHECKED_SIGNATURE = ("AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/kinesis/"
                       "aws4_request, SignedHeaders=host, Signature=0")


def event_record_fields(record):
    """event_id, user_id, offer_id, country, category and product of a binary event
    record (docs/formats/event-record.md, versions 1 and 2): the strings after its
    3-byte header."""
    assert record[0] == 0xC1 and record[1] in (1, 2), record
    fields, at = [], 3
    for _ in range(6):
        length, shift = 0, 0
        while True:
            byte = record[at]
            at += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        fields.append(record[at:at + length].decode())
        at += length
    return fields


class ServeProcess:
    def __init__(self, binary, *args):
        self.process = subprocess.Popen([binary, "serve", "--port", "0", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        first = self.process.stdout.readline()
        if "listening on" not in first:
            self.process.kill()
            raise AssertionError(f"serve did not start: {first} {self.process.stderr.read()}")
        self.url = first.split()[4]

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes), error statuses included."""
        req = urllib.request.Request(self.url + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def kinesis(self, operation, body):
        """One Kinesis API call; its JSON answer (None when empty)."""
        status, _, text = self.request(
            "POST", "/", json.dumps(body).encode(),
            {"X-Amz-Target": f"Kinesis_20131202.{operation}",
             "Content-Type": "application/x-amz-json-1.1", "Authorization": UNCHECKED_SIGNATURE})
        if status != 200:
            raise AssertionError(f"{operation}: {status} {text}")
        return json.loads(text) if text.strip() else None

    def read_stream(self, name):
        """Every record of every shard: a list of (partition key, data bytes)."""
        records = []
        for shard in self.kinesis("ListShards", {"StreamName": name})["Shards"]:
            iterator = self.kinesis("GetShardIterator", {
                "StreamName": name, "ShardId": shard["ShardId"],
                "ShardIteratorType": "TRIM_HORIZON"})["ShardIterator"]
            while True:
                page = self.kinesis("GetRecords", {"ShardIterator": iterator, "Limit": 10000})
                records += [(r["PartitionKey"], base64.b64decode(r["Data"]))
                            for r in page["Records"]]
                iterator = page["NextShardIterator"]
                if not page["Records"]:
                    break
        return records

    def stop(self):
        """SIGTERM; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.process.stdout.close()
        self.process.stderr.close()
        return code
