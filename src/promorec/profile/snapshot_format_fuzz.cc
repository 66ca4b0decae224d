// libFuzzer target for the profile snapshot parser: any bytes either fail
// with Corruption naming the source, or parse to contents that encode back
// to exactly the same bytes. Seed corpus: tests/corpus/profile-snapshot/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "promorec/profile/snapshot_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = promorec::profile::ParseProfileSnapshot(bytes, "fuzz");
  if (!parsed) {
    if (parsed.error().code() != promorec::base::Code::kCorruption ||
        !parsed.error().message().starts_with("fuzz: ")) {
      std::abort();
    }
    return 0;
  }
  std::string again;
  promorec::profile::AppendSnapshotHeader(&again);
  for (const auto& [user, profile] : parsed->profiles) {
    promorec::profile::AppendSnapshotRecord(user, profile, &again);
  }
  promorec::profile::AppendSnapshotTrailer(parsed->profiles.size(), parsed->positions, &again);
  if (again != bytes) std::abort();
  return 0;
}
