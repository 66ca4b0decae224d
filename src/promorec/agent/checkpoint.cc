#include "promorec/agent/checkpoint.h"

#include <charconv>
#include <cstdio>

#include "promorec/base/crc32c.h"
#include "promorec/base/hash.h"

namespace promorec::agent {
namespace {

constexpr std::string_view kMagicLine = "promorec-agent-checkpoint 1\n";
constexpr std::uint64_t kHeadSeed = 0x6167656E74686561ull;

void AppendEscapedPath(std::string_view path, std::string* out) {
  for (const char c : path) {
    if (c == '%') {
      out->append("%25");
    } else if (c == '\n') {
      out->append("%0A");
    } else if (c == '\r') {
      out->append("%0D");
    } else {
      out->push_back(c);
    }
  }
}

bool UnescapePath(std::string_view text, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out->push_back(text[i]);
      continue;
    }
    const std::string_view code = text.substr(i + 1, 2);
    if (code == "25") {
      out->push_back('%');
    } else if (code == "0A") {
      out->push_back('\n');
    } else if (code == "0D") {
      out->push_back('\r');
    } else {
      return false;
    }
    i += 2;
  }
  return !out->empty();
}

// Splits off the next space-terminated word and parses it in `base`.
bool NextNumber(std::string_view* rest, int base, std::uint64_t* value) {
  const std::size_t space = rest->find(' ');
  if (space == std::string_view::npos || space == 0) return false;
  const std::string_view word = rest->substr(0, space);
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), *value, base);
  rest->remove_prefix(space + 1);
  return ec == std::errc() && end == word.data() + word.size();
}

std::string Hex(std::uint64_t value, int digits) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%0*llx", digits, static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace

std::uint64_t HeadHash(std::string_view head) { return base::Hash64(head, kHeadSeed); }

std::string EncodeCheckpoint(const std::vector<CheckpointEntry>& entries) {
  std::string out(kMagicLine);
  for (const CheckpointEntry& e : entries) {
    out += "file " + std::to_string(e.id.device) + " " + std::to_string(e.id.inode) + " " +
           std::to_string(e.offset) + " " + std::to_string(e.head_len) + " " +
           Hex(e.head_hash, 16) + " ";
    AppendEscapedPath(e.path, &out);
    out += "\n";
  }
  out += "crc " + Hex(base::Crc32cMask(base::Crc32c(out)), 8) + "\n";
  return out;
}

base::Result<std::vector<CheckpointEntry>> DecodeCheckpoint(std::string_view text) {
  if (!text.starts_with(kMagicLine)) {
    return base::Corruption("not a promorec agent checkpoint (version 1): bad first line");
  }
  if (text.empty() || text.back() != '\n') return base::Corruption("the last line is incomplete");
  const std::size_t crc_at = text.rfind("\ncrc ", text.size() - 1);
  if (crc_at == std::string_view::npos) return base::Corruption("no crc line");
  const std::string_view body = text.substr(0, crc_at + 1);
  std::string_view crc_text = text.substr(crc_at + 5);
  crc_text.remove_suffix(1);
  std::uint64_t stored = 0;
  const auto [end, ec] =
      std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), stored, 16);
  if (ec != std::errc() || end != crc_text.data() + crc_text.size() || crc_text.size() != 8) {
    return base::Corruption("the crc line is malformed");
  }
  const std::uint32_t computed = base::Crc32cMask(base::Crc32c(body));
  if (computed != stored) {
    return base::Corruption("checksum mismatch: stored " + Hex(stored, 8) + ", computed " +
                            Hex(computed, 8));
  }
  std::vector<CheckpointEntry> entries;
  std::size_t at = kMagicLine.size();
  std::uint64_t line_number = 1;
  while (at < body.size()) {
    const std::size_t newline = body.find('\n', at);
    std::string_view rest = body.substr(at, newline - at);
    at = newline + 1;
    ++line_number;
    const auto bad = [line_number](std::string_view what) {
      return base::Corruption("line " + std::to_string(line_number) + ": " + std::string(what));
    };
    if (!rest.starts_with("file ")) return bad("expected a 'file' record");
    rest.remove_prefix(5);
    CheckpointEntry e;
    if (!NextNumber(&rest, 10, &e.id.device) || !NextNumber(&rest, 10, &e.id.inode) ||
        !NextNumber(&rest, 10, &e.offset) || !NextNumber(&rest, 10, &e.head_len) ||
        !NextNumber(&rest, 16, &e.head_hash)) {
      return bad("malformed numbers");
    }
    if (e.head_len > kHeadBytes || e.head_len > e.offset) return bad("head length out of range");
    if (!UnescapePath(rest, &e.path)) return bad("malformed path");
    entries.push_back(std::move(e));
  }
  return entries;
}

base::Result<std::vector<CheckpointEntry>> LoadCheckpoint(base::Env& env, const std::string& path) {
  PROMOREC_ASSIGN_OR_RETURN(const bool exists, env.FileExists(path));
  if (!exists) return std::vector<CheckpointEntry>{};
  PROMOREC_ASSIGN_OR_RETURN(const std::string text, base::ReadFileToString(env, path));
  auto decoded = DecodeCheckpoint(text);
  if (!decoded) return std::unexpected(decoded.error().WithContext("checkpoint " + path));
  return decoded;
}

base::Status SaveCheckpoint(base::Env& env, const std::string& path,
                            const std::vector<CheckpointEntry>& entries) {
  return base::WriteFileAtomically(env, path, EncodeCheckpoint(entries));
}

}  // namespace promorec::agent
