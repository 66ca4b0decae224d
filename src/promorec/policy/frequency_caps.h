// Frequency caps: how often one shopper may be shown promotions, over
// sliding windows of event time: at most `per_user_max` decisions per
// shopper within `per_user_window_us`, and the same promotion at most
// `per_promotion_max` times within `per_promotion_window_us` (defaults: 3
// per hour; once per 24 hours). A window slides: a decision at time t
// counts against every decision in (t - window, t].
//
// State is the recent decisions of each shopper (at most as many as the
// caps let through in the longer window), so memory grows with the active
// shoppers; Prune drops shoppers whose decisions have all left both
// windows. The state is saved with the pipeline's snapshot (Encode/Decode),
// which may be of one moment while the caps go on changing (BeginSnapshot,
// then EncodeBegunSnapshot on another thread: base/snapshot_map.h).
//
// Thread-safety: every method may be called from many threads at once
// (each shopper's state changes under its shard's lock), except that one
// snapshot is encoded at a time. The pipeline records and asks under its
// own lock; the snapshot's thread encodes and prunes meanwhile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "promorec/base/snapshot_map.h"
#include "promorec/base/status.h"

namespace promorec::policy {

struct FrequencyCapOptions {
  std::uint32_t per_user_max = 3;
  std::int64_t per_user_window_us = 3'600'000'000LL;
  std::uint32_t per_promotion_max = 1;
  std::int64_t per_promotion_window_us = 24 * 3'600'000'000LL;

  // InvalidArgument naming the first bad value (a max of 0, a window <= 0).
  [[nodiscard]] base::Status Validate() const;
};

class FrequencyCaps {
 public:
  explicit FrequencyCaps(FrequencyCapOptions options = {});

  const FrequencyCapOptions& options() const { return options_; }

  // Whether the shopper has had per_user_max decisions in the window ending
  // at `now_us`.
  bool UserCapped(std::string_view user, std::int64_t now_us) const;
  // Whether `promotion` has been shown to the shopper per_promotion_max
  // times in the window ending at `now_us`.
  bool PromotionCapped(std::string_view user, std::string_view promotion,
                       std::int64_t now_us) const;
  // The promotions `user` may not be shown again at `now_us` (capped),
  // into `out` (cleared first): one lookup for a whole decision.
  void CappedPromotions(std::string_view user, std::int64_t now_us,
                        std::vector<std::string>* out) const;
  // Counts a decision that showed `promotion` at `now_us`.
  void Record(std::string_view user, std::string_view promotion, std::int64_t now_us);

  // Drops shoppers with no decision inside either window ending at
  // `now_us`; the number dropped.
  std::size_t Prune(std::int64_t now_us);
  std::size_t users() const { return users_.size(); }

  // The state as bytes for a snapshot, and back. Decode fails with
  // Corruption on damage (the snapshot around it carries the checksum).
  void Encode(std::string* out);
  [[nodiscard]] base::Status Decode(std::string_view data);
  // Encode in two steps: the moment (one snapshot at a time) ...
  void BeginSnapshot();
  // ... then its bytes, on any thread, while the caps go on changing.
  void EncodeBegunSnapshot(std::string* out);

 private:
  struct Shown {
    std::int64_t time_us;
    std::string promotion;
  };
  // Oldest first.
  using History = std::vector<Shown>;
  struct Codec {
    static void Encode(std::string_view user, const History& history, std::string* out);
  };

  std::int64_t LongestWindow() const;

  FrequencyCapOptions options_;
  base::SnapshotMap<History, Codec> users_;
  std::uint64_t snapshot_users_ = 0;  // at the begun snapshot's mark
};

}  // namespace promorec::policy
