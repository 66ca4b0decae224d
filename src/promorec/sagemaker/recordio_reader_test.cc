#include "promorec/sagemaker/recordio_reader.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "promorec/base/mem_env.h"
#include "promorec/sagemaker/recordio_test_util.h"
#include "promorec/testing/golden.h"

namespace promorec::sagemaker {
namespace {

using model::Feature;
using namespace sagemaker::testing;  // NOLINT: the byte builders

base::Result<RecordIoReport> ReadBytes(const std::string& bytes, trainer::Dataset* data,
                                       bool stop = false,
                                       const std::vector<std::uint32_t>* fields = nullptr) {
  auto env = base::NewMemEnv();
  EXPECT_TRUE(base::WriteFileAtomically(*env, "/t.rec", bytes));
  return ReadRecordIoFile(*env, "/t.rec", fields, data, stop);
}

TEST(RecordIoReaderTest, ReadsHandBuiltRecord) {
  trainer::Dataset data;
  const std::vector<std::uint32_t> fields = {0, 0, 0, 2};
  auto report = ReadBytes(kHandBuiltRecord, &data, false, &fields);
  ASSERT_TRUE(report) << report.error().message();
  ASSERT_EQ(report->accepted, 1u) << (report->errors.empty() ? "" : report->errors[0]);
  std::vector<model::Feature> row;
  data.Row(0, &row);
  EXPECT_EQ(data.label(0), 1.0f);
  ExpectHandBuiltRow(row);
}

TEST(RecordIoReaderTest, RoundTripThroughAFile) {
  trainer::Dataset original;
  const std::vector<std::uint32_t> fields = {0, 0, 1, 1, 2, 2, 2};
  const std::vector<std::vector<model::Feature>> rows = {
      {{0, 1, 1.0f}, {1, 3, 1.0f}, {2, 6, 1.0f}}, {{0, 0, 0.25f}, {2, 5, -3.5f}}, {}};
  for (std::size_t i = 0; i < rows.size(); ++i) original.AddRow(i % 2 == 0 ? 1.0f : 0.0f, rows[i]);
  auto env = base::NewMemEnv();
  ASSERT_TRUE(WriteRecordIoFile(*env, "/d.rec", original, 7));
  trainer::Dataset read;
  auto report = ReadRecordIoFile(*env, "/d.rec", &fields, &read, true);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->records_read, 3u);
  EXPECT_EQ(report->accepted, 3u);
  ASSERT_EQ(read.rows(), 3u);
  std::vector<model::Feature> got;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(read.label(i), original.label(i));
    read.Row(i, &got);
    ASSERT_EQ(got.size(), rows[i].size()) << "row " << i;
    for (std::size_t j = 0; j < got.size(); ++j) {
      EXPECT_EQ(got[j].field, rows[i][j].field);
      EXPECT_EQ(got[j].index, rows[i][j].index);
      EXPECT_EQ(got[j].value, rows[i][j].value);
    }
  }
  auto refused = WriteRecordIoFile(*env, "/small.rec", original, 6);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message(),
            "/small.rec: row 0 has feature index 6, not below num_features 6");
}

TEST(RecordIoReaderTest, MultiPartRecord) {
  const std::string magic = Le32(0xced7230a);
  const std::string body = Record(F32(Tensor({1}, {2}, {5})), Label(1));
  const std::string payload =
      "\x1a\x0e"
      "ab" +
      magic + "cdef" + magic + body;
  const std::string framed = Frame(1,
                                   "\x1a\x0e"
                                   "ab") +
                             Frame(2, "cdef") + Frame(3, body);
  EXPECT_EQ(sagemaker::FrameRecordIoPayload(payload), framed);
  trainer::Dataset data;
  auto report = ReadBytes(framed + kHandBuiltRecord, &data, true);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->records_read, 2u);
  ASSERT_EQ(data.rows(), 2u);
  std::vector<model::Feature> row;
  data.Row(0, &row);
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0].index, 2u);
}

// The trainer::Dataset's field limit is the reader's, not the codec's.
TEST(RecordIoReaderTest, FieldsMustFitTheDataset) {
  trainer::Dataset data;
  const std::vector<std::uint32_t> fields = {0, 0, 0, 5000};
  auto report = ReadBytes(kHandBuiltRecord, &data, false, &fields);
  ASSERT_TRUE(report);
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_EQ(report->errors[0],
            "/t.rec: record 1 (byte 0): feature 3: its field 5000 is above 1023");
  EXPECT_EQ(data.rows(), 0u);
}

TEST(RecordIoReaderTest, FramingErrorsAndRecovery) {
  const std::string good = kHandBuiltRecord;  // 60 bytes
  const std::string torn = good.substr(0, 40);
  const std::pair<std::string, std::string> cases[] = {
      {good + "garbage!1234" + good, "record 2 (byte 60): bad magic 0x62726167; skipped 12 bytes"},
      {good + "garbage!x", "record 2 (byte 60): bad magic 0x62726167; skipped 9 bytes"},
      {good + torn,
       "record 2 (byte 60): length 51 runs past the end of the file (32 bytes left); skipped 40 "
       "bytes"},
      {good + good.substr(0, 5), "record 2 (byte 60): torn header: 5 bytes at the end"},
      {good + Le32(0xced7230a) + Le32(0x1fffffff) + good,
       "record 2 (byte 60): length 536870911 is above the limit of 67108864 bytes; skipped 8 "
       "bytes"},
      {good + Le32(0xced7230a) + Le32(5u << 29) + good,
       "record 2 (byte 60): continuation flag 5 is not 0-3; skipped 8 bytes"},
      {good + Frame(3, "abcd") + good,
       "record 2 (byte 60): last part of a multi-part record without its first part"},
      {good + Frame(1, "abcd") + good,
       "record 2 (byte 60): multi-part record has no last part: a new record starts at byte 72"},
      {good + Frame(1, "abcd") + Frame(2, "efgh"),
       "record 2 (byte 60): multi-part record has no last part: the file ends"},
      {good + Frame(0, "\x0a\x05"), "record 2 (byte 60): protobuf payload does not parse"},
  };
  for (const auto& [bytes, error] : cases) {
    trainer::Dataset data;
    auto report = ReadBytes(bytes, &data);
    ASSERT_TRUE(report);
    ASSERT_EQ(report->errors.size(), 1u) << error;
    EXPECT_EQ(report->errors[0], "/t.rec: " + error);
    EXPECT_EQ(report->rejected, 1u);
    EXPECT_EQ(report->accepted, report->records_read - 1);
    EXPECT_EQ(data.rows(), report->accepted);
    EXPECT_GE(data.rows(), 1u) << "the good records around a bad one still load";
  }
}

TEST(RecordIoReaderTest, EdgesOfTheFile) {
  trainer::Dataset data;
  auto empty = ReadBytes("", &data);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->records_read, 0u);
  // The last frame's padding may be missing.
  auto unpadded = ReadBytes(kHandBuiltRecord.substr(0, 59), &data);
  ASSERT_TRUE(unpadded);
  EXPECT_EQ(unpadded->accepted, 1u);
  // Only the first 20 messages are kept; the counts are complete.
  std::string bytes;
  for (int i = 0; i < 25; ++i) bytes += Frame(0, "\xff") + kHandBuiltRecord;
  auto many = ReadBytes(bytes, &data);
  ASSERT_TRUE(many);
  EXPECT_EQ(many->rejected, 25u);
  EXPECT_EQ(many->accepted, 25u);
  EXPECT_EQ(many->errors.size(), 20u);
  auto env = base::NewMemEnv();
  EXPECT_FALSE(ReadRecordIoFile(*env, "/missing.rec", nullptr, &data, false));
}

TEST(RecordIoReaderTest, StopOnErrorStops) {
  trainer::Dataset data;
  auto stopped = ReadBytes(kHandBuiltRecord + "xxxx" + kHandBuiltRecord, &data, true);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code(), base::Code::kInvalidArgument);
  EXPECT_EQ(stopped.error().message(),
            "/t.rec: record 2 (byte 60): bad magic 0x78787878; skipped 4 bytes");
  EXPECT_EQ(data.rows(), 1u) << "rows before the bad record stay";
}

// Every input under tests/corpus/recordio/ gives exactly the report in the
// .expected file beside it. PROMOREC_UPDATE_GOLDEN=1 rewrites them.
TEST(RecordIoReaderTest, BadInputCorpus) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(PROMOREC_SOURCE_DIR) / "tests/corpus/recordio";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".rec") continue;
    trainer::Dataset data;
    auto report =
        ReadRecordIoFile(base::DefaultEnv(), entry.path().string(), nullptr, &data, false);
    ASSERT_TRUE(report);
    std::string actual;
    for (const std::string& e : report->errors) {
      actual += e.substr(e.find(entry.path().filename().string())) + "\n";
    }
    actual += "accepted " + std::to_string(report->accepted) + " of " +
              std::to_string(report->records_read) + "\n";
    fs::path expected_path = entry.path();
    expected_path.replace_extension(".expected");
    promorec::testing::ExpectGolden(expected_path, actual, entry.path());
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

}  // namespace
}  // namespace promorec::sagemaker
