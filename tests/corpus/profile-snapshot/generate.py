#!/usr/bin/env python3
"""Writes the bad-input corpus of the profile snapshot parser
(docs/formats/profile-snapshot.md) into this folder: one NAME.snap per case.
The expected messages (NAME.snap.expected) come from the parser:
PROMOREC_UPDATE_GOLDEN=1 promorec_profile_test, then review the diff."""
import pathlib
import struct


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def header(version=1, magic=b"PROFILES"):
    head = magic + struct.pack("<I", version)
    return head + struct.pack("<I", masked(head))


def string(s):
    return struct.pack("<H", len(s)) + s


def payload(user=b"alice", country=b"de", category=b"shoes", product=b"p1", events=3, clicks=1,
            first=1518318207844800, last=1518318300000000, extra=b""):
    return (string(user) + string(country) + string(category) + string(product) +
            struct.pack("<QQqq", events, clicks, first, last) + extra)


def record(body, length=None, crc=None):
    return (struct.pack("<I", len(body) if length is None else length) +
            struct.pack("<I", masked(body) if crc is None else crc) + body)


def trailer(count, positions=(), crc=None):
    body = struct.pack("<QI", count, len(positions)) + b"".join(
        struct.pack("<Q", p) for p in positions)
    return struct.pack("<I", 0) + struct.pack("<I", masked(body) if crc is None else crc) + body


def main():
    here = pathlib.Path(__file__).resolve().parent
    alice = record(payload())
    bob = record(payload(user=b"bob", country=b"", events=1, clicks=0, first=5, last=5))
    good = header() + alice + bob + trailer(2, (5, 9, 1, 1))
    flipped = bytearray(good)
    flipped[16 + 8 + 3] ^= 0x01
    cases = {
        "valid": good,
        "empty-file": b"",
        "short-header": b"PROF",
        "bad-magic": header(magic=b"PROFILEZ") + trailer(0),
        "header-crc": b"PROFILES" + struct.pack("<II", 1, 0) + trailer(0),
        "version-2": header(version=2) + trailer(0),
        "header-only": header(),
        "no-trailer": header() + alice,
        "record-crc": bytes(flipped),
        "record-cut-off": header() + alice[:20],
        "length-field-cut-off": header() + alice + b"\x05\x00",
        "length-over-limit": header() + record(payload(), length=70000),
        "duplicate-user": header() + alice + alice + trailer(2),
        "clicks-exceed-events": header() + record(payload(events=4, clicks=5)) + trailer(1),
        "zero-events": header() + record(payload(events=0, clicks=0)) + trailer(1),
        "first-after-last": header() + record(payload(first=10, last=9)) + trailer(1),
        "empty-user": header() + record(payload(user=b"")) + trailer(1),
        "bytes-after-last-field": header() + record(payload(extra=b"\x00\x00")) + trailer(1),
        "string-too-long": header() + record(payload(category=b"c" * 300)) + trailer(1),
        "payload-ends-inside": header() + record(payload()[:30]) + trailer(1),
        "trailer-cut-off": header() + alice + trailer(1)[:12],
        "trailer-positions-cut-off": header() + alice + trailer(1, (1, 2))[:-4],
        "trailer-crc": header() + alice + trailer(1, (3,), crc=0x12345678),
        "trailer-count-mismatch": header() + alice + trailer(3),
        "positions-over-limit": header() + trailer(0)[:16] + struct.pack("<I", 5000),
        "bytes-after-trailer": good + b"\n",
    }
    for name, data in cases.items():
        (here / f"{name}.snap").write_bytes(data)


if __name__ == "__main__":
    main()
