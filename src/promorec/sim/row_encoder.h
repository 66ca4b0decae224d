// Turns generated rows into lines of one output format: KASANDR (tab-
// separated with a date-time), classic click lines, NDJSON events, or
// libffm text with a feature dictionary built on the way.
// Thread-safety: an encoder holds per-stream state (the libffm dictionary,
// reused buffers); use one per output stream.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/event/delimited.h"
#include "promorec/sim/dataset.h"
#include "promorec/sim/generator.h"

namespace promorec::sim {

class RowEncoder {
 public:
  // The model must outlive the encoder.
  RowEncoder(const PlantedModel& model, OutputFormat format);

  // The first line of each file (with its line break), or nothing.
  void AppendHeader(std::string* out) const;
  // One line with its line break.
  [[nodiscard]] base::Status Append(const Row& row, std::string* out);

  // libffm: "<field>_<value>" per line in index order (headers.csv).
  const std::string& dictionary() const { return dictionary_; }
  std::uint64_t features() const { return next_index_; }

 private:
  void AppendKasandr(const Row& row, std::string* out);
  void AppendLibffm(const Row& row, std::string* out);
  void FillEvent(const Row& row);
  void AppendDateTime(std::int64_t timestamp_us, std::string* out);

  const PlantedModel& model_;
  OutputFormat format_;
  event::ColumnLayout classic_ = event::ColumnLayout::Classic();
  event::ClickEvent event_;
  // libffm: global feature index per field and value, assigned on first
  // appearance; kUnassigned until then.
  static constexpr std::uint32_t kUnassigned = 0xFFFFFFFFu;
  std::array<std::vector<std::uint32_t>, kFieldCount> index_;
  std::uint32_t next_index_ = 0;
  std::string dictionary_;
  // The date part of the last KASANDR timestamp, since rows come in order
  // and most share their day with the previous one.
  std::int64_t cached_day_ = -1;
  std::string cached_date_;
};

}  // namespace promorec::sim
