// gzip (RFC 1952) in memory: the lake's data files are one gzip member
// each, which every reader of the lake (Athena, Hive, DuckDB, zcat) takes.
// Written with ISA-L's igzip (fast), read with zlib.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

namespace promorec::lake {

// One gzip member holding `data`, compressed at ISA-L level 1.
[[nodiscard]] base::Result<std::string> GzipCompress(std::string_view data);

// The content of the gzip member(s) in `data`. Fails with kCorruption when
// the data is not gzip, is cut short, or fails its CRC; with kOutOfRange
// when the content would exceed `max_bytes`.
[[nodiscard]] base::Result<std::string> GzipDecompress(std::string_view data,
                                                       std::size_t max_bytes = std::size_t{1}
                                                                               << 30);

}  // namespace promorec::lake
