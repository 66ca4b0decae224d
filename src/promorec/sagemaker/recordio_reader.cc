#include "promorec/sagemaker/recordio_reader.h"

#include <expected>
#include <utility>

namespace promorec::sagemaker {
namespace {

constexpr std::size_t kMaxErrorsKept = 20;

}  // namespace

base::Result<RecordIoReport> ReadRecordIoFile(base::Env& env, const std::string& path,
                                              const std::vector<std::uint32_t>* field_of_index,
                                              trainer::Dataset* dataset, bool stop_on_error,
                                              bool real_labels) {
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewRandomAccessFile(path));
  PROMOREC_ASSIGN_OR_RETURN(const std::uint64_t size, file->Size());
  sagemaker::RecordIoFramer framer(*file, size, path);
  sagemaker::RecordIoFields fields = DatasetRecordIoFields(field_of_index);
  fields.real_labels = real_labels;
  RecordIoReport report;
  std::vector<model::Feature> features;
  std::uint64_t offset = 0;
  while (offset < size) {
    ++report.records_read;
    PROMOREC_ASSIGN_OR_RETURN(sagemaker::RecordIoFrame framed, framer.Next(offset));
    features.clear();
    // A framing error stands; a whole payload gets its own verdict.
    base::Result<float> label = base::InvalidArgument(std::move(framed.error));
    if (label.error().message().empty()) {
      label = sagemaker::ParseRecordIoPayload(framed.payload, fields, &features);
    }
    if (label) {
      ++report.accepted;
      dataset->AddRow(*label, features);
    } else {
      std::string message = path + ": record " + std::to_string(report.records_read) + " (byte " +
                            std::to_string(offset) + "): " + label.error().message();
      if (stop_on_error) return base::InvalidArgument(std::move(message));
      ++report.rejected;
      if (report.errors.size() < kMaxErrorsKept) report.errors.push_back(std::move(message));
    }
    offset = framed.end;
  }
  return report;
}

base::Status WriteRecordIoFile(base::Env& env, const std::string& path,
                               const trainer::Dataset& dataset, std::uint64_t num_features) {
  std::vector<model::Feature> scratch;
  for (std::size_t i = 0; i < dataset.rows(); ++i) {
    for (const model::Feature& f : dataset.Row(i, &scratch)) {
      if (f.index >= num_features) {
        return base::InvalidArgument(path + ": row " + std::to_string(i) + " has feature index " +
                                     std::to_string(f.index) + ", not below num_features " +
                                     std::to_string(num_features));
      }
    }
  }
  PROMOREC_ASSIGN_OR_RETURN(auto file, env.NewWritableFile(path));
  for (std::size_t i = 0; i < dataset.rows(); ++i) {
    PROMOREC_RETURN_IF_ERROR(file->Append(
        sagemaker::EncodeRecordIoRecord(dataset.Row(i, &scratch), dataset.label(i), num_features)));
  }
  return file->Close();
}

}  // namespace promorec::sagemaker
