#include "promorec/event/json_codec.h"

#include <algorithm>

#include "promorec/event/json_object.h"
#include "promorec/event/json_scan.h"
#include "promorec/event/limits.h"

namespace promorec::event {
namespace {

// Rejection::raw keeps at most this much of a record.
constexpr std::size_t kMaxRawBytes = 1024;

// See JsonEventDecoder::Decode for the rule.
bool LooksLikeNdjson(std::string_view body, std::size_t first) {
  if (body[first] != '{') return true;
  const std::size_t newline = body.find('\n', first);
  const std::size_t end = FindJsonValueEnd(body, first);
  if (end != std::string_view::npos && (newline == std::string_view::npos || end <= newline))
    return true;
  if (newline == std::string_view::npos) return false;
  // A pretty-printed object's second line holds a key or '}'; a new object
  // there means the first line is one broken NDJSON record.
  const std::size_t next = SkipJsonSpace(body, newline);
  return next < body.size() && body[next] == '{';
}

// The state of one Decode call.
class Batch {
 public:
  // `padded` holds the body followed by at least SIMDJSON_PADDING bytes.
  Batch(JsonObjectDecoder* decoder, std::optional<std::int64_t> default_timestamp_us,
        ClickEvent* event, std::string_view padded, std::size_t body_size, std::string_view source,
        JsonEventFn on_event, JsonRejectFn on_reject)
      : decoder_(decoder),
        default_timestamp_us_(default_timestamp_us),
        event_(event),
        padded_(padded),
        body_(padded.substr(0, body_size)),
        source_(source),
        on_event_(on_event),
        on_reject_(on_reject) {}

  JsonBatchStats Run() {
    const std::size_t first = SkipJsonSpace(body_, 0);
    if (first == body_.size()) {
      stats_.layout = JsonLayout::kEmpty;
    } else if (body_[first] == '[') {
      stats_.layout = JsonLayout::kArray;
      DecodeArray(first);
    } else if (LooksLikeNdjson(body_, first)) {
      stats_.layout = JsonLayout::kNdjson;
      DecodeNdjson();
    } else {
      stats_.layout = JsonLayout::kObjects;
      DecodeObjects(first);
    }
    return stats_;
  }

 private:
  // 1-based line of body_[pos]; calls come with non-decreasing `pos`.
  std::uint64_t LineAt(std::size_t pos) {
    line_ += static_cast<std::uint64_t>(
        std::count(body_.begin() + static_cast<std::ptrdiff_t>(line_pos_),
                   body_.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
    line_pos_ = pos;
    return line_;
  }

  void Record(std::size_t begin, std::size_t end, std::uint64_t line) {
    auto status = decoder_->DecodeInPlace(body_.substr(begin, end - begin), padded_.size() - begin,
                                          default_timestamp_us_, event_);
    if (status) {
      ++stats_.accepted;
      on_event_(*event_, index_++);
    } else {
      RejectRecord(begin, end, line, std::move(status).error());
    }
  }

  void RejectRecord(std::size_t begin, std::size_t end, std::uint64_t line, FieldError error) {
    Rejection rejection;
    rejection.source = source_;
    rejection.line = line;
    rejection.offset = begin;
    rejection.error = std::move(error);
    rejection.raw = body_.substr(begin, std::min(end - begin, kMaxRawBytes));
    ++stats_.rejected;
    on_reject_(rejection, index_++);
  }

  // The framing broke: one last rejection, and decoding stops.
  void Stop(std::size_t begin, std::uint64_t line, Reason reason, std::string detail) {
    RejectRecord(begin, body_.size(), line, FieldError{reason, "", std::move(detail)});
    stats_.complete = false;
  }

  std::string CutOff(std::size_t begin, std::uint64_t line) const {
    const char c = body_[begin];
    return std::string("input ends inside ") +
           (c == '{'   ? "an object"
            : c == '[' ? "an array"
                       : "a string") +
           " that starts at line " + std::to_string(line);
  }

  void DecodeArray(std::size_t open) {
    const std::uint64_t array_line = LineAt(open);
    const std::string unclosed = "input ends before the array that starts at line " +
                                 std::to_string(array_line) + " is closed";
    std::size_t pos = SkipJsonSpace(body_, open + 1);
    if (pos < body_.size() && body_[pos] == ']') {
      ++pos;
    } else {
      while (true) {
        pos = SkipJsonSpace(body_, pos);
        if (pos == body_.size()) return Stop(pos, LineAt(pos), Reason::kTruncated, unclosed);
        const std::uint64_t line = LineAt(pos);
        const std::size_t end = FindJsonValueEnd(body_, pos);
        if (end == std::string_view::npos)
          return Stop(pos, line, Reason::kTruncated, CutOff(pos, line));
        if (end == pos) {
          return Stop(pos, line, Reason::kBadJson,
                      "expected a record in the array, got " + QuoteForError(body_.substr(pos, 1)));
        }
        Record(pos, end, line);
        pos = SkipJsonSpace(body_, end);
        if (pos == body_.size()) return Stop(pos, LineAt(pos), Reason::kTruncated, unclosed);
        if (body_[pos] == ']') {
          ++pos;
          break;
        }
        if (body_[pos] != ',') {
          return Stop(pos, LineAt(pos), Reason::kBadJson,
                      "expected ',' or ']' after a record in the array, got " +
                          QuoteForError(body_.substr(pos, 1)));
        }
        ++pos;
      }
    }
    pos = SkipJsonSpace(body_, pos);
    if (pos != body_.size()) {
      Stop(pos, LineAt(pos), Reason::kBadJson, "unexpected content after the array");
    }
  }

  void DecodeNdjson() {
    std::size_t pos = 0;
    std::uint64_t line = 1;
    while (pos < body_.size()) {
      const std::size_t newline = body_.find('\n', pos);
      const std::size_t line_end = newline == std::string_view::npos ? body_.size() : newline;
      std::string_view text = body_.substr(pos, line_end - pos);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      const std::size_t first = SkipJsonSpace(text, 0);
      if (first != text.size()) {
        if (text.size() > kMaxLineBytes) {
          RejectRecord(pos, pos + text.size(), line,
                       FieldError{Reason::kLineTooLong, "",
                                  "line is " + std::to_string(text.size()) +
                                      " bytes, the limit is " + std::to_string(kMaxLineBytes)});
        } else if (newline == std::string_view::npos &&
                   FindJsonValueEnd(text, first) == std::string_view::npos) {
          // Only the last line can be cut off by the end of the input;
          // elsewhere an unclosed object is a broken line.
          Stop(pos, line, Reason::kTruncated, CutOff(pos + first, line));
        } else {
          Record(pos, pos + text.size(), line);
        }
      }
      if (newline == std::string_view::npos) break;
      pos = newline + 1;
      ++line;
    }
  }

  void DecodeObjects(std::size_t pos) {
    while (true) {
      pos = SkipJsonSpace(body_, pos);
      if (pos == body_.size()) return;
      const std::uint64_t line = LineAt(pos);
      if (body_[pos] != '{') {
        return Stop(pos, line, Reason::kBadJson,
                    "expected '{' to start a record, got " + QuoteForError(body_.substr(pos, 1)));
      }
      const std::size_t end = FindJsonValueEnd(body_, pos);
      if (end == std::string_view::npos)
        return Stop(pos, line, Reason::kTruncated, CutOff(pos, line));
      Record(pos, end, line);
      pos = end;
    }
  }

  JsonObjectDecoder* decoder_;
  std::optional<std::int64_t> default_timestamp_us_;
  ClickEvent* event_;
  std::string_view padded_;
  std::string_view body_;
  std::string_view source_;
  JsonEventFn on_event_;
  JsonRejectFn on_reject_;
  JsonBatchStats stats_;
  std::uint64_t index_ = 0;
  std::size_t line_pos_ = 0;
  std::uint64_t line_ = 1;
};

}  // namespace

JsonEventDecoder::JsonEventDecoder() : object_decoder_(std::make_unique<JsonObjectDecoder>()) {}
JsonEventDecoder::~JsonEventDecoder() = default;
JsonEventDecoder::JsonEventDecoder(JsonEventDecoder&&) noexcept = default;
JsonEventDecoder& JsonEventDecoder::operator=(JsonEventDecoder&&) noexcept = default;

void JsonEventDecoder::set_timestamp_required() { default_timestamp_us_.reset(); }

void JsonEventDecoder::set_default_timestamp_us(std::int64_t timestamp_us) {
  default_timestamp_us_ = timestamp_us;
}

JsonBatchStats JsonEventDecoder::Decode(std::string_view body, std::string_view source,
                                        JsonEventFn on_event, JsonRejectFn on_reject) {
  padded_.assign(body);
  padded_.resize(body.size() + simdjson::SIMDJSON_PADDING);
  Batch batch(object_decoder_.get(), default_timestamp_us_, &event_, padded_, body.size(), source,
              on_event, on_reject);
  return batch.Run();
}

DecodeStatus JsonEventDecoder::DecodeOne(std::string_view json, ClickEvent* out) {
  return object_decoder_->Decode(json, default_timestamp_us_, out);
}

}  // namespace promorec::event
