// Attribution: which decisions worked. A decision is a success when the
// same shopper clicks or buys with the shown promotion (its id or its
// code) within a window after it (default 1 h: a shopper mostly acts
// within the visit); a decision whose window closes without one is a
// failure. Each outcome becomes a labelled training example that keeps
// what the decision saw (the context the features are built from: user,
// country, category, product, time, promotion) and the probability the
// policy chose it with, so training can weight it.
//
// Time is the events' own. A window closes when the newest event time seen
// passes its end by `lateness` (default 10 min), so events that arrive a
// little out of order still count. An event that arrives later still, but
// happened inside a window already closed as a failure, corrects it: a
// second example with the same id and label 1, marked as a correction
// (closed decisions are kept for one more window for this). Readers keep
// the last example per id.
//
// Its snapshot may be of one moment while it goes on changing:
// BeginSnapshot marks the moment, EncodeSome then encodes it a part at a
// time, and an entry changed before the encoding reaches it is kept as it
// was at the mark first (copy on write), so whoever owns the attribution
// need lock it only for one part at a time, not for millions of decisions.
//
// Thread-safety: not thread-safe; its owner serializes every call (the
// decision stage, under its lock).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "promorec/base/spread_map.h"
#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/pipeline/decision_record.h"

namespace promorec::pipeline {

inline constexpr std::string_view kExamplesStream = "examples";
// The outcome of an example labelled by POST /v1/decisions/{id}/reward.
inline constexpr std::string_view kRewardOutcome = "reward";

struct AttributionOptions {
  std::int64_t window_us = 3'600'000'000LL;
  std::int64_t lateness_us = 600'000'000LL;
  // Decisions waiting for their outcome; past it the oldest close early
  // (as failures, counted).
  std::size_t max_pending = 10'000'000;
  // The memory they may hold (about 400 bytes each): past it, closed ones
  // kept for late corrections go first, then the oldest open ones close
  // early as above.
  std::size_t max_bytes = std::size_t{16} << 30;
};

struct Example {
  std::string example_id;  // the decision's id
  std::string user_id;
  std::string country;
  std::string category;
  std::string product;
  std::int64_t time_us = 0;  // of the decision
  std::string promotion_id;
  double probability = 0.0;
  std::string model_version;
  std::string policy;
  int label = 0;
  // The click or buy, for label 1; kRewardOutcome for an explicit reward.
  std::string outcome_event_id;
  std::int64_t outcome_time_us = 0;
  bool correction = false;

  friend bool operator==(const Example&, const Example&) = default;
};

void AppendExampleJson(const Example& example, std::string* out);
[[nodiscard]] base::Result<Example> ParseExampleJson(std::string_view json);

struct AttributionCounters {
  std::uint64_t positives = 0;
  std::uint64_t negatives = 0;
  std::uint64_t corrections = 0;
  std::uint64_t closed_early = 0;  // for max_pending
  std::uint64_t rewarded = 0;      // labelled by an explicit reward
  std::uint64_t pending = 0;       // gauge
  std::uint64_t bytes = 0;         // gauge: memory held, estimated
};

class Attribution {
 public:
  explicit Attribution(AttributionOptions options = {});

  // A logged decision starts waiting for its outcome (closing the oldest
  // early, into `out`, past max_pending).
  void Shown(const DecisionRecord& decision, std::vector<Example>* out);
  // A click or buy of the shopper: labels the decision(s) it redeems.
  // Moves time on (Advance) too; both append finished examples to `out`.
  void Observe(const event::ClickEvent& event, std::vector<Example>* out);
  // An explicit outcome (the rewards stream): a reward > 0 labels the
  // decision a success (a correction when its window had closed), 0 a
  // failure now (nothing more when it had closed). False when the decision
  // is not held: unknown here, or past the time kept for corrections.
  bool Reward(std::string_view decision_id, double reward, std::int64_t time_us,
              std::vector<Example>* out);
  // Closes the windows that ended before `event_time_us - lateness`.
  void Advance(std::int64_t event_time_us, std::vector<Example>* out);

  AttributionCounters counters() const;

  void Encode(std::string* out);
  [[nodiscard]] base::Status Decode(std::string_view data);
  // Encode in parts: the moment (one snapshot at a time) ...
  void BeginSnapshot();
  // ... then up to `max_entries` more of its decisions appended to `out`;
  // true once it is all there (the bytes Encode writes at the mark).
  bool EncodeSome(std::string* out, std::size_t max_entries);

 private:
  struct Pending {
    Example example;  // label 0 until redeemed
    std::string promotion_code;
    bool closed = false;  // emitted as a failure; kept for corrections
    bool gone = false;    // labelled or dropped: a hole in entries_
  };
  Pending& At(std::uint64_t number) { return entries_[number - first_]; }
  std::uint64_t end() const { return first_ + entries_.size(); }
  // Appends a decision in order (closed ones must all come first).
  void Add(Pending p);
  // Drops entry `number` from the indexes and releases its memory.
  void Forget(std::uint64_t number);
  // Memory an entry holds beyond its slot: strings and index nodes.
  static std::size_t HeldBytes(const Pending& p);
  // Pops the front while it is gone (its slot's memory goes).
  void TrimGoneFront();
  // Pops the front slot (forgotten already).
  void PopFront();
  // Before entry `number` changes: keeps it as it was at the mark while a
  // begun snapshot has yet to encode it.
  void KeepForSnapshot(std::uint64_t number);
  static void EncodeEntry(const Pending& p, std::string* out);

  AttributionOptions options_;
  std::int64_t newest_us_ = 0;
  // The decisions in the order they were shown, numbered from first_:
  // those before closed_end_ are closed (or gone), those after it open (or
  // gone). Windows close in this order, so the encoder and the window
  // walk go through memory in sequence.
  std::deque<Pending> entries_;
  std::uint64_t first_ = 0;
  std::uint64_t closed_end_ = 0;
  std::size_t open_ = 0;   // open entries not gone
  std::size_t bytes_ = 0;  // slots plus HeldBytes of the entries not gone
  // The entries not gone, by decision id and by shopper.
  // (In parts: base/spread_map.h.)
  base::SpreadMap<std::unordered_map<std::string, std::uint64_t>> by_id_;
  base::SpreadMap<std::unordered_multimap<std::string, std::uint64_t>> by_user_;
  std::uint64_t positives_ = 0;
  std::uint64_t negatives_ = 0;
  std::uint64_t corrections_ = 0;
  std::uint64_t closed_early_ = 0;
  std::uint64_t rewarded_ = 0;
  // The begun snapshot: the entries it holds are those not gone at the
  // mark among [snapshot_next_, snapshot_end_); those encoded are before
  // snapshot_next_. Entries changed since the mark, as they were then.
  bool snapshot_pending_ = false;
  bool snapshot_header_written_ = false;
  std::int64_t snapshot_newest_us_ = 0;
  std::uint64_t snapshot_count_ = 0;
  std::uint64_t snapshot_next_ = 0;
  std::uint64_t snapshot_end_ = 0;
  std::unordered_map<std::uint64_t, Pending> snapshot_before_;
};

}  // namespace promorec::pipeline
