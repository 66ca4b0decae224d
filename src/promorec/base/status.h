// Errors as values: Status and Result<T> on std::expected.
//
// Every fallible call at a module boundary returns Status (no value) or
// Result<T>. An Error carries a code, for callers that branch on the kind of
// failure, and a message that says what failed, where and why, for people.
// Thread-safety: values; no shared state.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace promorec::base {

enum class Code : std::uint8_t {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kIoError,
  kNoSpace,
  kCorruption,
  kDataLoss,
  kOutOfRange,
  kFailedPrecondition,
  kUnavailable,
  kUnimplemented,
  kInternal,
};

// Stable snake_case name of a code ("invalid_argument"), used in logs and JSON.
std::string_view CodeName(Code code);

class [[nodiscard]] Error {
 public:
  Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  friend bool operator==(const Error&, const Error&) = default;

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<code name>: <message>".
  std::string ToString() const;

  // Prefixes the message with where the failure happened: "where: message".
  Error WithContext(std::string_view where) const&;
  Error WithContext(std::string_view where) &&;

 private:
  Code code_;
  std::string message_;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

[[nodiscard]] inline Status OkStatus() { return {}; }

inline std::unexpected<Error> MakeError(Code code, std::string message) {
  return std::unexpected<Error>(std::in_place, code, std::move(message));
}
inline std::unexpected<Error> InvalidArgument(std::string message) {
  return MakeError(Code::kInvalidArgument, std::move(message));
}
inline std::unexpected<Error> NotFound(std::string message) {
  return MakeError(Code::kNotFound, std::move(message));
}
inline std::unexpected<Error> IoError(std::string message) {
  return MakeError(Code::kIoError, std::move(message));
}
inline std::unexpected<Error> Corruption(std::string message) {
  return MakeError(Code::kCorruption, std::move(message));
}
inline std::unexpected<Error> FailedPrecondition(std::string message) {
  return MakeError(Code::kFailedPrecondition, std::move(message));
}
inline std::unexpected<Error> Unimplemented(std::string message) {
  return MakeError(Code::kUnimplemented, std::move(message));
}

// An error from a failed system call: `what` names the operation and the
// object ("open /data/x"); the errno value picks the code (ENOENT -> not
// found, ENOSPC/EDQUOT -> no space, EEXIST -> already exists, otherwise I/O
// error) and its text is the why.
std::unexpected<Error> ErrnoError(std::string_view what, int err);

}  // namespace promorec::base

// Returns the error of a Status- or Result-valued expression from the
// enclosing function.
#define PROMOREC_RETURN_IF_ERROR(expr)                                              \
  do {                                                                              \
    if (auto promorec_status_ = (expr); !promorec_status_.has_value()) [[unlikely]] \
      return std::unexpected(std::move(promorec_status_).error());                  \
  } while (false)

#define PROMOREC_CONCAT_INNER_(a, b) a##b
#define PROMOREC_CONCAT_(a, b) PROMOREC_CONCAT_INNER_(a, b)

// `PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));`
#define PROMOREC_ASSIGN_OR_RETURN(lhs, expr)                                                 \
  auto PROMOREC_CONCAT_(promorec_result_, __LINE__) = (expr);                                \
  if (!PROMOREC_CONCAT_(promorec_result_, __LINE__).has_value()) [[unlikely]]                \
    return std::unexpected(std::move(PROMOREC_CONCAT_(promorec_result_, __LINE__)).error()); \
  lhs = std::move(*PROMOREC_CONCAT_(promorec_result_, __LINE__))
