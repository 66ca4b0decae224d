#include "promorec/http/notifications_api.h"

#include <memory>
#include <string>
#include <utility>

#include "promorec/event/validate.h"
#include "promorec/notify/live_position.h"

namespace promorec::http {
namespace {

constexpr std::string_view kHeartbeat = ": ping\n\n";

// The hub's view of a response stream.
class StreamSink final : public notify::LiveSink {
 public:
  explicit StreamSink(std::shared_ptr<ResponseStream> stream) : stream_(std::move(stream)) {}
  bool Write(std::string_view frame) override { return stream_->Write(frame); }
  bool WriteDeferred(std::string_view frame) override { return stream_->WriteDeferred(frame); }
  void Wake() override { stream_->Wake(); }
  void Close() override { stream_->Close(); }
  bool closed() const override { return stream_->closed(); }

 private:
  const std::shared_ptr<ResponseStream> stream_;
};

// The resume position of `request`: none, or its Last-Event-ID (header
// first, then the `last_event_id` argument). An empty value means none,
// as EventSource sends it after an event that reset the id.
base::Result<std::optional<notify::LivePosition>> ResumeAfter(const Request& request) {
  std::string_view text;
  if (const auto it = request.headers.find("last-event-id"); it != request.headers.end()) {
    text = it->second;
  } else if (const auto arg = request.query.find("last_event_id"); arg != request.query.end()) {
    text = arg->second;
  }
  if (text.empty()) return std::optional<notify::LivePosition>();
  PROMOREC_ASSIGN_OR_RETURN(const notify::LivePosition after, notify::ParseLivePosition(text));
  return std::optional<notify::LivePosition>(after);
}

}  // namespace

NotificationsApi::NotificationsApi(notify::LiveHub& hub, NotificationsApiOptions options)
    : hub_(hub), options_(options) {}

Response NotificationsApi::Shopper(const Request& request) const {
  const auto user = request.query.find("user");
  if (user == request.query.end() || user->second.empty()) {
    return ErrorResponse(400, "invalid_request", "user is required (?user=...)");
  }
  if (const auto valid = event::CheckId("user", user->second, true); !valid) {
    return ErrorResponse(400, "invalid_request", valid.error().ToString());
  }
  auto after = ResumeAfter(request);
  if (!after) return ErrorResponse(400, "invalid_last_event_id", after.error().message());
  return Open(notify::LiveSubscription{user->second, *after});
}

Response NotificationsApi::Everyone(const Request& request) const {
  auto after = ResumeAfter(request);
  if (!after) return ErrorResponse(400, "invalid_last_event_id", after.error().message());
  return Open(notify::LiveSubscription{"", *after});
}

Response NotificationsApi::Open(notify::LiveSubscription subscription) const {
  ResponseStream::Options stream_options;
  stream_options.max_buffered_bytes =
      subscription.user_id.empty() ? options_.everyone_buffer_bytes : options_.stream_buffer_bytes;
  stream_options.heartbeat = kHeartbeat;
  stream_options.heartbeat_interval = options_.heartbeat_interval;
  auto stream = std::make_shared<ResponseStream>(std::move(stream_options));
  // The resume frames go into the stream before the server sends it: the
  // head and they leave together once the handler returns.
  const auto id = hub_.Subscribe(subscription, std::make_shared<StreamSink>(stream));
  if (!id) {
    const bool full = notify::LiveHub::IsSubscriberLimit(id.error());
    Response error =
        ErrorResponse(503, full ? "too_many_streams" : "resume_failed", id.error().message());
    error.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_seconds));
    return error;
  }
  stream->OnClose([&hub = hub_, id = *id] { hub.Unsubscribe(id); });
  Response response;
  response.content_type = "text/event-stream";
  response.stream = std::move(stream);
  // Proxies that buffer responses (nginx) would hold events back.
  response.headers.emplace_back("X-Accel-Buffering", "no");
  return response;
}

void AddNotificationRoutes(Router* router, notify::LiveHub* hub,
                           const NotificationsApiOptions& options, const Protect& shopper,
                           const Protect& admin) {
  auto api = std::make_shared<const NotificationsApi>(*hub, options);
  Handler one = [api](const Request& r) { return api->Shopper(r); };
  Handler all = [api](const Request& r) { return api->Everyone(r); };
  router->Add("GET", "/v1/notifications", shopper ? shopper(std::move(one)) : std::move(one),
              Execution::kWorker);
  router->Add("GET", "/v1/admin/notifications", admin ? admin(std::move(all)) : std::move(all));
}

}  // namespace promorec::http
