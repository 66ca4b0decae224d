#include "promorec/profile/snapshot_format.h"

#include <cstdio>
#include <unordered_map>

#include "promorec/base/crc32c.h"
#include "promorec/event/decode_error.h"

namespace promorec::profile {
namespace {

// Trailer: length 0, CRC, record count, position count.
constexpr std::size_t kTrailerFixedBytes = 4 + 4 + 8 + 4;

void PutU16(std::uint16_t v, std::string* out) {
  out->push_back(static_cast<char>(v & 0xFF));
  out->push_back(static_cast<char>(v >> 8));
}

void PutU32(std::uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void PutU64(std::uint64_t v, std::string* out) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

std::uint64_t GetLittleEndian(std::string_view data, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(data[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

std::uint32_t GetU32(std::string_view data, std::size_t at) {
  return static_cast<std::uint32_t>(GetLittleEndian(data, at, 4));
}

void PutString(std::string_view s, std::string* out) {
  PutU16(static_cast<std::uint16_t>(s.size()), out);
  out->append(s);
}

std::string BytesFollow(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " byte follows" : " bytes follow");
}

std::uint32_t MaskedCrc(std::string_view data) { return base::Crc32cMask(base::Crc32c(data)); }

std::string Hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// Reads the fields of one record payload in order.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view payload) : payload_(payload) {}

  std::expected<std::string_view, std::string> String(std::string_view name) {
    if (payload_.size() - pos_ < 2)
      return std::unexpected("the payload ends inside " + std::string(name));
    const auto size = static_cast<std::size_t>(GetLittleEndian(payload_, pos_, 2));
    pos_ += 2;
    if (size > kMaxSnapshotStringBytes) {
      return std::unexpected(std::string(name) + " is " + std::to_string(size) +
                             " bytes, the limit is " + std::to_string(kMaxSnapshotStringBytes));
    }
    if (payload_.size() - pos_ < size)
      return std::unexpected("the payload ends inside " + std::string(name));
    const std::string_view s = payload_.substr(pos_, size);
    pos_ += size;
    return s;
  }

  std::expected<std::uint64_t, std::string> U64(std::string_view name) {
    if (payload_.size() - pos_ < 8)
      return std::unexpected("the payload ends inside " + std::string(name));
    const std::uint64_t v = GetLittleEndian(payload_, pos_, 8);
    pos_ += 8;
    return v;
  }

  std::size_t left() const { return payload_.size() - pos_; }

 private:
  std::string_view payload_;
  std::size_t pos_ = 0;
};

// The fields of a payload, checked; the user id points into the payload.
std::expected<std::pair<std::string_view, Profile>, std::string> DecodePayload(
    std::string_view payload) {
  PayloadReader r(payload);
  Profile p;
  const auto user = r.String("the user id");
  if (!user) return std::unexpected(user.error());
  if (user->empty()) return std::unexpected("the user id is empty");
  for (auto [field, name] :
       {std::pair{&p.country, "the country"}, std::pair{&p.last_category, "the last category"},
        std::pair{&p.last_product, "the last product"}}) {
    const auto s = r.String(name);
    if (!s) return std::unexpected(s.error());
    field->assign(*s);
  }
  const auto events = r.U64("events");
  if (!events) return std::unexpected(events.error());
  const auto clicks = r.U64("clicks");
  if (!clicks) return std::unexpected(clicks.error());
  const auto first = r.U64("first seen");
  if (!first) return std::unexpected(first.error());
  const auto last = r.U64("last seen");
  if (!last) return std::unexpected(last.error());
  p.events = *events;
  p.clicks = *clicks;
  p.first_seen_us = static_cast<std::int64_t>(*first);
  p.last_seen_us = static_cast<std::int64_t>(*last);
  if (r.left() > 0) return std::unexpected(BytesFollow(r.left()) + " the last field");
  if (p.events == 0) return std::unexpected("events is 0");
  if (p.clicks > p.events) {
    return std::unexpected("clicks " + std::to_string(p.clicks) + " exceed events " +
                           std::to_string(p.events));
  }
  if (p.first_seen_us > p.last_seen_us) {
    return std::unexpected("first seen " + std::to_string(p.first_seen_us) +
                           " is after last seen " + std::to_string(p.last_seen_us));
  }
  return std::pair{*user, std::move(p)};
}

class SnapshotParser {
 public:
  SnapshotParser(std::string_view data, std::string_view source) : data_(data), source_(source) {}

  base::Result<SnapshotContents> Run() {
    PROMOREC_RETURN_IF_ERROR(Header());
    std::size_t pos = kSnapshotHeaderBytes;
    while (true) {
      const std::size_t left = data_.size() - pos;
      if (left == 0) {
        return Fail("", "the file ends after " +
                            (records_ == 0 ? std::string("the header")
                                           : "record " + std::to_string(records_ - 1)) +
                            " without the trailer");
      }
      const std::string where =
          "record " + std::to_string(records_) + " at byte " + std::to_string(pos);
      if (left < 4) return Fail(where, "cut off: needs 8 bytes, " + std::to_string(left) + " left");
      const std::uint32_t length = GetU32(data_, pos);
      if (length == 0) break;
      if (length > kMaxSnapshotPayloadBytes) {
        return Fail(where, "length " + std::to_string(length) + " is over the limit of " +
                               std::to_string(kMaxSnapshotPayloadBytes));
      }
      const std::size_t need = 8 + std::size_t{length};
      if (left < need) {
        return Fail(where, "cut off: needs " + std::to_string(need) + " bytes, " +
                               std::to_string(left) + " left");
      }
      PROMOREC_RETURN_IF_ERROR(
          Record(where, GetU32(data_, pos + 4), data_.substr(pos + 8, length)));
      pos += need;
    }
    PROMOREC_RETURN_IF_ERROR(Trailer(pos));
    return std::move(contents_);
  }

 private:
  std::unexpected<base::Error> Fail(std::string_view where, std::string_view why) const {
    std::string message(source_);
    message += ": ";
    if (!where.empty()) {
      message += where;
      message += ": ";
    }
    message += why;
    return base::Corruption(std::move(message));
  }

  base::Status Checksum(std::string_view where, std::uint32_t stored,
                        std::string_view covered) const {
    const std::uint32_t computed = MaskedCrc(covered);
    if (stored == computed) return {};
    return Fail(where,
                "checksum mismatch: stored " + Hex32(stored) + ", computed " + Hex32(computed));
  }

  base::Status Header() const {
    if (data_.size() < kSnapshotHeaderBytes) {
      return Fail("header", "the file has " + std::to_string(data_.size()) +
                                " bytes, a header needs " + std::to_string(kSnapshotHeaderBytes));
    }
    if (data_.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
      return Fail("header", "bad magic (not a profile snapshot)");
    }
    PROMOREC_RETURN_IF_ERROR(Checksum("header", GetU32(data_, 12), data_.substr(0, 12)));
    if (const std::uint32_t version = GetU32(data_, 8); version != kSnapshotVersion) {
      return Fail("header", "version " + std::to_string(version) +
                                " is not supported (this build reads version " +
                                std::to_string(kSnapshotVersion) + ")");
    }
    return {};
  }

  base::Status Record(const std::string& where, std::uint32_t stored, std::string_view payload) {
    PROMOREC_RETURN_IF_ERROR(Checksum(where, stored, payload));
    auto decoded = DecodePayload(payload);
    if (!decoded) return Fail(where, decoded.error());
    const auto [it, inserted] = index_.try_emplace(decoded->first, records_);
    if (!inserted) {
      return Fail(where, "user " + event::QuoteForError(decoded->first) + " is also record " +
                             std::to_string(it->second));
    }
    contents_.profiles.emplace_back(std::string(decoded->first), std::move(decoded->second));
    ++records_;
    return {};
  }

  base::Status Trailer(std::size_t at) {
    const std::string where = "trailer at byte " + std::to_string(at);
    const std::size_t left = data_.size() - at;
    if (left < kTrailerFixedBytes) {
      return Fail(where, "cut off: needs " + std::to_string(kTrailerFixedBytes) + " bytes, " +
                             std::to_string(left) + " left");
    }
    const std::uint32_t count = GetU32(data_, at + 16);
    if (count > kMaxSnapshotPositions) {
      return Fail(where, "position count " + std::to_string(count) + " is over the limit of " +
                             std::to_string(kMaxSnapshotPositions));
    }
    const std::size_t need = kTrailerFixedBytes + 8 * std::size_t{count};
    if (left < need) {
      return Fail(where, "cut off: needs " + std::to_string(need) + " bytes, " +
                             std::to_string(left) + " left");
    }
    PROMOREC_RETURN_IF_ERROR(
        Checksum(where, GetU32(data_, at + 4), data_.substr(at + 8, need - 8)));
    const std::uint64_t records = GetLittleEndian(data_, at + 8, 8);
    if (records != records_) {
      return Fail(where, "says " + std::to_string(records) + " records, the file has " +
                             std::to_string(records_));
    }
    if (left > need) return Fail(where, BytesFollow(left - need) + " the trailer");
    for (std::uint32_t i = 0; i < count; ++i) {
      contents_.positions.push_back(GetLittleEndian(data_, at + kTrailerFixedBytes + 8 * i, 8));
    }
    return {};
  }

  std::string_view data_;
  std::string_view source_;
  std::uint64_t records_ = 0;
  std::unordered_map<std::string_view, std::uint64_t> index_;
  SnapshotContents contents_;
};

}  // namespace

void AppendSnapshotHeader(std::string* out) {
  const std::size_t start = out->size();
  out->append(kSnapshotMagic);
  PutU32(kSnapshotVersion, out);
  PutU32(MaskedCrc(std::string_view(*out).substr(start)), out);
}

void AppendSnapshotRecord(std::string_view user_id, const Profile& profile, std::string* out) {
  const std::size_t start = out->size();
  PutU32(0, out);  // length and CRC, filled in below
  PutU32(0, out);
  PutString(user_id, out);
  PutString(profile.country, out);
  PutString(profile.last_category, out);
  PutString(profile.last_product, out);
  PutU64(profile.events, out);
  PutU64(profile.clicks, out);
  PutU64(static_cast<std::uint64_t>(profile.first_seen_us), out);
  PutU64(static_cast<std::uint64_t>(profile.last_seen_us), out);
  const std::string_view payload = std::string_view(*out).substr(start + 8);
  std::string head;
  PutU32(static_cast<std::uint32_t>(payload.size()), &head);
  PutU32(MaskedCrc(payload), &head);
  out->replace(start, 8, head);
}

void AppendSnapshotTrailer(std::uint64_t records, std::span<const std::uint64_t> positions,
                           std::string* out) {
  std::string body;
  PutU64(records, &body);
  PutU32(static_cast<std::uint32_t>(positions.size()), &body);
  for (const std::uint64_t p : positions) PutU64(p, &body);
  PutU32(0, out);
  PutU32(MaskedCrc(body), out);
  out->append(body);
}

base::Result<SnapshotContents> ParseProfileSnapshot(std::string_view data,
                                                    std::string_view source) {
  return SnapshotParser(data, source).Run();
}

}  // namespace promorec::profile
