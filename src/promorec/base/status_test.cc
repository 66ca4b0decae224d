#include "promorec/base/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace promorec::base {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument(std::to_string(x) + " is odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  PROMOREC_ASSIGN_OR_RETURN(const int half, Half(x));
  PROMOREC_ASSIGN_OR_RETURN(const int quarter, Half(half));
  return quarter;
}

Status CheckEven(int x) {
  PROMOREC_RETURN_IF_ERROR(Half(x));
  return OkStatus();
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(Quarter(8), 2);
  auto odd = Quarter(6);
  ASSERT_FALSE(odd);
  EXPECT_EQ(odd.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(odd.error().message(), "3 is odd");
  EXPECT_TRUE(CheckEven(4));
  EXPECT_EQ(CheckEven(5).error().ToString(), "invalid_argument: 5 is odd");
}

TEST(StatusTest, WithContextSaysWhere) {
  const Error error(Code::kCorruption, "bad CRC at byte 17");
  EXPECT_EQ(error.WithContext("segment 0001.log").message(),
            "segment 0001.log: bad CRC at byte 17");
  EXPECT_EQ(error.message(), "bad CRC at byte 17");
}

TEST(StatusTest, ErrnoErrorPicksTheCodeAndSaysWhy) {
  EXPECT_EQ(ErrnoError("open /x", ENOENT).error().code(), Code::kNotFound);
  EXPECT_EQ(ErrnoError("write /x", ENOSPC).error().code(), Code::kNoSpace);
  EXPECT_EQ(ErrnoError("mkdir /x", EEXIST).error().code(), Code::kAlreadyExists);
  EXPECT_EQ(ErrnoError("fsync /x", EIO).error().code(), Code::kIoError);
  EXPECT_EQ(ErrnoError("open /x", ENOENT).error().message(),
            "open /x: No such file or directory (errno 2)");
}

TEST(StatusTest, EveryCodeHasAName) {
  for (int c = 0; c <= static_cast<int>(Code::kInternal); ++c) {
    EXPECT_NE(CodeName(static_cast<Code>(c)), "unknown") << c;
  }
}

}  // namespace
}  // namespace promorec::base
