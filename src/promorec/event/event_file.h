// Bulk reading of event files in any input format: every good record goes to
// the event callback, every bad one to the dead-letter sink with its error,
// and reading never stops at a bad record. Used by `promorec import` and by
// anything else that loads files of events.
// Thread-safety: the functions are reentrant; callbacks run on the caller's
// thread.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/event/click_event.h"
#include "promorec/event/dead_letter.h"
#include "promorec/event/decode_error.h"

namespace promorec::event {

enum class InputFormat : std::uint8_t { kClick, kKasandr, kJson };

// "click", "kasandr" or "json".
[[nodiscard]] base::Result<InputFormat> ParseInputFormat(std::string_view name);
std::string_view InputFormatName(InputFormat format);

struct ReadStats {
  std::uint64_t rows_read = 0;  // records seen (header and blank lines excluded)
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::uint64_t bytes = 0;
  std::array<std::uint64_t, kReasonCount> rejected_by_reason{};

  void Add(const ReadStats& other);
  void CountRejection(Reason reason) {
    ++rejected;
    ++rejected_by_reason[static_cast<std::size_t>(reason)];
  }
};

using EventCallback = std::function<void(const ClickEvent&)>;
// Called now and then with the bytes and records read so far.
using ProgressCallback = std::function<void(std::uint64_t bytes, std::uint64_t rows)>;

// Reads one file. Returns an error only for what stops the whole file (it
// cannot be opened or read, or a KASANDR header is unusable); bad records
// are counted and sent to `dead_letter`. `source` names the file in
// rejections (usually its base name).
[[nodiscard]] base::Result<ReadStats> ReadEventFile(base::Env& env, const std::string& path,
                                                    std::string_view source, InputFormat format,
                                                    const EventCallback& on_event,
                                                    DeadLetterSink& dead_letter,
                                                    const ProgressCallback& progress = {});

}  // namespace promorec::event
