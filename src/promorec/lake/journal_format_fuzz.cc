// libFuzzer target for the lake journal decoder: any input either fails
// with Corruption or decodes to a journal whose re-encoding decodes to the
// same contents.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/lake/journal_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace lake = promorec::lake;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = lake::DecodeJournal(bytes);
  if (!decoded) {
    if (decoded.error().code() != promorec::base::Code::kCorruption) std::abort();
    return 0;
  }
  if (decoded->valid_bytes + decoded->dropped_tail_bytes != size) std::abort();
  std::string again =
      lake::EncodeJournalHeader(decoded->table) + lake::EncodeSnapshotRecord(decoded->snapshot);
  for (const lake::CommitRecord& commit : decoded->commits) {
    again += lake::EncodeCommitRecord(commit);
  }
  if (again != bytes.substr(0, decoded->valid_bytes)) std::abort();
  auto redecoded = lake::DecodeJournal(again);
  if (!redecoded || redecoded->state != decoded->state || redecoded->commits != decoded->commits ||
      redecoded->dropped_tail_bytes != 0) {
    std::abort();
  }
  return 0;
}
