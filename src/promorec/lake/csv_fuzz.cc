// libFuzzer target for the lake's CSV parser: any input either fails with
// Corruption or parses to records that, written again, parse to the same
// records; the record counter agrees with the parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/lake/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace lake = promorec::lake;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto records = lake::ParseCsv(text);
  auto count = lake::CountCsvRecords(text);
  if (records.has_value() != count.has_value()) std::abort();
  if (!records) {
    if (records.error().code() != promorec::base::Code::kCorruption) std::abort();
    if (records.error() != count.error()) std::abort();
    return 0;
  }
  if (*count != records->size()) std::abort();
  std::string written;
  for (const lake::CsvRecord& record : *records) {
    for (std::size_t i = 0; i < record.size(); ++i) {
      if (i > 0) written += ',';
      // A lone NULL field would write an empty line, which is no record.
      const bool force = record[i].has_value() && record[i]->empty();
      lake::AppendCsvField(record[i].value_or(""), force || (record.size() == 1 && !record[i]),
                           &written);
    }
    written += '\n';
  }
  auto again = lake::ParseCsv(written);
  if (!again) std::abort();
  if (again->size() != records->size()) std::abort();
  for (std::size_t r = 0; r < records->size(); ++r) {
    const lake::CsvRecord& a = (*records)[r];
    const lake::CsvRecord& b = (*again)[r];
    if (a.size() != b.size()) std::abort();
    for (std::size_t i = 0; i < a.size(); ++i) {
      // A single NULL field had to be written quoted, so it reads as "".
      if (a.size() == 1 && !a[i]) {
        if (b[i] != std::string()) std::abort();
      } else if (a[i] != b[i]) {
        std::abort();
      }
    }
  }
  return 0;
}
