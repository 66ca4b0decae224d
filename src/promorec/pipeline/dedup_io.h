// Little-endian integers and hex for the de-duplication filter's file
// formats (dedup_format.cc, dedup_manifest.cc). Thread-safety: pure
// functions.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "promorec/base/byte_io.h"
#include "promorec/base/status.h"

namespace promorec::pipeline::dedup_io {

inline void PutU32(std::string* out, std::uint32_t v) { base::PutFixed32(out, v); }
inline void PutU64(std::string* out, std::uint64_t v) { base::PutFixed64(out, v); }
inline std::uint32_t GetU32(const char* p) { return base::GetFixed32(p); }
inline std::uint64_t GetU64(const char* p) { return base::GetFixed64(p); }
inline std::string Hex32(std::uint32_t v) {
  char b[9];
  std::snprintf(b, sizeof b, "%08" PRIx32, v);
  return b;
}
inline std::string Hex64(std::uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016" PRIx64, v);
  return b;
}

// Corruption "SOURCE: WHERE: WHY" ("SOURCE: WHY" without a where).
inline std::unexpected<base::Error> Bad(std::string_view source, std::string_view where,
                                        const std::string& why) {
  std::string message(source);
  message += ": ";
  if (!where.empty()) {
    message += where;
    message += ": ";
  }
  message += why;
  return base::Corruption(std::move(message));
}

inline std::string ChecksumMismatch(std::uint32_t stored, std::uint32_t computed) {
  return "checksum mismatch: stored " + Hex32(stored) + ", computed " + Hex32(computed);
}

inline std::string VersionError(std::uint32_t version, std::uint32_t supported) {
  return "version " + std::to_string(version) + " is not supported (this build reads version " +
         std::to_string(supported) + ")";
}

}  // namespace promorec::pipeline::dedup_io
