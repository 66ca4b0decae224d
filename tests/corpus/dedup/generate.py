#!/usr/bin/env python3
"""Writes the bad-input corpus of the de-duplication filter's checkpoint files
(docs/formats/dedup.md) into this folder: NAME.dds (segment files) and
NAME.ddm (manifests). The expected messages (NAME.dds.expected, ...) come
from the parsers: PROMOREC_UPDATE_GOLDEN=1 promorec_pipeline_test
--gtest_filter='DedupFormatTest.BadInputCorpus', then review the diff."""
import pathlib
import struct


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def mask(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def masked(data):
    return mask(crc32c(data))


def sealed_homes(n):
    return max(1, (n * 100 + 89) // 90)


def seg_header(count, homes=None, kind=1, shard=0, data_crc=0, segment_id=4, bucket=1000,
               version=1, magic=b"PROMODDS", pad=0, crc=None):
    homes = sealed_homes(count) if homes is None else homes
    head = magic + struct.pack("<IIII", version, kind, shard, data_crc) + struct.pack(
        "<QqQQ", segment_id, bucket, count, homes) + struct.pack("<I", pad)
    return head + struct.pack("<I", masked(head) if crc is None else crc)


def fps_bytes(fps):
    return b"".join(struct.pack("<Q", f) for f in fps)


def segment(fps, block_crc=None, data_crc=None, **kw):
    body = fps_bytes(fps)
    if data_crc is None:
        data_crc = masked(body)
    out = seg_header(len(fps), data_crc=data_crc, **kw)
    for i in range(0, len(fps), 4096):
        block = fps_bytes(fps[i:i + 4096])
        out += block + struct.pack("<I", masked(block) if block_crc is None else block_crc)
    return out


def entry(segment_id, bucket, count, homes, slots, written_by, data_crc, pad=0):
    return struct.pack("<QqQQQQII", segment_id, bucket, count, homes, slots, written_by,
                       data_crc, pad)


def shard_record(index, flags=0, sealed=(), newest=0, open_bucket=0, next_id=0,
                 counters=(0, 0, 0, 0), open_entry=b"", pad=0):
    out = struct.pack("<IIII", index, flags, len(sealed), pad) + struct.pack(
        "<qqQ", newest, open_bucket, next_id) + struct.pack("<QQQQ", *counters)
    return out + open_entry + b"".join(sealed)


def manifest(shards, checkpoint=3, window=3_600_000_000, buckets=16, max_bytes=1 << 30,
             version=1, magic=b"PROMODDM", pad=0, count=None, crc=None, extra=b""):
    body = magic + struct.pack("<II", version, len(shards) if count is None else count) + \
        struct.pack("<QqII", checkpoint, window, buckets, pad) + struct.pack("<Q", max_bytes)
    body += b"".join(shards) + extra
    return body + struct.pack("<I", masked(body) if crc is None else crc)


def main():
    here = pathlib.Path(__file__).resolve().parent
    fps = [0x1000 * (i + 1) for i in range(10)]
    good = segment(fps)
    cases = {
        "valid.dds": good,
        "valid-open.dds": segment(fps, kind=2, homes=1024),
        "empty.dds": b"",
        "short-header.dds": good[:40],
        "bad-magic.dds": segment(fps, magic=b"PROMODDX"),
        "header-crc.dds": good[:60] + b"\0\0\0\0" + good[64:],
        "version-2.dds": segment(fps, version=2),
        "bad-kind.dds": segment(fps, kind=3),
        "zero-count.dds": seg_header(0, homes=1),
        "sealed-homes.dds": segment(fps, homes=64),
        "open-homes.dds": segment(fps, kind=2, homes=1000),
        "open-too-full.dds": segment([0x10 * (i + 1) for i in range(800)], kind=2, homes=1024),
        # A huge table for ten ids: restoring it would allocate the claim.
        "open-homes-too-many.dds": segment(fps, kind=2, homes=1 << 36),
        "nonzero-pad.dds": segment(fps, pad=1),
        "cut-off.dds": good[:-5],
        "trailing-bytes.dds": good + b"\0",
        "block-crc.dds": segment(fps, block_crc=0),
        "zero-fingerprint.dds": segment([0] + fps[1:]),
        "descending.dds": segment([fps[1], fps[0]] + fps[2:]),
        "repeated.dds": segment(fps[:5] + [fps[4]] + fps[6:]),
        "data-crc.dds": segment(fps, data_crc=0x12345678),
    }
    sealed = [entry(5, 995, 100, sealed_homes(100), 128, 2, 7),
              entry(6, 999, 50, sealed_homes(50), 64, 3, 8)]
    live = shard_record(1, flags=3, sealed=sealed, newest=1_600_000_000_000_000,
                        open_bucket=1000, next_id=7, counters=(1, 2, 3, 4),
                        open_entry=entry(7, 1000, 20, 1024, 1088, 3, 9))
    idle = shard_record(0)
    good_m = manifest([idle, live])
    cases.update({
        "valid.ddm": good_m,
        "empty.ddm": b"",
        "short.ddm": good_m[:30],
        "bad-magic.ddm": manifest([idle, live], magic=b"PROMODDX"),
        "version-2.ddm": manifest([idle, live], version=2),
        "trailer-crc.ddm": good_m[:-4] + b"\0\0\0\0",
        "zero-shards.ddm": manifest([], count=0),
        "shard-count-over.ddm": manifest([idle], count=5000),
        "checkpoint-zero.ddm": manifest([idle], checkpoint=0),
        "window-zero.ddm": manifest([idle], window=0),
        "buckets-over.ddm": manifest([idle], buckets=2000),
        "header-pad.ddm": manifest([idle], pad=1),
        "cut-in-shard.ddm": manifest([idle, live[:50]], count=2),
        "cut-in-entry.ddm": manifest([idle, live[:-20]]),
        "missing-shard.ddm": manifest([idle], count=2),
        "wrong-index.ddm": manifest([shard_record(1), live]),
        "unknown-flags.ddm": manifest([shard_record(0, flags=4), live]),
        "shard-pad.ddm": manifest([shard_record(0, pad=9), live]),
        "no-time-but-segments.ddm": manifest([shard_record(0, sealed=sealed[:1]), live]),
        "open-id.ddm": manifest([idle, shard_record(
            1, flags=3, sealed=sealed, open_bucket=1000, next_id=7,
            open_entry=entry(8, 1000, 20, 1024, 1088, 3, 9))]),
        "open-bucket.ddm": manifest([idle, shard_record(
            1, flags=3, sealed=sealed, open_bucket=1000, next_id=7,
            open_entry=entry(7, 999, 20, 1024, 1088, 3, 9))]),
        "ids-not-ascending.ddm": manifest([idle, shard_record(
            1, flags=1, sealed=[sealed[1], sealed[0]], open_bucket=1000, next_id=7)]),
        "id-not-below-next.ddm": manifest([idle, shard_record(
            1, flags=1, sealed=sealed, open_bucket=1000, next_id=6)]),
        "expired-segment.ddm": manifest([idle, shard_record(
            1, flags=1, sealed=[entry(5, 900, 100, sealed_homes(100), 128, 2, 7)],
            open_bucket=1000, next_id=7)]),
        "bad-slots.ddm": manifest([idle, shard_record(
            1, flags=1, sealed=[entry(5, 995, 100, sealed_homes(100), 100, 2, 7)],
            open_bucket=1000, next_id=7)]),
        "slots-too-many.ddm": manifest([idle, shard_record(
            1, flags=1, sealed=[entry(5, 995, 100, sealed_homes(100), 1 << 40, 2, 7)],
            open_bucket=1000, next_id=7)]),
        "written-later.ddm": manifest([idle, shard_record(
            1, flags=1, sealed=[entry(5, 995, 100, sealed_homes(100), 128, 4, 7)],
            open_bucket=1000, next_id=7)]),
        "entry-pad.ddm": manifest([idle, shard_record(
            1, flags=1, sealed=[entry(5, 995, 100, sealed_homes(100), 128, 2, 7, pad=1)],
            open_bucket=1000, next_id=7)]),
        "bytes-after-shards.ddm": manifest([idle, live], extra=b"xyz"),
    })
    for name, data in cases.items():
        (here / name).write_bytes(data)


if __name__ == "__main__":
    main()
