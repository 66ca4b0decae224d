// KinesisApi: the click events in records' data (DecodeClickData) and the
// click stream they are appended to.
#include "promorec/event/binary_record.h"
#include "promorec/event/delimited.h"
#include "promorec/event/json_codec.h"
#include "promorec/kinesis/kinesis_internal.h"

namespace promorec::kinesis {

using kinesis::KinesisError;
using kinesis::RecordInput;

namespace {

// The click event of a record: its decoded data. `binary`: a binary event record
// is one too (for records put to the click stream itself, which holds
// nothing else, so that records read from it can be put back).
event::DecodeStatus ClickOfRecord(const RecordInput& record, std::int64_t now_us, bool binary,
                                  event::ClickEvent* out) {
  if (binary && !record.data.empty() &&
      static_cast<std::uint8_t>(record.data.front()) == event::kBinaryRecordMagic) {
    return event::DecodeBinaryRecord(record.data, out);
  }
  return DecodeClickData(record.data, now_us, out);
}

KinesisError AppendFailure(const base::Error& error) {
  return KinesisError{"InternalFailure", "Internal service failure: " + error.ToString(), 500};
}

}  // namespace

event::DecodeStatus DecodeClickData(std::string_view data, std::int64_t default_timestamp_us,
                                    event::ClickEvent* out) {
  const std::size_t start = data.find_first_not_of(" \t\r\n");
  if (start != std::string_view::npos && data[start] == '{') {
    thread_local event::JsonEventDecoder decoder;
    decoder.set_default_timestamp_us(default_timestamp_us);
    return decoder.DecodeOne(data, out);
  }
  std::string_view line = data;
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.find('\n') != std::string_view::npos) {
    return event::Reject(event::Reason::kBadRecord, "",
                         "holds more than one line; a record carries one click event");
  }
  static const event::ColumnLayout kClassic = event::ColumnLayout::Classic();
  thread_local std::string scratch;
  return event::ParseDelimitedLine(kClassic, line, out, &scratch);
}

void KinesisApi::Impl::PutToClickStream(std::string_view name, eventlog::Stream& stream,
                                        std::span<const Outcome<RecordInput>> inputs,
                                        std::span<std::optional<KinesisError>> errors,
                                        std::span<eventlog::PutResult> results,
                                        std::span<std::optional<KinesisRecordKind>> kinds) {
  const std::int64_t now = clock_.NowMicros();
  const std::uint32_t shard_count = stream.options().shard_count;
  std::vector<event::ClickEvent> events;
  std::vector<std::size_t> event_input;  // the input each event came from
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (errors[i]) continue;
    event::ClickEvent& click = events.emplace_back();
    if (auto decoded = ClickOfRecord(*inputs[i], now, true, &click); !decoded) {
      events.pop_back();
      errors[i] = KinesisError{"InvalidArgumentException",
                               "Data of a record put to stream " + std::string(name) +
                                   " must be a click event (a classic click line, a JSON click "
                                   "event or a binary event record): " +
                                   decoded.error().ToString()};
      kinds[i] = KinesisRecordKind::kRejected;
      continue;
    }
    // The event is stored keyed by its user id: that decides its shard.
    const std::uint32_t shard =
        eventlog::ShardForHashKey(eventlog::PartitionKeyHash(click.user_id), shard_count);
    if (!throttle_.TryAcquire(name, shard)) {
      events.pop_back();
      errors[i] =
          KinesisError{"ProvisionedThroughputExceededException", ThrottledMessage(name, shard)};
      continue;
    }
    event_input.push_back(i);
  }
  if (events.empty()) return;
  std::vector<eventlog::PutResult> appended(events.size());
  const base::Status status = options_.append_clicks(events, appended);
  for (std::size_t j = 0; j < events.size(); ++j) {
    const std::size_t i = event_input[j];
    if (status) {
      results[i] = appended[j];
      kinds[i] = KinesisRecordKind::kClick;
    } else {
      errors[i] = AppendFailure(status.error());
    }
  }
}

void KinesisApi::Impl::AppendClicksOf(std::span<const Outcome<RecordInput>> inputs,
                                      std::span<std::optional<KinesisError>> errors,
                                      std::span<std::optional<KinesisRecordKind>> kinds) {
  const std::int64_t now = clock_.NowMicros();
  std::vector<event::ClickEvent> events;
  std::vector<std::size_t> event_input;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (errors[i]) continue;
    kinds[i] = KinesisRecordKind::kOther;
    if (!options_.append_clicks) continue;
    event::ClickEvent& click = events.emplace_back();
    if (ClickOfRecord(*inputs[i], now, false, &click)) {
      event_input.push_back(i);
    } else {
      events.pop_back();
    }
  }
  if (events.empty()) return;
  // The records are stored already. If their events cannot be, the records
  // are answered as failed: the producer's retry stores them again (the
  // log is at-least-once) and gives their events the same ids.
  const base::Status status = options_.append_clicks(events, {});
  for (const std::size_t i : event_input) {
    if (status) {
      kinds[i] = KinesisRecordKind::kClick;
    } else {
      errors[i] = AppendFailure(status.error());
      kinds[i].reset();
    }
  }
}

}  // namespace promorec::kinesis
