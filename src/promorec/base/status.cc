#include "promorec/base/status.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace promorec::base {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kNotFound:
      return "not_found";
    case Code::kAlreadyExists:
      return "already_exists";
    case Code::kIoError:
      return "io_error";
    case Code::kNoSpace:
      return "no_space";
    case Code::kCorruption:
      return "corruption";
    case Code::kDataLoss:
      return "data_loss";
    case Code::kOutOfRange:
      return "out_of_range";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kUnimplemented:
      return "unimplemented";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Error Error::WithContext(std::string_view where) const& {
  Error copy = *this;
  return std::move(copy).WithContext(where);
}

Error Error::WithContext(std::string_view where) && {
  std::string message;
  message.reserve(where.size() + 2 + message_.size());
  message.append(where).append(": ").append(message_);
  message_ = std::move(message);
  return std::move(*this);
}

std::unexpected<Error> ErrnoError(std::string_view what, int err) {
  Code code = Code::kIoError;
  switch (err) {
    case ENOENT:
      code = Code::kNotFound;
      break;
    case ENOSPC:
    case EDQUOT:
      code = Code::kNoSpace;
      break;
    case EEXIST:
      code = Code::kAlreadyExists;
      break;
    default:
      break;
  }
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  message += " (errno ";
  message += std::to_string(err);
  message += ")";
  return MakeError(code, std::move(message));
}

}  // namespace promorec::base
