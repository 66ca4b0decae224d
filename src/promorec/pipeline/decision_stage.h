// The decision stage of the pipeline: for each qualifying event of the
// clicks stream (a view, by default), after the shopper's profile has
// taken the event in, Decider scores every eligible promotion, the
// decision policy (caps, budgets, exploration) chooses one, and the
// decision is logged to the `impressions` stream (the ad log; partition
// key = the shopper, so one shopper's decisions are in one shard, in
// order) and then pushed live to the shopper's open connections.
//
// Exactly once in effect: a decision's id derives from the event's id;
// the stage's state (caps, budgets, and how far the ad log went) is saved
// with the pipeline's positions, and at start the ad log written after
// that point is read back, so an event replayed after a crash whose
// decision was already logged is decided again (the same way: the
// randomness comes from the event id) to restore the caps and budgets,
// but not logged or pushed twice.
//
// POST /v1/decisions comes in through DecideNow on the server's threads.
//
// Thread-safety: OnEvent and Flush run on the pipeline thread; DecideNow
// on any thread; the policy is shared under a mutex.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "promorec/base/status.h"
#include "promorec/decide/decider.h"
#include "promorec/decide/decision_policy.h"
#include "promorec/event/click_event.h"
#include "promorec/eventlog/stream.h"
#include "promorec/notify/live_hub.h"
#include "promorec/notify/message_template.h"
#include "promorec/pipeline/attribution.h"
#include "promorec/pipeline/decision_record.h"

namespace promorec::pipeline {

inline constexpr std::string_view kImpressionsStream = "impressions";

struct DecisionStageOptions {
  // The event types a decision is made for.
  std::vector<event::EventType> qualifying = {event::EventType::kView};
  decide::PolicyOptions policy;
  // Its max_bytes bounds all clicks shards together (each has its share).
  AttributionOptions attribution;
  // Shards of the clicks stream. Attribution keeps time per shard: one
  // shopper's events are all in one shard, in order, so labels do not
  // depend on how shards interleave (and a replay labels the same way).
  std::uint32_t clicks_shards = 4;
};

struct DecisionCounters {
  std::uint64_t decided = 0;       // logged decisions
  std::uint64_t replayed = 0;      // decided again after a restart, already logged
  std::uint64_t user_capped = 0;   // no decision: the shopper's frequency cap
  std::uint64_t no_candidate = 0;  // no decision: nothing passed the rules
  std::uint64_t failed = 0;        // the ad log refused an append (retried)
  AttributionCounters attribution;
  std::uint64_t examples_logged = 0;
  std::uint64_t rewards_applied = 0;    // labelled the decision they name
  std::uint64_t rewards_unmatched = 0;  // named no decision waiting or kept
  std::uint64_t rewards_invalid = 0;    // records of the rewards stream that did not parse
};

class DecisionStage {
 public:
  // `decider` and `hub` (may be null) must outlive the stage. Fails when a
  // promotion's subject or message template does not parse.
  // Labelled examples go to `examples` (stream kExamplesStream); explicit
  // outcomes come from `rewards` (stream kRewardsStream; null: none).
  [[nodiscard]] static base::Result<std::unique_ptr<DecisionStage>> Create(
      std::shared_ptr<eventlog::Stream> impressions, std::shared_ptr<eventlog::Stream> examples,
      const decide::Decider* decider, notify::LiveHub* hub, DecisionStageOptions options,
      std::shared_ptr<eventlog::Stream> rewards = nullptr);
  ~DecisionStage();

  // Restores the state Encode wrote and reads the ad log written after
  // it; without state (empty bytes) the ad log is read whole.
  [[nodiscard]] base::Status Restore(std::string_view state);
  // Caps, budgets and the ad log's end positions, as bytes.
  void Encode(std::string* out);
  // Encode in steps, so that the pipeline does not stop for millions of
  // shoppers' caps and decisions: the moment, on the pipeline thread
  // between batches (microseconds; one snapshot at a time) ...
  void BeginSnapshot();
  // ... the pending decisions of that moment, a part of up to
  // `max_entries` at a time, on the pipeline thread between batches (it
  // owns them; copy on write keeps them as they were at the moment: true
  // once all are encoded, as they always are with the default; nothing
  // to do without a begun snapshot) ...
  bool ContinueSnapshot(std::size_t max_entries = std::numeric_limits<std::size_t>::max());
  // ... and the bytes Encode would have written at the moment, on any
  // thread, while decisions go on: the caps are encoded here (copy on
  // write, frequency_caps.h), then it waits for ContinueSnapshot to finish
  // the decisions.
  void EncodeBegunSnapshot(std::string* out);

  bool Qualifies(event::EventType type) const;
  // Decides for one event of the clicks stream; the decision waits in the
  // stage until Flush.
  void OnEvent(std::uint32_t shard, const event::ClickEvent& event);
  // Counts a click or buy that used a promotion against its redemption
  // budget.
  void OnRedemption(const event::ClickEvent& event);
  // Appends the waiting decisions to the ad log (one append), then pushes
  // them live; then applies the rewards appended since the last Flush
  // (once StartRewards was called) and logs the examples. On an append
  // error they stay waiting and the error is returned (the pipeline
  // retries).
  [[nodiscard]] base::Status Flush();
  // Rewards are applied from now on: after the start-up replay, which
  // shows again the decisions made since the snapshot that rewards after
  // it may name. (The rewards stream is read from the position saved in
  // the state.)
  void StartRewards() { rewards_live_ = true; }
  // POST /v1/decisions/{id}/reward appended a record to the rewards
  // stream: the next Flush reads it.
  void NoteRewardAppended() { rewards_appended_.fetch_add(1, std::memory_order_release); }
  // Makes what Flush appended to the ad log and the examples durable now
  // (they may be synced on an interval); before a snapshot names positions
  // in them.
  [[nodiscard]] base::Status SyncLogs();

  // POST /v1/decisions: decides for a request now, logs it durably and
  // pushes it; `request_id` (the caller's idempotency key) makes the
  // decision id. A retry gets the decision it got before (the newest
  // kRecentRequests are kept), and the ad log holds it once: a retry of an
  // older one, or of one made before a restart, is AlreadyExists; one that
  // comes while the first is still being logged is Unavailable.
  [[nodiscard]] base::Result<DecisionRecord> DecideNow(const decide::Request& request,
                                                       std::string_view request_id);

  // Drops the frequency caps' shoppers whose decisions have left every
  // window at `now_us`; how many. On any thread (the snapshot's, after
  // encoding), while decisions go on.
  std::size_t PruneCaps(std::int64_t now_us) { return policy_.Prune(now_us); }

  // Decisions waiting for Flush.
  std::size_t waiting() const { return waiting_.size(); }

  DecisionCounters counters() const;
  const std::shared_ptr<eventlog::Stream>& impressions() const { return impressions_; }
  // The id of the catalogue the decisions' candidate indices refer to.
  const std::string& catalogue() const { return catalogue_; }

 private:
  // The source of decisions made by DecideNow (their ids derive from it).
  static constexpr std::string_view kRequestSource = "request";
  // The clicks shard whose attribution sees `user_id`'s events.
  std::uint32_t ClicksShardOf(std::string_view user_id) const;
  struct Templates {
    notify::MessageTemplate subject;
    notify::MessageTemplate message;
  };
  DecisionStage(std::shared_ptr<eventlog::Stream> impressions,
                std::shared_ptr<eventlog::Stream> examples,
                std::shared_ptr<eventlog::Stream> rewards, const decide::Decider* decider,
                notify::LiveHub* hub, DecisionStageOptions options,
                std::vector<Templates> templates);

  // Decides (under mu_) and fills `record`; nullopt when no decision.
  std::optional<DecisionRecord> DecideLocked(const decide::Request& request,
                                             std::string_view source, std::string_view key);
  void Publish(const DecisionRecord& record, const eventlog::PutResult& where);
  // Reads `stream` from `from` (per shard) to its end, handing each
  // record's data to `take`, and moves `from` to the end.
  [[nodiscard]] base::Status ReadTail(eventlog::Stream& stream, std::vector<std::uint64_t>* from,
                                      const std::function<void(std::string_view)>& take);
  [[nodiscard]] base::Status FlushExamples();
  // Labels the decisions the rewards appended since the last call name.
  [[nodiscard]] base::Status ApplyRewards();
  static std::string ExampleKey(const Example& e);

  const std::shared_ptr<eventlog::Stream> impressions_;
  const std::shared_ptr<eventlog::Stream> examples_;
  const std::shared_ptr<eventlog::Stream> rewards_;
  const decide::Decider* const decider_;
  notify::LiveHub* const hub_;
  const DecisionStageOptions options_;
  const std::vector<Templates> templates_;
  // Catalogue index by promotion id and by code, for redemptions.
  std::unordered_map<std::string, std::uint32_t> by_id_;
  std::unordered_map<std::string, std::uint32_t> by_code_;

  mutable std::mutex mu_;
  decide::DecisionPolicy policy_;
  const std::string catalogue_;
  decide::Decision scratch_;
  // Where the ad log ends (next sequence per shard), as of the last Flush.
  std::vector<std::uint64_t> log_end_;
  // Decision ids in the ad log after the restored state: not logged again.
  std::unordered_set<std::string> logged_;
  std::vector<DecisionRecord> waiting_;
  // DecideNow's decisions, newest kRecentRequests, by decision id; and
  // those being logged now.
  static constexpr std::size_t kRecentRequests = 10'000;
  std::unordered_map<std::string, DecisionRecord> recent_requests_;
  std::deque<std::string> recent_order_;
  std::unordered_set<std::string> requests_in_flight_;
  std::vector<Attribution> attribution_;  // per clicks shard
  std::vector<Example> examples_waiting_;
  // Examples that request decisions closed early (past the attribution
  // bound), under mu_; the pipeline thread logs them with its own.
  std::vector<Example> request_examples_;
  std::vector<std::uint64_t> examples_end_;
  // Examples in the examples stream after the restored state.
  std::unordered_set<std::string> examples_logged_;
  std::atomic<std::uint64_t> examples_count_{0};
  // How far the rewards stream has been applied (saved with the state).
  std::vector<std::uint64_t> rewards_end_;
  bool rewards_live_ = false;
  std::atomic<std::uint64_t> rewards_appended_{0};
  // rewards_appended_ when the stream was last read (none yet: read it).
  std::uint64_t rewards_read_at_ = ~std::uint64_t{0};
  std::atomic<std::uint64_t> rewards_applied_{0};
  std::atomic<std::uint64_t> rewards_unmatched_{0};
  std::atomic<std::uint64_t> rewards_invalid_{0};
  // The positions at the begun snapshot's mark.
  struct SnapshotPositions {
    std::vector<std::uint64_t> log_end;
    std::vector<std::uint64_t> examples_end;
    std::vector<std::uint64_t> rewards_end;
  };
  SnapshotPositions snapshot_;
  // The pending decisions of the begun snapshot, as ContinueSnapshot
  // encodes them (under mu_): up to which clicks shard, and whether done.
  std::string snapshot_attribution_;
  std::size_t snapshot_shard_ = 0;
  std::size_t snapshot_open_prefix_ = 0;  // BeginLengthPrefixed of the shard under way
  bool snapshot_shard_started_ = false;
  bool snapshot_begun_ = false;
  bool snapshot_attribution_done_ = false;
  std::condition_variable snapshot_cv_;
  std::string encoded_;

  std::atomic<std::uint64_t> decided_{0};
  std::atomic<std::uint64_t> replayed_{0};
  std::atomic<std::uint64_t> user_capped_{0};
  std::atomic<std::uint64_t> no_candidate_{0};
  std::atomic<std::uint64_t> failed_{0};
};

}  // namespace promorec::pipeline
