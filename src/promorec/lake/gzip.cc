#include "promorec/lake/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <string>

namespace promorec::lake {

namespace {
constexpr int kGzipWindowBits = 15 + 16;  // 15-bit window, gzip wrapper
constexpr int kAutoWindowBits = 15 + 32;  // accept gzip or zlib headers
// Level 1: the lake is written while the pipeline runs, and level 1
// compresses these CSV files about three times faster than the default 6
// for files some 15% larger.
constexpr int kLevel = 1;
constexpr std::size_t kChunk = 64 * 1024;

Bytef* InputBytes(std::string_view data) {
  // zlib's API is not const-correct; it never writes through next_in.
  return reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
}
}  // namespace

base::Result<std::string> GzipCompress(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, kLevel, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return base::MakeError(base::Code::kInternal, "gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(data.size())));
  stream.next_in = InputBytes(data);
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  const std::size_t produced = stream.total_out;
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) {
    return base::MakeError(base::Code::kInternal,
                           "gzip: deflate did not finish (zlib code " + std::to_string(rc) + ")");
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
