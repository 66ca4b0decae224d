// Fuzzes the RecordIO-protobuf codec on bytes in memory: the input as one
// record payload (training and inference readings), and the input as a
// stream of frames. Nothing may crash, a refused payload adds nothing,
// frames always move forward, and a payload framed and read back is the
// same payload.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "promorec/sagemaker/recordio_codec.h"

namespace {

void CheckPayload(std::string_view bytes) {
  static const std::vector<std::uint32_t> kFields = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<promorec::model::Feature> features;
  auto label = promorec::sagemaker::ParseRecordIoPayload(bytes, {&kFields, 5}, &features);
  if (!label) {
    if (!features.empty() || label.error().message().empty()) std::abort();
  } else {
    if (*label != 0.0f && *label != 1.0f) std::abort();
    for (const auto& f : features) {
      if (f.field > 5) std::abort();
    }
  }
  std::vector<promorec::model::Feature> inference;
  auto read = promorec::sagemaker::ParseRecordIoFeatures(bytes, {&kFields, 5}, &inference);
  if (!read && !inference.empty()) std::abort();
  // A record fit for training is fit for inference, with the same row.
  if (label && (!read || inference.size() != features.size())) std::abort();
  (void)promorec::sagemaker::ParseRecordIoLabelValue(bytes, "score");
}

void CheckFrames(std::string_view bytes) {
  promorec::sagemaker::RecordIoFramer framer(bytes);
  std::uint64_t offset = 0;
  while (offset < framer.size()) {
    auto frame = framer.Next(offset);
    if (!frame || frame->end <= offset || frame->end > bytes.size()) std::abort();
    offset = frame->end;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CheckPayload(bytes);
  CheckFrames(bytes);
  const std::string framed = promorec::sagemaker::FrameRecordIoPayload(bytes);
  promorec::sagemaker::RecordIoFramer framer(framed);
  auto frame = framer.Next(0);
  if (!frame || !frame->error.empty() || frame->payload != bytes || frame->end != framed.size()) {
    std::abort();
  }
  std::string labels;
  const std::pair<std::string_view, float> pairs[] = {{bytes.substr(0, 16), 0.5f}};
  promorec::sagemaker::AppendRecordIoLabels(pairs, &labels);
  promorec::sagemaker::RecordIoFramer label_framer(labels);
  auto label_frame = label_framer.Next(0);
  if (!label_frame || !label_frame->error.empty()) std::abort();
  return 0;
}
