// The promotions `promorec serve` chooses from: DATA_DIR/promotions.json
// (docs/formats/promotions-json.md) when it exists, else
// DATA_DIR/promotions.csv (promotion_id,text), else the demo shop's
// catalogue built into the binary.
// Thread-safety: a pure function of the files it reads.
#pragma once

#include <string>
#include <vector>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/event/catalogue.h"

namespace promorec::app {

struct ServePromotions {
  std::vector<event::Promotion> promotions;
  // The file read, or "the demo catalogue".
  std::string source;
};

// A file that exists but does not parse is an error naming the file, the
// promotion, the key and why; it is never skipped for the next choice.
[[nodiscard]] base::Result<ServePromotions> LoadServePromotions(base::Env& env,
                                                                const std::string& data_dir);

}  // namespace promorec::app
