// JSON event files for ReadEventFile: the file is read whole (an array or a
// pretty-printed object cannot be split safely by lines) and decoded by the
// JSON codec.
#include "promorec/base/env.h"
#include "promorec/event/event_file.h"
#include "promorec/event/json_codec.h"

namespace promorec::event {

base::Result<ReadStats> ReadJsonFile(base::Env& env, const std::string& path,
                                     std::string_view source, const EventCallback& on_event,
                                     DeadLetterSink& dead_letter,
                                     const ProgressCallback& progress) {
  auto body = base::ReadFileToString(env, path);
  if (!body) return std::unexpected(body.error());
  ReadStats stats;
  JsonEventDecoder decoder;
  // A file of past events has no arrival time to stand in for a missing one.
  decoder.set_timestamp_required();
  decoder.Decode(
      *body, source,
      [&](const ClickEvent& event, std::uint64_t) {
        ++stats.accepted;
        on_event(event);
      },
      [&](const Rejection& rejection, std::uint64_t) {
        stats.CountRejection(rejection.error.reason);
        dead_letter.Put(rejection);
      });
  stats.rows_read = stats.accepted + stats.rejected;
  stats.bytes = body->size();
  if (progress) progress(stats.bytes, stats.rows_read);
  return stats;
}

}  // namespace promorec::event
