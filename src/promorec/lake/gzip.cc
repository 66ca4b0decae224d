#include "promorec/lake/gzip.h"

#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace promorec::lake {

namespace {
constexpr int kAutoWindowBits = 15 + 32;  // accept gzip or zlib headers
constexpr std::size_t kChunk = 64 * 1024;

Bytef* InputBytes(std::string_view data) {
  // zlib's API is not const-correct; it never writes through next_in.
  return reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
}
}  // namespace

base::Result<std::string> GzipCompress(std::string_view data) {
  if (data.size() > std::numeric_limits<std::uint32_t>::max()) {
    return base::InvalidArgument("gzip: " + std::to_string(data.size()) +
                                 " bytes is more than one call compresses");
  }
  isal_zstream stream{};
  isal_deflate_init(&stream);
  // Level 1 with ISA-L's default buffer: the lake is written while the
  // pipeline runs, at several hundred MB/s (zlib's fastest level does
  // about a tenth of that) for files about as small as zlib level 1 makes.
  std::vector<std::uint8_t> level_buffer(ISAL_DEF_LVL1_DEFAULT);
  stream.level = 1;
  stream.level_buf = level_buffer.data();
  stream.level_buf_size = static_cast<std::uint32_t>(level_buffer.size());
  stream.gzip_flag = IGZIP_GZIP;
  stream.end_of_stream = 1;
  stream.flush = NO_FLUSH;
  // ISA-L reads but never writes through next_in.
  stream.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<std::uint32_t>(data.size());
  // Incompressible data grows by a few bytes per block; the loop below
  // makes room if that is not enough.
  std::string out(data.size() + data.size() / 16 + kChunk, '\0');
  std::size_t produced = 0;
  while (true) {
    stream.next_out = reinterpret_cast<std::uint8_t*>(out.data()) + produced;
    stream.avail_out = static_cast<std::uint32_t>(
        std::min<std::size_t>(out.size() - produced, std::numeric_limits<std::uint32_t>::max()));
    const std::uint32_t room = stream.avail_out;
    if (const int rc = isal_deflate(&stream); rc != COMP_OK) {
      return base::MakeError(base::Code::kInternal,
                             "gzip: isal_deflate failed (code " + std::to_string(rc) + ")");
    }
    produced += room - stream.avail_out;
    if (stream.internal_state.state == ZSTATE_END) break;
    if (stream.avail_out == 0) out.resize(out.size() + out.size() / 2 + kChunk);
  }
  out.resize(produced);
  return out;
}

base::Result<std::string> GzipDecompress(std::string_view data, std::size_t max_bytes) {
  std::string out;
  std::string_view rest = data;
  if (rest.empty()) return base::Corruption("gzip: empty input");
  while (!rest.empty()) {
    z_stream stream{};
    if (inflateInit2(&stream, kAutoWindowBits) != Z_OK) {
      return base::MakeError(base::Code::kInternal, "gzip: inflateInit2 failed");
    }
    const std::size_t take = std::min<std::size_t>(rest.size(), UINT_MAX);
    stream.next_in = InputBytes(rest);
    stream.avail_in = static_cast<uInt>(take);
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      const std::size_t old_size = out.size();
      if (old_size >= max_bytes) {
        inflateEnd(&stream);
        return base::MakeError(base::Code::kOutOfRange, "gzip: content is larger than " +
                                                            std::to_string(max_bytes) + " bytes");
      }
      const std::size_t room = std::min(kChunk, max_bytes - old_size);
      out.resize(old_size + room);
      stream.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
      stream.avail_out = static_cast<uInt>(room);
      rc = inflate(&stream, Z_NO_FLUSH);
      out.resize(old_size + room - stream.avail_out);
      if (rc == Z_STREAM_END) break;
      if (rc == Z_BUF_ERROR && stream.avail_in == 0) {
        inflateEnd(&stream);
        return base::Corruption("gzip: data is cut short");
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        const std::string why =
            stream.msg != nullptr ? stream.msg : "zlib code " + std::to_string(rc);
        inflateEnd(&stream);
        return base::Corruption("gzip: " + why);
      }
    }
    const std::size_t used = take - stream.avail_in;
    inflateEnd(&stream);
    rest.remove_prefix(used);
  }
  return out;
}

}  // namespace promorec::lake
