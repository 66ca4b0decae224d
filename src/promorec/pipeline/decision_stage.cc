#include "promorec/pipeline/decision_stage.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "promorec/base/byte_io.h"
#include "promorec/eventlog/hash_key.h"
#include "promorec/pipeline/reward_record.h"
#include "promorec/policy/eligibility.h"

namespace promorec::pipeline {

namespace {

// The memory bound is for the stage; each clicks shard has its share.
AttributionOptions PerShard(AttributionOptions options, std::uint32_t shards) {
  options.max_bytes /= std::max<std::uint32_t>(1, shards);
  return options;
}

std::string CatalogueIdOf(const std::vector<event::Promotion>& promotions) {
  std::vector<std::string> ids;
  ids.reserve(promotions.size());
  for (const event::Promotion& p : promotions) ids.push_back(p.id);
  return CatalogueId(ids);
}

void PutPositions(const std::vector<std::uint64_t>& positions, std::string* out) {
  base::PutFixed64(out, positions.size());
  for (const std::uint64_t p : positions) base::PutFixed64(out, p);
}

// Positions saved for as many shards as `out` has.
bool GetPositions(base::ByteReader* in, std::vector<std::uint64_t>* out) {
  std::uint64_t shards = 0;
  if (!in->Fixed64(&shards) || shards != out->size()) return false;
  for (std::uint64_t& p : *out) {
    if (!in->Fixed64(&p)) return false;
  }
  return true;
}

}  // namespace

base::Result<std::unique_ptr<DecisionStage>> DecisionStage::Create(
    std::shared_ptr<eventlog::Stream> impressions, std::shared_ptr<eventlog::Stream> examples,
    const decide::Decider* decider, notify::LiveHub* hub, DecisionStageOptions options,
    std::shared_ptr<eventlog::Stream> rewards) {
  PROMOREC_RETURN_IF_ERROR(options.policy.Validate());
  std::vector<Templates> templates;
  for (const event::Promotion& p : decider->promotions()) {
    Templates t{notify::MessageTemplate::DefaultSubject(),
                notify::MessageTemplate::DefaultMessage()};
    if (!p.subject.empty()) {
      auto parsed = notify::MessageTemplate::Parse(p.subject);
      if (!parsed) {
        return std::unexpected(
            std::move(parsed).error().WithContext("promotion " + p.id + ": subject"));
      }
      t.subject = *std::move(parsed);
    }
    if (!p.message.empty()) {
      auto parsed = notify::MessageTemplate::Parse(p.message);
      if (!parsed) {
        return std::unexpected(
            std::move(parsed).error().WithContext("promotion " + p.id + ": message"));
      }
      t.message = *std::move(parsed);
    }
    templates.push_back(std::move(t));
  }
  PROMOREC_ASSIGN_OR_RETURN(const auto shards, impressions->DescribeShards());
  PROMOREC_ASSIGN_OR_RETURN(const auto example_shards, examples->DescribeShards());
  std::size_t reward_shards = 0;
  if (rewards != nullptr) {
    PROMOREC_ASSIGN_OR_RETURN(const auto described, rewards->DescribeShards());
    reward_shards = described.size();
  }
  std::unique_ptr<DecisionStage> stage(
      new DecisionStage(std::move(impressions), std::move(examples), std::move(rewards), decider,
                        hub, std::move(options), std::move(templates)));
  stage->log_end_.assign(shards.size(), 0);
  stage->examples_end_.assign(example_shards.size(), 0);
  stage->rewards_end_.assign(reward_shards, 0);
  return stage;
}

DecisionStage::DecisionStage(std::shared_ptr<eventlog::Stream> impressions,
                             std::shared_ptr<eventlog::Stream> examples,
                             std::shared_ptr<eventlog::Stream> rewards,
                             const decide::Decider* decider, notify::LiveHub* hub,
                             DecisionStageOptions options, std::vector<Templates> templates)
    : impressions_(std::move(impressions)),
      examples_(std::move(examples)),
      rewards_(std::move(rewards)),
      decider_(decider),
      hub_(hub),
      options_(std::move(options)),
      templates_(std::move(templates)),
      policy_(decider->promotions(), options_.policy),
      catalogue_(CatalogueIdOf(decider->promotions())),
      attribution_(options_.clicks_shards,
                   Attribution(PerShard(options_.attribution, options_.clicks_shards))) {
  const auto& promotions = decider->promotions();
  for (std::uint32_t i = 0; i < promotions.size(); ++i) {
    by_id_.emplace(promotions[i].id, i);
    by_code_.emplace(promotions[i].code, i);
  }
}

DecisionStage::~DecisionStage() = default;

bool DecisionStage::Qualifies(event::EventType type) const {
  return std::find(options_.qualifying.begin(), options_.qualifying.end(), type) !=
         options_.qualifying.end();
}

void DecisionStage::Encode(std::string* out) {
  BeginSnapshot();
  (void)ContinueSnapshot();
  EncodeBegunSnapshot(out);
}

void DecisionStage::BeginSnapshot() {
  std::lock_guard lock(mu_);
  snapshot_ = {log_end_, examples_end_, rewards_end_};
  policy_.BeginSnapshot();
  for (Attribution& a : attribution_) a.BeginSnapshot();
  snapshot_attribution_.clear();
  base::PutFixed64(&snapshot_attribution_, attribution_.size());
  snapshot_shard_ = 0;
  snapshot_shard_started_ = false;
  snapshot_begun_ = true;
  snapshot_attribution_done_ = false;
}

bool DecisionStage::ContinueSnapshot(std::size_t max_entries) {
  std::lock_guard lock(mu_);
  if (!snapshot_begun_ || snapshot_attribution_done_) return true;
  while (snapshot_shard_ < attribution_.size()) {
    if (!snapshot_shard_started_) {
      snapshot_open_prefix_ = base::BeginLengthPrefixed(&snapshot_attribution_);
      snapshot_shard_started_ = true;
    }
    if (!attribution_[snapshot_shard_].EncodeSome(&snapshot_attribution_, max_entries)) {
      return false;
    }
    base::EndLengthPrefixed(&snapshot_attribution_, snapshot_open_prefix_);
    snapshot_shard_started_ = false;
    ++snapshot_shard_;
  }
  snapshot_attribution_done_ = true;
  snapshot_cv_.notify_all();
  return true;
}

void DecisionStage::EncodeBegunSnapshot(std::string* out) {
  PutPositions(snapshot_.log_end, out);
  // Written in place: with millions of shoppers and pending decisions
  // these are hundreds of megabytes. The caps lock themselves, a part at a
  // time.
  const std::size_t policy = base::BeginLengthPrefixed(out);
  policy_.EncodeBegunSnapshot(out);
  base::EndLengthPrefixed(out, policy);
  PutPositions(snapshot_.examples_end, out);
  {
    std::unique_lock lock(mu_);
    snapshot_cv_.wait(lock, [this] { return snapshot_attribution_done_; });
    out->append(snapshot_attribution_);
    std::string().swap(snapshot_attribution_);
    snapshot_begun_ = false;
  }
  PutPositions(snapshot_.rewards_end, out);
}

base::Status DecisionStage::Restore(std::string_view state) {
  std::vector<std::uint64_t> from(log_end_.size(), 0);
  std::vector<std::uint64_t> examples_from(examples_end_.size(), 0);
  std::lock_guard lock(mu_);
  if (!state.empty()) {
    base::ByteReader in(state);
    std::string_view policy;
    std::uint64_t attribution_shards = 0;
    if (!GetPositions(&in, &from) || !in.LengthPrefixed(&policy) ||
        !GetPositions(&in, &examples_from) || !in.Fixed64(&attribution_shards) ||
        attribution_shards != attribution_.size()) {
      return base::Corruption(
          "decision stage state: damaged, or saved with other shard counts of the clicks, "
          "impressions and examples streams");
    }
    PROMOREC_RETURN_IF_ERROR(policy_.Decode(policy));
    for (Attribution& a : attribution_) {
      std::string_view attribution;
      if (!in.LengthPrefixed(&attribution)) {
        return base::Corruption("decision stage state: truncated");
      }
      PROMOREC_RETURN_IF_ERROR(a.Decode(attribution));
    }
    // States saved before rewards were read end here: the stream is read
    // from its start (a reward whose decision was labelled before finds
    // nothing to label again).
    std::vector<std::uint64_t> rewards_from(rewards_end_.size(), 0);
    if (!in.done() && !GetPositions(&in, &rewards_from)) {
      return base::Corruption(
          "decision stage state: damaged rewards positions, or saved with another shard count "
          "of the rewards stream");
    }
    if (!in.done()) return base::Corruption("decision stage state: bytes after the end");
    rewards_end_ = std::move(rewards_from);
  } else {
    std::fill(rewards_end_.begin(), rewards_end_.end(), 0);
  }
  rewards_read_at_ = ~std::uint64_t{0};
  logged_.clear();
  PROMOREC_RETURN_IF_ERROR(ReadTail(*impressions_, &from, [this](std::string_view data) {
    auto record = ParseDecisionJson(data, CandidateParsing::kSkipCandidates);
    if (!record) return;
    // A decision made on request after the snapshot waits for its outcome
    // again (an event's decision does so when its event is replayed).
    if (record->source == kRequestSource) {
      attribution_.at(ClicksShardOf(record->user_id)).Shown(*record, &request_examples_);
    }
    logged_.insert(std::move(record->decision_id));
  }));
  log_end_ = std::move(from);
  examples_logged_.clear();
  PROMOREC_RETURN_IF_ERROR(ReadTail(*examples_, &examples_from, [this](std::string_view data) {
    if (auto example = ParseExampleJson(data)) examples_logged_.insert(ExampleKey(*example));
  }));
  examples_end_ = std::move(examples_from);
  return {};
}

std::string DecisionStage::ExampleKey(const Example& e) {
  return e.example_id + (e.label == 1 ? ":1" : ":0") + (e.correction ? ":c" : "");
}

base::Status DecisionStage::ReadTail(eventlog::Stream& stream, std::vector<std::uint64_t>* from,
                                     const std::function<void(std::string_view)>& take) {
  for (std::uint32_t shard = 0; shard < from->size(); ++shard) {
    PROMOREC_ASSIGN_OR_RETURN(std::uint64_t next,
                              stream.Resolve(shard, {eventlog::IteratorType::kTrimHorizon}));
    next = std::max(next, (*from)[shard]);
    while (true) {
      PROMOREC_ASSIGN_OR_RETURN(const eventlog::ReadBatch batch,
                                stream.Read(shard, next, eventlog::ReadLimits{}));
      for (const eventlog::RecordView& r : batch.records) take(r.data);
      if (batch.records.empty() || batch.next_sequence == next) break;
      next = batch.next_sequence;
    }
    (*from)[shard] = next;
  }
  return {};
}

std::optional<DecisionRecord> DecisionStage::DecideLocked(const decide::Request& request,
                                                          std::string_view source,
                                                          std::string_view key) {
  if (auto s = decider_->Decide(request, &scratch_); !s) {
    spdlog::warn("decision for user {}: {}", request.user_id, s.error().ToString());
    return std::nullopt;
  }
  const decide::Choice choice = policy_.Decide(key, request.now_us, &scratch_);
  if (choice.outcome == decide::Outcome::kUserCapped) {
    user_capped_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  if (choice.outcome == decide::Outcome::kNoCandidate) {
    no_candidate_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  policy_.Commit(scratch_, choice, request.now_us);
  const auto& promotions = decider_->promotions();
  const event::Promotion& chosen = promotions[choice.promotion];
  const policy::ExplorationOptions& exploration = policy_.options().exploration;
  DecisionRecord r;
  r.decision_id = DecisionId(source, key);
  r.event_id = std::string(key);
  r.source = std::string(source);
  r.user_id = request.user_id;
  r.time_us = request.now_us;
  r.country = scratch_.country;
  r.category = scratch_.category;
  r.product = scratch_.product;
  r.promotion_id = chosen.id;
  r.promotion_code = chosen.code;
  r.promotion_text = chosen.text;
  r.probability = choice.probability;
  r.model_version = scratch_.model_version;
  r.policy = scratch_.has_model ? std::string(policy::ExplorationKindName(exploration.kind))
                                : std::string("uniform");
  r.epsilon = exploration.epsilon;
  r.temperature = exploration.temperature;
  r.seed = exploration.seed;
  r.catalogue = catalogue_;
  r.candidates.resize(scratch_.candidates.size());
  for (std::size_t i = 0; i < scratch_.candidates.size(); ++i) {
    const decide::Candidate& c = scratch_.candidates[i];
    CandidateRecord& out = r.candidates[i];
    out.score = c.score;
    if (c.removed_by) out.removed_by = policy::IneligibleName(*c.removed_by);
  }
  const notify::TemplateValues values{r.product, chosen.text, chosen.code, r.user_id};
  r.subject = templates_[choice.promotion].subject.Render(values);
  r.message = templates_[choice.promotion].message.Render(values);
  return r;
}

void DecisionStage::OnEvent(std::uint32_t shard, const event::ClickEvent& e) {
  Attribution& attribution = attribution_.at(shard);
  {
    std::lock_guard lock(mu_);
    attribution.Observe(e, &examples_waiting_);
  }
  if (!Qualifies(e.type)) {
    if (e.type != event::EventType::kView) OnRedemption(e);
    return;
  }
  decide::Request request;
  request.user_id = e.user_id;
  request.country = e.country;
  request.category = e.category;
  request.product = e.product;
  request.price = e.price;
  request.now_us = e.timestamp_us;
  request.k = 1;
  request.allow_no_model = true;
  std::lock_guard lock(mu_);
  std::optional<DecisionRecord> record = DecideLocked(request, "event", e.event_id);
  if (!record) return;
  for (const auto& [key, value] : e.attributes) {
    if (key == "email") record->email = value;
  }
  attribution.Shown(*record, &examples_waiting_);
  if (logged_.contains(record->decision_id)) {
    replayed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  waiting_.push_back(*std::move(record));
}

void DecisionStage::OnRedemption(const event::ClickEvent& e) {
  // The first promotion in catalogue order that the id or the code names.
  std::optional<std::uint32_t> index;
  if (e.HasPromotion()) {
    if (const auto it = by_id_.find(e.offer_id); it != by_id_.end()) index = it->second;
  }
  if (!e.promotion_code.empty()) {
    if (const auto it = by_code_.find(e.promotion_code); it != by_code_.end()) {
      index = index ? std::min(*index, it->second) : it->second;
    }
  }
  if (!index) return;
  std::lock_guard lock(mu_);
  policy_.Redeemed(*index, e.timestamp_us);
}

std::uint32_t DecisionStage::ClicksShardOf(std::string_view user_id) const {
  // The ingest writer keys each event by its user id (Kinesis routing).
  return eventlog::ShardForHashKey(eventlog::PartitionKeyHash(user_id),
                                   static_cast<std::uint32_t>(attribution_.size()));
}

base::Status DecisionStage::FlushExamples() {
  {
    std::lock_guard lock(mu_);
    examples_waiting_.insert(examples_waiting_.end(),
                             std::make_move_iterator(request_examples_.begin()),
                             std::make_move_iterator(request_examples_.end()));
    request_examples_.clear();
  }
  std::erase_if(examples_waiting_,
                [this](const Example& e) { return examples_logged_.contains(ExampleKey(e)); });
  if (examples_waiting_.empty()) return {};
  std::vector<std::string> encoded(examples_waiting_.size());
  std::vector<eventlog::PutRecord> puts(examples_waiting_.size());
  for (std::size_t i = 0; i < examples_waiting_.size(); ++i) {
    AppendExampleJson(examples_waiting_[i], &encoded[i]);
    puts[i] = eventlog::PutRecord{examples_waiting_[i].user_id, encoded[i], std::nullopt};
  }
  PROMOREC_ASSIGN_OR_RETURN(const auto results, examples_->Append(puts));
  {
    std::lock_guard lock(mu_);
    for (const eventlog::PutResult& where : results) {
      examples_end_[where.shard] = std::max(examples_end_[where.shard], where.sequence + 1);
    }
  }
  examples_count_.fetch_add(examples_waiting_.size(), std::memory_order_relaxed);
  examples_waiting_.clear();
  return {};
}

base::Status DecisionStage::Flush() {
  if (!waiting_.empty()) {
    std::vector<std::string> encoded(waiting_.size());
    std::vector<eventlog::PutRecord> puts(waiting_.size());
    for (std::size_t i = 0; i < waiting_.size(); ++i) {
      AppendDecisionJson(waiting_[i], &encoded[i]);
      puts[i] = eventlog::PutRecord{waiting_[i].user_id, encoded[i], std::nullopt};
    }
    auto results = impressions_->Append(puts);
    if (!results) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      return std::unexpected(std::move(results).error());
    }
    {
      std::lock_guard lock(mu_);
      for (const eventlog::PutResult& where : *results) {
        log_end_[where.shard] = std::max(log_end_[where.shard], where.sequence + 1);
      }
    }
    if (hub_ != nullptr) {
      std::vector<notify::Notification> batch;
      batch.reserve(waiting_.size());
      for (std::size_t i = 0; i < waiting_.size(); ++i) {
        batch.push_back(NotificationOf(waiting_[i], (*results)[i].shard, (*results)[i].sequence));
      }
      hub_->Publish(batch);
    }
    decided_.fetch_add(waiting_.size(), std::memory_order_relaxed);
    waiting_.clear();
  }
  // After the decisions are out: the shoppers do not wait for the labels.
  // Examples are logged on the pipeline thread only (what DecideNow's
  // attribution closes waits in request_examples_).
  if (auto s = ApplyRewards(); !s) {
    spdlog::error("pipeline: cannot read the rewards stream: {}", s.error().ToString());
  }
  return FlushExamples();
}

base::Status DecisionStage::ApplyRewards() {
  if (rewards_ == nullptr || !rewards_live_) return {};
  const std::uint64_t appended = rewards_appended_.load(std::memory_order_acquire);
  if (appended == rewards_read_at_) return {};
  // A reward appended after the count was read bumps it again: the next
  // Flush reads on from where this one ends.
  std::vector<RewardRecord> read;
  std::vector<std::uint64_t> end = rewards_end_;
  PROMOREC_RETURN_IF_ERROR(ReadTail(*rewards_, &end, [&](std::string_view data) {
    auto reward = ParseRewardJson(data);
    if (reward) {
      read.push_back(*std::move(reward));
    } else {
      rewards_invalid_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("pipeline: rewards stream: {}", reward.error().ToString());
    }
  }));
  rewards_read_at_ = appended;
  std::lock_guard lock(mu_);
  for (const RewardRecord& r : read) {
    bool applied = false;
    for (Attribution& a : attribution_) {
      if (a.Reward(r.decision_id, r.reward, r.time_us, &examples_waiting_)) {
        applied = true;
        break;
      }
    }
    (applied ? rewards_applied_ : rewards_unmatched_).fetch_add(1, std::memory_order_relaxed);
  }
  rewards_end_ = std::move(end);
  return {};
}

base::Status DecisionStage::SyncLogs() {
  PROMOREC_RETURN_IF_ERROR(impressions_->Sync());
  return examples_->Sync();
}

void DecisionStage::Publish(const DecisionRecord& r, const eventlog::PutResult& where) {
  if (hub_ == nullptr) return;
  hub_->Publish(NotificationOf(r, where.shard, where.sequence));
}

base::Result<DecisionRecord> DecisionStage::DecideNow(const decide::Request& request,
                                                      std::string_view request_id) {
  std::unique_lock lock(mu_);
  const std::string id = DecisionId(kRequestSource, request_id);
  if (const auto it = recent_requests_.find(id); it != recent_requests_.end()) {
    return it->second;
  }
  if (logged_.contains(id)) {
    return base::MakeError(base::Code::kAlreadyExists,
                           "a decision for request_id '" + std::string(request_id) +
                               "' was made earlier (decision " + id + ")");
  }
  if (!requests_in_flight_.insert(id).second) {
    return base::MakeError(
        base::Code::kUnavailable,
        "the decision for request_id '" + std::string(request_id) + "' is being made; retry");
  }
  decide::Request r = request;
  r.allow_no_model = true;
  std::optional<DecisionRecord> record = DecideLocked(r, kRequestSource, request_id);
  if (!record) {
    requests_in_flight_.erase(id);
    return base::NotFound(
        "no promotion may be shown to this shopper now (frequency cap, or "
        "none eligible)");
  }
  lock.unlock();
  std::string json;
  AppendDecisionJson(*record, &json);
  const eventlog::PutRecord put{record->user_id, json, std::nullopt};
  auto results = impressions_->Append(std::span<const eventlog::PutRecord>(&put, 1));
  // The caller acts on the answer, and unlike an event's decision this one
  // cannot be made again from the clicks stream: durable before it leaves.
  if (results) {
    if (auto synced = impressions_->Sync(); !synced) results = std::unexpected(synced.error());
  }
  lock.lock();
  requests_in_flight_.erase(id);
  if (!results) return std::unexpected(std::move(results).error());
  const eventlog::PutResult where = (*results)[0];
  log_end_[where.shard] = std::max(log_end_[where.shard], where.sequence + 1);
  // Its outcome is the shopper's later click or buy, which arrives in the
  // clicks shard of the shopper's id: that shard's attribution waits for it.
  attribution_.at(ClicksShardOf(record->user_id)).Shown(*record, &request_examples_);
  recent_requests_.emplace(id, *record);
  recent_order_.push_back(id);
  if (recent_order_.size() > kRecentRequests) {
    logged_.insert(recent_order_.front());
    recent_requests_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  lock.unlock();
  Publish(*record, where);
  decided_.fetch_add(1, std::memory_order_relaxed);
  return *std::move(record);
}

DecisionCounters DecisionStage::counters() const {
  DecisionCounters c;
  c.decided = decided_.load(std::memory_order_relaxed);
  c.replayed = replayed_.load(std::memory_order_relaxed);
  c.user_capped = user_capped_.load(std::memory_order_relaxed);
  c.no_candidate = no_candidate_.load(std::memory_order_relaxed);
  c.failed = failed_.load(std::memory_order_relaxed);
  c.examples_logged = examples_count_.load(std::memory_order_relaxed);
  c.rewards_applied = rewards_applied_.load(std::memory_order_relaxed);
  c.rewards_unmatched = rewards_unmatched_.load(std::memory_order_relaxed);
  c.rewards_invalid = rewards_invalid_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  for (const Attribution& a : attribution_) {
    const AttributionCounters one = a.counters();
    c.attribution.positives += one.positives;
    c.attribution.negatives += one.negatives;
    c.attribution.corrections += one.corrections;
    c.attribution.closed_early += one.closed_early;
    c.attribution.rewarded += one.rewarded;
    c.attribution.pending += one.pending;
    c.attribution.bytes += one.bytes;
  }
  return c;
}

}  // namespace promorec::pipeline
