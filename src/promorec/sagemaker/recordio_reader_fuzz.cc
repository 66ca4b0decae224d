// Fuzzes the RecordIO-protobuf file reader: the input as a whole file
// (framing, multi-part joining, resynchronisation) and the same bytes
// framed as one record. Nothing may crash and the report's counts must add
// up. The payload codec on its own: sagemaker/recordio_codec_fuzz.cc.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/mem_env.h"
#include "promorec/sagemaker/recordio_codec.h"
#include "promorec/sagemaker/recordio_reader.h"
#include "promorec/trainer/dataset.h"

namespace {

// True when the payload is accepted as a training row.
bool CheckPayload(std::string_view bytes) {
  // Fields 0..7 for the first few indices, and one above the trainer::Dataset's
  // limit, so the field paths are exercised.
  static const std::vector<std::uint32_t> kFields = {0, 1, 2, 3, 4, 5, 6, 7, 5000};
  std::vector<promorec::model::Feature> features;
  auto label = promorec::sagemaker::ParseRecordIoPayload(
      bytes, promorec::sagemaker::DatasetRecordIoFields(&kFields), &features);
  if (!label) {
    if (!features.empty() || label.error().message().empty()) std::abort();
    return false;
  }
  if (*label != 0.0f && *label != 1.0f) std::abort();
  for (const auto& f : features) {
    if (f.field >= promorec::trainer::kMaxDatasetFields) std::abort();
  }
  return true;
}

promorec::sagemaker::RecordIoReport CheckFile(std::string_view bytes) {
  auto env = promorec::base::NewMemEnv();
  if (!promorec::base::WriteFileAtomically(*env, "/f.rec", bytes)) std::abort();
  promorec::trainer::Dataset data;
  auto report = promorec::sagemaker::ReadRecordIoFile(*env, "/f.rec", nullptr, &data, false);
  if (!report) std::abort();
  if (report->accepted + report->rejected != report->records_read) std::abort();
  if (data.rows() != report->accepted || report->errors.size() > 20) std::abort();
  // Each record takes at least 4 bytes, so the count is bounded by the size.
  if (report->records_read > bytes.size() / 4 + 1) std::abort();
  return *report;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const bool accepted = CheckPayload(bytes);
  CheckFile(bytes);
  // The same bytes framed as one record read back as one record, accepted
  // exactly when the payload on its own is (no field table on either side).
  std::vector<promorec::model::Feature> features;
  const bool plain = promorec::sagemaker::ParseRecordIoPayload(bytes, {}, &features).has_value();
  if (accepted && !plain) std::abort();
  const auto framed = CheckFile(promorec::sagemaker::FrameRecordIoPayload(bytes));
  if (framed.records_read != 1 || framed.accepted != (plain ? 1u : 0u)) std::abort();
  return 0;
}
