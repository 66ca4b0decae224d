#include "promorec/pipeline/attribution.h"

#include <simdjson.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "promorec/base/byte_io.h"
#include "promorec/base/json_string.h"

namespace promorec::pipeline {

namespace {

namespace dom = simdjson::dom;

void Key(const char* key, std::string* out) {
  *out += out->back() == '{' ? "\"" : ",\"";
  *out += key;
  *out += "\":";
}
void Str(const char* key, std::string_view value, std::string* out) {
  Key(key, out);
  base::AppendJsonString(value, out);
}
void Int(const char* key, std::int64_t value, std::string* out) {
  Key(key, out);
  *out += std::to_string(value);
}
void Double(const char* key, double value, std::string* out) {
  Key(key, out);
  char buf[32];
  *out += std::string_view(buf, std::to_chars(buf, buf + sizeof buf, value).ptr);
}

}  // namespace

void AppendExampleJson(const Example& e, std::string* out) {
  *out += '{';
  Int("v", 1, out);
  Str("example_id", e.example_id, out);
  Str("user_id", e.user_id, out);
  Str("country", e.country, out);
  Str("category", e.category, out);
  Str("product", e.product, out);
  Int("time_us", e.time_us, out);
  Str("promotion_id", e.promotion_id, out);
  Double("probability", e.probability, out);
  Str("model_version", e.model_version, out);
  Str("policy", e.policy, out);
  Int("label", e.label, out);
  Str("outcome_event_id", e.outcome_event_id, out);
  Int("outcome_time_us", e.outcome_time_us, out);
  Key("correction", out);
  *out += e.correction ? "true" : "false";
  *out += '}';
}

base::Result<Example> ParseExampleJson(std::string_view json) {
  thread_local dom::parser parser;
  dom::element root;
  dom::object o;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root.get(o) != simdjson::SUCCESS) {
    return base::InvalidArgument("example: not a JSON object");
  }
  Example e;
  std::int64_t version = 0;
  std::int64_t label = 0;
  const auto missing = [](const char* key, const char* what) {
    return base::InvalidArgument(std::string("example: \"") + key + "\" must be " + what);
  };
  if (o["v"].get(version) != simdjson::SUCCESS) return missing("v", "a whole number");
  if (version != 1) {
    return base::InvalidArgument("example: version " + std::to_string(version) +
                                 "; this build reads version 1");
  }
  const std::pair<const char*, std::string*> strings[] = {
      {"example_id", &e.example_id},
      {"user_id", &e.user_id},
      {"country", &e.country},
      {"category", &e.category},
      {"product", &e.product},
      {"promotion_id", &e.promotion_id},
      {"model_version", &e.model_version},
      {"policy", &e.policy},
      {"outcome_event_id", &e.outcome_event_id}};
  for (const auto& [key, out] : strings) {
    std::string_view v;
    if (o[key].get(v) != simdjson::SUCCESS) return missing(key, "a string");
    out->assign(v);
  }
  if (o["time_us"].get(e.time_us) != simdjson::SUCCESS) return missing("time_us", "a whole number");
  if (o["outcome_time_us"].get(e.outcome_time_us) != simdjson::SUCCESS) {
    return missing("outcome_time_us", "a whole number");
  }
  if (o["probability"].get(e.probability) != simdjson::SUCCESS) {
    return missing("probability", "a number");
  }
  if (o["label"].get(label) != simdjson::SUCCESS || (label != 0 && label != 1)) {
    return missing("label", "0 or 1");
  }
  if (o["correction"].get(e.correction) != simdjson::SUCCESS) {
    return missing("correction", "true or false");
  }
  e.label = static_cast<int>(label);
  return e;
}

Attribution::Attribution(AttributionOptions options) : options_(options) {}

void Attribution::Shown(const DecisionRecord& d, std::vector<Example>* out) {
  if (by_id_.part(d.decision_id).contains(d.decision_id)) return;
  Pending p;
  Example& e = p.example;
  e.example_id = d.decision_id;
  e.user_id = d.user_id;
  e.country = d.country;
  e.category = d.category;
  e.product = d.product;
  e.time_us = d.time_us;
  e.promotion_id = d.promotion_id;
  e.probability = d.probability;
  e.model_version = d.model_version;
  e.policy = d.policy;
  p.promotion_code = d.promotion_code;
  Add(std::move(p));
  // Past the memory bound, the closed ones kept for late corrections go
  // first, oldest first.
  for (std::uint64_t n = first_; bytes_ > options_.max_bytes && n < closed_end_; ++n) Forget(n);
  TrimGoneFront();
  // Past either bound the oldest open decisions close early, as failures.
  for (std::uint64_t n = closed_end_;
       (open_ > options_.max_pending || bytes_ > options_.max_bytes) && n < end(); ++n) {
    Pending& oldest = At(n);
    if (oldest.gone || oldest.closed) continue;
    out->push_back(oldest.example);
    ++negatives_;
    ++closed_early_;
    Forget(n);
  }
  // Holes at the start of the open ones count as closed: later scans (and
  // the trimming of the front) pass them once.
  while (closed_end_ < end() && At(closed_end_).gone) ++closed_end_;
  TrimGoneFront();
}

void Attribution::TrimGoneFront() {
  while (first_ < closed_end_ && entries_.front().gone) PopFront();
}

void Attribution::PopFront() {
  entries_.pop_front();
  bytes_ -= sizeof(Pending);
  ++first_;
}

std::size_t Attribution::HeldBytes(const Pending& p) {
  // Heap strings (past the small-string buffer) and the two index nodes,
  // each holding a copy of a key.
  constexpr std::size_t kNode = 48;
  const auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  const Example& e = p.example;
  std::size_t bytes = 2 * kNode + heap(e.example_id) + heap(e.user_id);
  for (const std::string* s :
       {&e.example_id, &e.user_id, &e.country, &e.category, &e.product, &e.promotion_id,
        &e.model_version, &e.policy, &e.outcome_event_id, &p.promotion_code}) {
    bytes += heap(*s);
  }
  return bytes;
}

void Attribution::Add(Pending p) {
  const std::uint64_t number = end();
  by_id_.part(p.example.example_id).emplace(p.example.example_id, number);
  by_user_.part(p.example.user_id).emplace(p.example.user_id, number);
  if (p.closed) {
    closed_end_ = number + 1;
  } else {
    ++open_;
  }
  bytes_ += sizeof(Pending) + HeldBytes(p);
  entries_.push_back(std::move(p));
}

void Attribution::KeepForSnapshot(std::uint64_t number) {
  if (!snapshot_pending_ || number < snapshot_next_ || number >= snapshot_end_) return;
  const Pending& p = At(number);
  if (p.gone) return;  // gone at the mark: not in the snapshot
  snapshot_before_.try_emplace(number, p);
}

void Attribution::Forget(std::uint64_t number) {
  Pending& p = At(number);
  if (p.gone) return;
  KeepForSnapshot(number);
  auto& users = by_user_.part(p.example.user_id);
  auto [first, last] = users.equal_range(p.example.user_id);
  for (auto u = first; u != last; ++u) {
    if (u->second == number) {
      users.erase(u);
      break;
    }
  }
  by_id_.part(p.example.example_id).erase(p.example.example_id);
  if (!p.closed) --open_;
  bytes_ -= HeldBytes(p);
  p = Pending{};  // its strings' memory goes now, the slot when it reaches the front
  p.gone = true;
}

void Attribution::Observe(const event::ClickEvent& event, std::vector<Example>* out) {
  if (event.type != event::EventType::kView &&
      (event.HasPromotion() || !event.promotion_code.empty())) {
    auto [first, last] = by_user_.part(event.user_id).equal_range(event.user_id);
    for (auto u = first; u != last; ++u) {
      Pending& p = At(u->second);
      const bool same = (event.HasPromotion() && p.example.promotion_id == event.offer_id) ||
                        (!event.promotion_code.empty() && p.promotion_code == event.promotion_code);
      const std::int64_t t = event.timestamp_us;
      if (!same || t < p.example.time_us || t > p.example.time_us + options_.window_us) continue;
      Example e = p.example;
      e.label = 1;
      e.outcome_event_id = event.event_id;
      e.outcome_time_us = t;
      e.correction = p.closed;
      ++(p.closed ? corrections_ : positives_);
      out->push_back(std::move(e));
      Forget(u->second);
      break;
    }
  }
  Advance(event.timestamp_us, out);
}

bool Attribution::Reward(std::string_view decision_id, double reward, std::int64_t time_us,
                         std::vector<Example>* out) {
  const auto& ids = by_id_.part(decision_id);
  const auto it = ids.find(std::string(decision_id));
  if (it == ids.end()) return false;
  const std::uint64_t number = it->second;
  const Pending& p = At(number);
  if (reward > 0.0 || !p.closed) {
    Example e = p.example;
    e.label = reward > 0.0 ? 1 : 0;
    e.outcome_event_id = std::string(kRewardOutcome);
    e.outcome_time_us = time_us;
    e.correction = p.closed;
    ++(p.closed ? corrections_ : e.label == 1 ? positives_ : negatives_);
    out->push_back(std::move(e));
  }
  ++rewarded_;
  Forget(number);
  return true;
}

void Attribution::Advance(std::int64_t event_time_us, std::vector<Example>* out) {
  newest_us_ = std::max(newest_us_, event_time_us);
  const std::int64_t horizon = newest_us_ - options_.lateness_us - options_.window_us;
  for (; closed_end_ < end(); ++closed_end_) {
    Pending& p = At(closed_end_);
    if (p.gone) continue;
    if (p.example.time_us >= horizon) break;
    out->push_back(p.example);
    ++negatives_;
    KeepForSnapshot(closed_end_);
    p.closed = true;
    --open_;
  }
  // Closed ones are kept one more window for corrections.
  while (first_ < closed_end_) {
    const Pending& p = entries_.front();
    if (!p.gone && p.example.time_us >= horizon - options_.window_us) break;
    Forget(first_);  // nothing to do when gone
    PopFront();
  }
}

AttributionCounters Attribution::counters() const {
  return {positives_, negatives_, corrections_, closed_early_, rewarded_, by_id_.size(), bytes_};
}

void Attribution::EncodeEntry(const Pending& p, std::string* out) {
  const Example& e = p.example;
  for (const std::string* s : {&e.example_id, &e.user_id, &e.country, &e.category, &e.product,
                               &e.promotion_id, &e.model_version, &e.policy, &p.promotion_code}) {
    base::PutLengthPrefixed(out, *s);
  }
  base::PutFixed64(out, static_cast<std::uint64_t>(e.time_us));
  base::PutFixed64(out, std::bit_cast<std::uint64_t>(e.probability));
  base::PutFixed64(out, p.closed ? 1 : 0);
}

void Attribution::Encode(std::string* out) {
  BeginSnapshot();
  (void)EncodeSome(out, std::numeric_limits<std::size_t>::max());
}

void Attribution::BeginSnapshot() {
  snapshot_pending_ = true;
  snapshot_header_written_ = false;
  snapshot_newest_us_ = newest_us_;
  snapshot_count_ = by_id_.size();
  snapshot_next_ = first_;
  snapshot_end_ = end();
  snapshot_before_.clear();
}

bool Attribution::EncodeSome(std::string* out, std::size_t max_entries) {
  if (!snapshot_header_written_) {
    base::PutFixed64(out, static_cast<std::uint64_t>(snapshot_newest_us_));
    base::PutFixed64(out, snapshot_count_);
    snapshot_header_written_ = true;
  }
  // In the order shown: the closed ones first, then the open ones. An
  // entry popped since the mark without a copy was gone at the mark.
  for (std::size_t n = 0; n < max_entries && snapshot_next_ < snapshot_end_;
       ++snapshot_next_, ++n) {
    if (const auto kept = snapshot_before_.find(snapshot_next_); kept != snapshot_before_.end()) {
      EncodeEntry(kept->second, out);
      snapshot_before_.erase(kept);
    } else if (snapshot_next_ >= first_ && !At(snapshot_next_).gone) {
      EncodeEntry(At(snapshot_next_), out);
    }
  }
  if (snapshot_next_ < snapshot_end_) return false;
  snapshot_pending_ = false;
  snapshot_before_.clear();
  return true;
}

base::Status Attribution::Decode(std::string_view data) {
  base::ByteReader in(data);
  std::int64_t newest = 0;
  std::uint64_t count = 0;
  if (!in.Signed64(&newest) || !in.Fixed64(&count) || count > data.size()) {
    return base::Corruption("attribution state: truncated header");
  }
  // Closed decisions come before open ones (states saved by earlier
  // versions listed the open ones first); each keeps its order.
  std::vector<Pending> closed;
  std::vector<Pending> open;
  for (std::uint64_t i = 0; i < count; ++i) {
    Pending p;
    Example& e = p.example;
    std::uint64_t bits = 0;
    std::uint64_t is_closed = 0;
    bool ok = true;
    for (std::string* s : {&e.example_id, &e.user_id, &e.country, &e.category, &e.product,
                           &e.promotion_id, &e.model_version, &e.policy, &p.promotion_code}) {
      ok = ok && in.LengthPrefixed(s);
    }
    ok = ok && in.Signed64(&e.time_us) && in.Fixed64(&bits) && in.Fixed64(&is_closed);
    if (!ok) return base::Corruption("attribution state: truncated decision " + std::to_string(i));
    e.probability = std::bit_cast<double>(bits);
    p.closed = is_closed != 0;
    (p.closed ? closed : open).push_back(std::move(p));
  }
  if (!in.done()) return base::Corruption("attribution state: bytes after the end");
  Attribution fresh(options_);
  fresh.newest_us_ = newest;
  for (auto* list : {&closed, &open}) {
    for (Pending& p : *list) {
      if (!fresh.by_id_.part(p.example.example_id).contains(p.example.example_id)) {
        fresh.Add(std::move(p));
      }
    }
  }
  snapshot_pending_ = false;
  snapshot_before_.clear();
  newest_us_ = fresh.newest_us_;
  entries_ = std::move(fresh.entries_);
  first_ = fresh.first_;
  closed_end_ = fresh.closed_end_;
  open_ = fresh.open_;
  bytes_ = fresh.bytes_;
  by_id_ = std::move(fresh.by_id_);
  by_user_ = std::move(fresh.by_user_);
  return {};
}

}  // namespace promorec::pipeline
