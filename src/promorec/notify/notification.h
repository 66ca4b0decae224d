// The message a decision sends to a shopper, as every channel (live push,
// webhooks, email) receives it. The pipeline builds one per decision; the
// channels only deliver it.
// Thread-safety: a plain value type.
#pragma once

#include <cstdint>
#include <string>

namespace promorec::notify {

struct Notification {
  // The decision's id: the same on every delivery of this notification, so a
  // receiver that keeps the ids it has seen can drop repeats (it is the
  // webhooks' idempotency key and the email's Message-ID).
  std::string decision_id;
  // Where the notification stands in the durable log it was read from
  // ("<shard>-<sequence>" of the `impressions` stream): the live stream's
  // event id, from which a client resumes (Last-Event-ID).
  std::string position;
  // Per shopper, growing with `position`; what resumption compares.
  std::uint64_t order = 0;
  std::string user_id;
  // The shopper's email address, when the profile or event gives one.
  std::string email;
  std::string promotion_id;
  std::string promotion_code;
  std::string product;
  // Microseconds since the Unix epoch, UTC: when the decision was made.
  std::int64_t time_us = 0;
  std::string subject;
  std::string message;
};

// {"decision_id":...,"user_id":...,...,"subject":...,"message":...}: the
// JSON body of a webhook POST and the data of a live event. Keys in the
// order of the struct; `order` and `email` are left out (the one is
// internal, the other personal data a webhook does not need).
std::string NotificationJson(const Notification& notification);

}  // namespace promorec::notify
