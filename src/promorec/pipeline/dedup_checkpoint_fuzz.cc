// libFuzzer target for the de-duplication filter's checkpoint decoders
// (docs/formats/dedup.md): any bytes, read as a manifest and as a segment
// file, either fail with Corruption naming the source, or decode to
// contents that encode back to exactly the same bytes. Random bytes almost
// never carry valid checksums, so each input is also tried with its CRCs
// made right (the manifest's trailer; a segment file's header CRC, block
// CRCs and data CRC), to reach the checks behind them. A decoded segment's
// fingerprints also load into a table that finds each of them. Seed corpus:
// tests/corpus/dedup/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "promorec/base/crc32c.h"
#include "promorec/pipeline/dedup_format.h"
#include "promorec/pipeline/dedup_table.h"

namespace promorec::pipeline {
namespace {

void CheckError(const base::Error& error) {
  if (error.code() != base::Code::kCorruption || !error.message().starts_with("fuzz: ")) {
    std::abort();
  }
}

void CheckManifest(std::string_view bytes) {
  auto decoded = DecodeManifest(bytes, "fuzz");
  if (!decoded) return CheckError(decoded.error());
  if (EncodeManifest(*decoded) != bytes) std::abort();
}

void CheckSegment(std::string_view bytes) {
  auto decoded = DecodeSegmentFile(bytes, "fuzz");
  if (!decoded) return CheckError(decoded.error());
  if (EncodeSegmentFile(decoded->header, decoded->fingerprints) != bytes) std::abort();
  FingerprintTable::Builder builder(decoded->header.home_slots);
  for (const std::uint64_t fp : decoded->fingerprints) builder.Add(fp);
  const FingerprintTable table = std::move(builder).Finish();
  for (const std::uint64_t fp : decoded->fingerprints) {
    if (!table.Contains(fp)) std::abort();
  }
}

void PutCrc(std::string* s, std::size_t at, std::uint32_t crc) {
  std::memcpy(s->data() + at, &crc, 4);
}

// The segment file with every CRC recomputed, as far as its size allows.
std::string SealSegment(std::string s) {
  if (s.size() < kSegmentHeaderBytes) return s;
  std::uint64_t count;
  std::memcpy(&count, s.data() + 40, 8);
  std::uint32_t all = 0;
  std::size_t at = kSegmentHeaderBytes;
  std::uint64_t left = count;
  while (left > 0) {
    const std::size_t n =
        static_cast<std::size_t>(left < kFingerprintsPerBlock ? left : kFingerprintsPerBlock);
    if (at + n * 8 + 4 > s.size()) break;
    const std::string_view block(s.data() + at, n * 8);
    all = base::Crc32cExtend(all, block.data(), block.size());
    PutCrc(&s, at + n * 8, base::Crc32cMask(base::Crc32c(block)));
    at += n * 8 + 4;
    left -= n;
  }
  PutCrc(&s, 20, base::Crc32cMask(all));
  PutCrc(&s, 60, base::Crc32cMask(base::Crc32c(std::string_view(s).substr(0, 60))));
  return s;
}

}  // namespace
}  // namespace promorec::pipeline

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace promorec::pipeline;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckManifest(input);
  CheckSegment(input);
  if (size >= 4) {
    std::string sealed(input);
    PutCrc(&sealed, size - 4,
           promorec::base::Crc32cMask(promorec::base::Crc32c(input.substr(0, size - 4))));
    CheckManifest(sealed);
  }
  CheckSegment(SealSegment(std::string(input)));
  return 0;
}
