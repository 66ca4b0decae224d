#include "promorec/eventlog/segment_scanner.h"

#include <algorithm>
#include <limits>
#include <span>
#include <utility>

#include "promorec/base/crc32c.h"
#include "promorec/eventlog/byte_io.h"

namespace promorec::eventlog {
namespace {

constexpr std::uint64_t kNoPadding = std::numeric_limits<std::uint64_t>::max();
// The largest payload a writer can produce: sequence, arrival, a two-byte
// key length, the longest key and the largest data.
constexpr std::size_t kMaxPayloadBytes = 16 + 2 + kMaxPartitionKeyBytes + kMaxRecordDataBytes;

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

const char* TypeName(FragmentType type) {
  switch (type) {
    case FragmentType::kFull:
      return "FULL";
    case FragmentType::kFirst:
      return "FIRST";
    case FragmentType::kMiddle:
      return "MIDDLE";
    case FragmentType::kLast:
      return "LAST";
  }
  return "?";
}

}  // namespace

SegmentScanner::SegmentScanner(const base::RandomAccessFile& file, std::uint64_t start_offset,
                               std::uint64_t end_offset)
    : file_(file),
      position_(std::max(start_offset, kSegmentHeaderBytes)),
      end_(std::max(end_offset, position_)),
      last_good_end_(position_),
      padding_start_(kNoPadding) {}

base::Status SegmentScanner::LoadBlock() {
  if (position_ >= block_offset_ && position_ < block_offset_ + block_.size()) return {};
  const std::uint64_t want_end = std::min(BlockStart(position_) + kBlockBytes, end_);
  block_offset_ = position_;
  block_.resize(static_cast<std::size_t>(want_end - position_));
  PROMOREC_ASSIGN_OR_RETURN(const std::size_t got,
                            file_.ReadAt(position_, std::span<char>(block_)));
  if (got < block_.size()) {
    block_.resize(got);
    end_ = position_ + got;
  }
  return {};
}

void SegmentScanner::AddDamage(std::uint64_t offset, std::uint64_t length, std::string what) {
  padding_start_ = kNoPadding;
  // Runs of the same damage (the MIDDLE fragments of a record whose FIRST
  // was lost, one per block) read better as one entry.
  if (!damages_.empty()) {
    Damage& last = damages_.back();
    if (last.offset + last.length == offset && last.what == what) {
      last.length += length;
      return;
    }
  }
  damages_.push_back(Damage{offset, length, std::move(what)});
}

void SegmentScanner::SkipToNextBlock(std::string what) {
  const std::uint64_t from = record_open_ ? record_start_ : position_;
  const std::uint64_t next = std::min(BlockStart(position_) + kBlockBytes, end_);
  AddDamage(from, next - from, std::move(what));
  record_open_ = false;
  assembled_.clear();
  position_ = next;
}

void SegmentScanner::TornTail(std::string what) {
  std::uint64_t from = std::min(record_open_ ? record_start_ : position_, padding_start_);
  from = std::min(from, end_);
  AddDamage(from, end_ - from, "torn tail: " + what);
  record_open_ = false;
  assembled_.clear();
  position_ = end_;
  done_ = true;
}

void SegmentScanner::Finish() {
  if (record_open_) {
    TornTail("record has no LAST fragment before the end of the data");
  } else if (padding_start_ != kNoPadding) {
    TornTail("block padding with no record after it");
  }
  done_ = true;
}

base::Result<bool> SegmentScanner::Next(ScannedRecord* record) {
  while (!done_) {
    if (position_ >= end_) {
      Finish();
      break;
    }
    PROMOREC_RETURN_IF_ERROR(LoadBlock());
    if (position_ >= end_) continue;  // the file is shorter than end_
    const std::uint64_t block_end = BlockStart(position_) + kBlockBytes;
    const std::uint64_t data_end = std::min(block_end, end_);
    const char* here = block_.data() + (position_ - block_offset_);

    if (block_end - position_ < kFragmentHeaderBytes) {
      // A writer pads a block tail only before a record's first fragment.
      if (record_open_) {
        SkipToNextBlock("record cut by block padding");
        continue;
      }
      if (padding_start_ == kNoPadding) padding_start_ = position_;
      position_ = data_end;
      continue;
    }
    if (position_ + kFragmentHeaderBytes > end_) {
      TornTail("fragment header cut by the end of the data");
      break;
    }
    const std::string_view header(here, kFragmentHeaderBytes);
    if (AllZero(header)) {
      // Padding to the block end (never written by our writer, but what a
      // zero-filled region looks like). Anything nonzero behind it would be
      // skipped unseen, so that is reported.
      if (record_open_) {
        SkipToNextBlock("zero fragment header inside a record");
        continue;
      }
      const std::uint64_t from = position_;
      position_ = data_end;
      if (!AllZero(std::string_view(here, static_cast<std::size_t>(data_end - from)))) {
        AddDamage(from, data_end - from, "nonzero bytes after a zero fragment header");
      } else if (padding_start_ == kNoPadding) {
        padding_start_ = from;
      }
      continue;
    }

    const std::uint32_t stored_crc = base::Crc32cUnmask(GetFixed32(here));
    const std::size_t length = static_cast<std::size_t>(static_cast<unsigned char>(here[4])) |
                               (static_cast<std::size_t>(static_cast<unsigned char>(here[5])) << 8);
    const auto type_byte = static_cast<unsigned char>(here[6]);
    const std::uint64_t fragment_end = position_ + kFragmentHeaderBytes + length;
    if (fragment_end > block_end) {
      SkipToNextBlock("fragment length " + std::to_string(length) +
                      " runs past the end of its block");
      continue;
    }
    if (fragment_end > end_) {
      TornTail("fragment of " + std::to_string(length) + " bytes cut by the end of the data");
      break;
    }
    const std::string_view body(here + kFragmentHeaderBytes, length);
    if (base::Crc32cExtend(base::Crc32cExtend(0, here + 6, 1), body.data(), body.size()) !=
        stored_crc) {
      SkipToNextBlock("CRC mismatch in fragment");
      continue;
    }
    if (type_byte < 1 || type_byte > 4) {
      SkipToNextBlock("bad fragment type " + std::to_string(type_byte));
      continue;
    }
    const auto type = static_cast<FragmentType>(type_byte);

    std::string_view payload;
    std::uint64_t start = position_;
    bool complete = false;
    switch (type) {
      case FragmentType::kFull:
      case FragmentType::kFirst:
        if (record_open_) {
          // The open record's fragments all passed their CRCs, so the new
          // one is trustworthy: only the unfinished record is lost.
          AddDamage(record_start_, position_ - record_start_,
                    std::string("record has no LAST fragment before the next ") + TypeName(type) +
                        " fragment");
          record_open_ = false;
        }
        if (type == FragmentType::kFull) {
          payload = body;
          complete = true;
        } else {
          record_open_ = true;
          record_start_ = position_;
          assembled_.assign(body);
        }
        break;
      case FragmentType::kMiddle:
      case FragmentType::kLast:
        if (!record_open_) {
          AddDamage(position_, fragment_end - position_,
                    std::string(TypeName(type)) + " fragment without FIRST");
          position_ = fragment_end;
          continue;
        }
        if (assembled_.size() + body.size() > kMaxPayloadBytes) {
          SkipToNextBlock("record longer than the 16 MiB limit");
          continue;
        }
        assembled_.append(body);
        if (type == FragmentType::kLast) {
          start = record_start_;
          record_open_ = false;
          payload_.swap(assembled_);
          assembled_.clear();
          payload = payload_;
          complete = true;
        }
        break;
    }
    padding_start_ = kNoPadding;
    position_ = fragment_end;
    if (!complete) continue;

    auto fields = DecodeRecordPayload(payload);
    if (!fields) {
      AddDamage(start, fragment_end - start, "bad record: " + fields.error().message());
      continue;
    }
    if (have_sequence_ && fields->sequence <= last_sequence_) {
      AddDamage(start, fragment_end - start,
                "sequence number " + std::to_string(fields->sequence) + " not above " +
                    std::to_string(last_sequence_));
      continue;
    }
    have_sequence_ = true;
    last_sequence_ = fields->sequence;
    last_good_end_ = fragment_end;
    record->fields = *fields;
    record->offset = start;
    record->end_offset = fragment_end;
    return true;
  }
  return false;
}

}  // namespace promorec::eventlog
