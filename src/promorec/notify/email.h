// Email: every notification that carries the shopper's address is sent as a
// plain-text message through an SMTP server (libcurl's SMTP), retried on the
// delivery queue's schedule (delivery_queue.h) and dead-lettered when it
// cannot be sent. Notifications without an address are skipped and counted.
//
// The message (BuildEmailMessage):
//   Date: Sat, 01 Jun 2024 12:00:00 +0000     (the attempt's time)
//   From: <options.from>
//   To: <notification.email>
//   Subject: <notification.subject; RFC 2047 encoded-words when not ASCII>
//   Message-ID: <<decision_id>@promorec>      (the same on every attempt)
//   MIME-Version: 1.0
//   Content-Type: text/plain; charset=utf-8
//   Content-Transfer-Encoding: 7bit, or quoted-printable when the text is
//     not ASCII or has a line over 998 bytes
// and the notification's message as the body, with CRLF line ends.
//
// No header can be injected: line breaks in the subject become spaces, and
// an address with a line break (or anything but a plain addr-spec) is
// refused, permanently. Retried: connection failures, timeouts and 4xx SMTP
// replies; permanent: 5xx replies (a refused recipient or sender, a failed
// login).
//
// Thread-safety: NewEmailDelivery's queue is as delivery_queue.h says; the
// functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/base/status.h"
#include "promorec/notify/delivery_queue.h"
#include "promorec/notify/notification.h"

namespace promorec::notify {

struct EmailOptions {
  // smtp://host[:port] (STARTTLS when the server offers it) or
  // smtps://host[:port] (TLS from the start).
  std::string url;
  // Refuse to send over smtp:// unless STARTTLS succeeds.
  bool require_starttls = false;
  // Both or neither; sent with AUTH when set.
  std::string username;
  std::string password;
  // "promotions@shop.example" or "Shop <promotions@shop.example>".
  std::string from;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  std::chrono::milliseconds total_timeout = std::chrono::seconds(30);
  // PEM bundle to verify the server with; "" = the system's.
  std::string ca_file;
  DeliveryOptions delivery;
};

// A bare address that SMTP and a To header can carry as it is: ASCII,
// local@domain, no spaces, quotes, angle brackets or control characters,
// at most 254 bytes.
bool IsPlainAddress(std::string_view address);

// The Subject header's value: ASCII text as it is, anything else (or text
// that could be read as an encoded-word) as RFC 2047 "B" encoded-words of
// UTF-8, folded; CR and LF become spaces either way.
std::string EncodeSubject(std::string_view subject);

// The whole message as sent after DATA (before SMTP's dot-stuffing, which
// libcurl does). `from` is EmailOptions::from; `date_us` the Date header's
// time. InvalidArgument when the notification's address is not plain.
[[nodiscard]] base::Result<std::string> BuildEmailMessage(const Notification& notification,
                                                          std::string_view from,
                                                          std::int64_t date_us);

// Checks the options (an smtp:// or smtps:// URL, a plain From address,
// user name and password together, timeouts > 0) and makes the queue; Start
// it to deliver. `clock` and `env` must outlive it.
[[nodiscard]] base::Result<std::unique_ptr<DeliveryQueue>> NewEmailDelivery(
    const EmailOptions& options, const base::Clock& clock, base::Env& env);

}  // namespace promorec::notify
