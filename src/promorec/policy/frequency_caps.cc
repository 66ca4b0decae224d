#include "promorec/policy/frequency_caps.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "promorec/base/byte_io.h"

namespace promorec::policy {

base::Status FrequencyCapOptions::Validate() const {
  if (per_user_max == 0) return base::InvalidArgument("frequency cap per user must be >= 1");
  if (per_promotion_max == 0) {
    return base::InvalidArgument("frequency cap per promotion must be >= 1");
  }
  if (per_user_window_us <= 0 || per_promotion_window_us <= 0) {
    return base::InvalidArgument("frequency cap windows must be longer than 0");
  }
  return {};
}

FrequencyCaps::FrequencyCaps(FrequencyCapOptions options) : options_(options) {}

std::int64_t FrequencyCaps::LongestWindow() const {
  return std::max(options_.per_user_window_us, options_.per_promotion_window_us);
}

bool FrequencyCaps::UserCapped(std::string_view user, std::int64_t now_us) const {
  return users_.Read(user, [&](const History* history) {
    if (history == nullptr) return false;
    std::uint32_t count = 0;
    for (const Shown& shown : *history) {
      if (shown.time_us > now_us - options_.per_user_window_us && shown.time_us <= now_us) ++count;
    }
    return count >= options_.per_user_max;
  });
}

bool FrequencyCaps::PromotionCapped(std::string_view user, std::string_view promotion,
                                    std::int64_t now_us) const {
  return users_.Read(user, [&](const History* history) {
    if (history == nullptr) return false;
    std::uint32_t count = 0;
    for (const Shown& shown : *history) {
      if (shown.promotion == promotion &&
          shown.time_us > now_us - options_.per_promotion_window_us && shown.time_us <= now_us) {
        ++count;
      }
    }
    return count >= options_.per_promotion_max;
  });
}

void FrequencyCaps::CappedPromotions(std::string_view user, std::int64_t now_us,
                                     std::vector<std::string>* out) const {
  out->clear();
  users_.Read(user, [&](const History* history) {
    if (history == nullptr) return;
    for (const Shown& shown : *history) {
      if (shown.time_us <= now_us - options_.per_promotion_window_us || shown.time_us > now_us) {
        continue;
      }
      if (std::find(out->begin(), out->end(), shown.promotion) != out->end()) continue;
      std::uint32_t count = 0;
      for (const Shown& other : *history) {
        count += other.promotion == shown.promotion &&
                 other.time_us > now_us - options_.per_promotion_window_us &&
                 other.time_us <= now_us;
      }
      if (count >= options_.per_promotion_max) out->push_back(shown.promotion);
    }
  });
}

void FrequencyCaps::Record(std::string_view user, std::string_view promotion, std::int64_t now_us) {
  // Decisions that left both windows no longer count for anything.
  const std::int64_t horizon = now_us - LongestWindow();
  users_.Update(user, [&](History& history) {
    history.erase(std::remove_if(history.begin(), history.end(),
                                 [horizon](const Shown& s) { return s.time_us <= horizon; }),
                  history.end());
    // Kept in time order; events may arrive slightly out of order.
    auto at = std::upper_bound(history.begin(), history.end(), now_us,
                               [](std::int64_t t, const Shown& s) { return t < s.time_us; });
    history.insert(at, Shown{now_us, std::string(promotion)});
  });
}

std::size_t FrequencyCaps::Prune(std::int64_t now_us) {
  const std::int64_t horizon = now_us - LongestWindow();
  return users_.EraseIf([horizon](std::string_view, const History& history) {
    return history.empty() || history.back().time_us <= horizon;
  });
}

void FrequencyCaps::Codec::Encode(std::string_view user, const History& history, std::string* out) {
  base::PutLengthPrefixed(out, user);
  base::PutFixed64(out, history.size());
  for (const Shown& shown : history) {
    base::PutFixed64(out, static_cast<std::uint64_t>(shown.time_us));
    base::PutLengthPrefixed(out, shown.promotion);
  }
}

void FrequencyCaps::Encode(std::string* out) {
  BeginSnapshot();
  EncodeBegunSnapshot(out);
}

void FrequencyCaps::BeginSnapshot() { snapshot_users_ = users_.BeginSnapshot(); }

void FrequencyCaps::EncodeBegunSnapshot(std::string* out) {
  base::PutFixed64(out, snapshot_users_);
  (void)users_.EncodeBegunSnapshot(out);
}

base::Status FrequencyCaps::Decode(std::string_view data) {
  base::ByteReader reader(data);
  std::vector<std::pair<std::string, History>> users;
  std::uint64_t count = 0;
  if (!reader.Fixed64(&count) || count > data.size()) {
    return base::Corruption("frequency caps: damaged shopper count");
  }
  users.resize(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    auto& [user, history] = users[static_cast<std::size_t>(i)];
    std::uint64_t shown = 0;
    if (!reader.LengthPrefixed(&user) || !reader.Fixed64(&shown) || shown > data.size()) {
      return base::Corruption("frequency caps: damaged shopper " + std::to_string(i));
    }
    history.resize(static_cast<std::size_t>(shown));
    for (Shown& s : history) {
      if (!reader.Signed64(&s.time_us) || !reader.LengthPrefixed(&s.promotion)) {
        return base::Corruption("frequency caps: damaged history of shopper " + std::to_string(i));
      }
    }
  }
  if (!reader.done()) return base::Corruption("frequency caps: bytes after the last shopper");
  users_.Clear();
  for (auto& [user, history] : users) users_.Assign(std::move(user), std::move(history));
  return {};
}

}  // namespace promorec::policy
