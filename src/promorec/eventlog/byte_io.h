// Little-endian fixed-width integers for the event log's file formats.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace promorec::eventlog {

inline void PutFixed32(std::string* out, std::uint32_t value) {
  char bytes[4];
  std::memcpy(bytes, &value, 4);
  out->append(bytes, 4);
}

inline void PutFixed64(std::string* out, std::uint64_t value) {
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  out->append(bytes, 8);
}

inline std::uint32_t GetFixed32(const char* p) {
  std::uint32_t value;
  std::memcpy(&value, p, 4);
  return value;
}

inline std::uint64_t GetFixed64(const char* p) {
  std::uint64_t value;
  std::memcpy(&value, p, 8);
  return value;
}

}  // namespace promorec::eventlog
