#include "promorec/event/dead_letter.h"

#include "promorec/base/json_string.h"
#include "promorec/event/validate.h"

namespace promorec::event {

void AppendDeadLetterJson(const Rejection& rejection, std::string* out) {
  out->append("{\"source\":");
  base::AppendJsonString(rejection.source, out);
  out->append(",\"line\":").append(std::to_string(rejection.line));
  out->append(",\"offset\":").append(std::to_string(rejection.offset));
  out->append(",\"reason\":");
  base::AppendJsonString(ReasonName(rejection.error.reason), out);
  out->append(",\"field\":");
  base::AppendJsonString(rejection.error.field, out);
  out->append(",\"message\":");
  base::AppendJsonString(rejection.ToString(), out);
  if (IsValidUtf8(rejection.raw)) {
    out->append(",\"raw\":");
    base::AppendJsonString(rejection.raw, out);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    out->append(",\"raw_hex\":\"");
    for (const char c : rejection.raw) {
      const auto b = static_cast<unsigned char>(c);
      out->push_back(kHex[b >> 4]);
      out->push_back(kHex[b & 0xF]);
    }
    out->push_back('"');
  }
  out->push_back('}');
}

base::Result<std::unique_ptr<FileDeadLetter>> FileDeadLetter::Open(base::Env& env,
                                                                   const std::string& path) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewAppendableFile(path));
  return std::unique_ptr<FileDeadLetter>(new FileDeadLetter(std::move(file), path));
}

void FileDeadLetter::Put(const Rejection& rejection) {
  if (error_) {
    ++dropped_;
    return;
  }
  line_.clear();
  AppendDeadLetterJson(rejection, &line_);
  line_.push_back('\n');
  if (auto status = file_->Append(line_); !status) {
    error_ = status.error().WithContext("dead-letter file " + path_);
    ++dropped_;
    return;
  }
  ++written_;
}

base::Status FileDeadLetter::Close() {
  if (!error_) {
    if (auto s = file_->Sync(); !s) error_ = s.error().WithContext("dead-letter file " + path_);
  }
  if (auto s = file_->Close(); !s && !error_) {
    error_ = s.error().WithContext("dead-letter file " + path_);
  }
  if (error_) return std::unexpected(*error_);
  return {};
}

}  // namespace promorec::event
