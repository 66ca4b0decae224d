// The promotions file, DATA_DIR/promotions.json: the promotions `serve`
// chooses from and their eligibility rules. The format and every error it
// reports are written down in docs/formats/promotions-json.md; this is its
// only implementation.
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/catalogue.h"

namespace promorec::event {

inline constexpr std::size_t kMaxPromotionTextBytes = 1024;
inline constexpr std::size_t kMaxPromotionMessageBytes = 4096;
inline constexpr std::size_t kMaxEligibilityListItems = 10000;

// Parses the whole file. `source` names it in errors, which are
// InvalidArgument "SOURCE: PATH: WHY" with PATH like
// `promotions[2].eligibility.countries[0]`. A promotion without "code" gets
// its id as code.
[[nodiscard]] base::Result<std::vector<Promotion>> ParsePromotionsJson(std::string_view text,
                                                                       std::string_view source);

// Writes `promotions` in the array layout, every field that is set; what
// ParsePromotionsJson accepted reads back equal.
void AppendPromotionsJson(std::span<const Promotion> promotions, std::string* out);

}  // namespace promorec::event
