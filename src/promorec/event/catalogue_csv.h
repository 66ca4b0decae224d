// The shop catalogue as CSV, as the demo catalogue ships it:
//   products.csv   product_id,name,category_id,category_name,price
//   promotions.csv promotion_id,text
// Fields may be double-quoted ("Buy one get one free"), with "" for a quote.
// Thread-safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/event/catalogue.h"

namespace promorec::event {

// `source` names the input in errors ("products.csv:3: ...").
[[nodiscard]] base::Result<std::vector<Product>> ParseProductsCsv(std::string_view text,
                                                                  std::string_view source);
base::Result<std::vector<Promotion>> ParsePromotionsCsv(std::string_view text,
                                                        std::string_view source);

}  // namespace promorec::event
