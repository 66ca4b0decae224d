// Email through a real SMTP server: Debian's aiosmtpd, started by the test
// on a free port of 127.0.0.1. The server parses each message it receives
// with Python's own email package (so RFC 2047 words, quoted-printable and
// dot-stuffing are undone by an independent implementation) and writes
// the envelope, the decoded headers and the decoded body to a file that the
// test compares exactly. It refuses recipients named reject* with 550 and
// answers 451 once to each later* recipient.
#include "promorec/notify/email.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "promorec/base/clock.h"
#include "promorec/base/env.h"
#include "promorec/notify/notify_test_util.h"

extern char** environ;

namespace promorec::notify {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t kStartUs = 1'700'000'000'000'000;  // Tue, 14 Nov 2023 22:13:20 UTC

constexpr char kServerScript[] = R"py(
import asyncio, email, os, sys
from email import policy
from aiosmtpd.smtp import SMTP

out_dir = sys.argv[1]
count = 0
told_later = set()

class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith('reject'):
            return '550 5.1.1 no such user'
        if address.startswith('later') and address not in told_later:
            told_later.add(address)
            return '451 4.3.0 try again later'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        lines = ['MAIL FROM: ' + envelope.mail_from]
        lines += ['RCPT TO: ' + r for r in envelope.rcpt_tos]
        lines += [f'{name}: {value}' for name, value in message.items()]
        lines += ['', message.get_content()]
        path = os.path.join(out_dir, f'{count}.txt')
        with open(path + '.tmp', 'w', encoding='utf-8', newline='') as f:
            f.write('\n'.join(lines))
        os.rename(path + '.tmp', path)
        with open(os.path.join(out_dir, f'{count}.eml'), 'wb') as f:
            f.write(envelope.original_content)
        return '250 2.0.0 accepted'

async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Handler(), hostname='localhost'),
                                      '127.0.0.1', 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
)py";

// The aiosmtpd process: started in the constructor, stopped (SIGTERM) in
// Stop or the destructor.
class SmtpServer {
 public:
  explicit SmtpServer(const std::string& out_dir) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    std::string python = "/usr/bin/python3";
    std::string dash_c = "-c";
    std::string script = kServerScript;
    std::string dir = out_dir;
    char* argv[] = {python.data(), dash_c.data(), script.data(), dir.data(), nullptr};
    if (posix_spawn(&pid_, python.c_str(), &actions, nullptr, argv, environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    // The port, once the server listens; the script prints it then.
    std::string line;
    pollfd p{fds[0], POLLIN, 0};
    while (pid_ > 0 && line.find('\n') == std::string::npos && ::poll(&p, 1, 20'000) > 0) {
      char buf[64];
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (line.find('\n') != std::string::npos) port_ = std::stoi(line);
  }
  ~SmtpServer() { Stop(); }

  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  std::string text = contents.str();
  std::erase(text, '\r');
  return text;
}

class EmailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(mail_dir());
    server_ = std::make_unique<SmtpServer>(mail_dir());
    ASSERT_GT(server_->port(), 0) << "aiosmtpd did not start (python3-aiosmtpd installed?)";
  }

  std::string mail_dir() const { return dir_.path() + "/mail"; }
  std::string dead_letter_dir() const { return dir_.path() + "/deadletter"; }
  // The n-th message the server received (1-based), as it decoded it.
  std::string Received(int n) const {
    return ReadFile(std::filesystem::path(mail_dir()) / (std::to_string(n) + ".txt"));
  }
  // The n-th message as it came after DATA (dot-stuffing undone).
  std::string Raw(int n) const {
    return ReadFile(std::filesystem::path(mail_dir()) / (std::to_string(n) + ".eml"));
  }
  int ReceivedCount() const {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(mail_dir())) {
      if (entry.path().extension() == ".txt") ++n;
    }
    return n;
  }

  EmailOptions Options() const {
    EmailOptions options;
    options.url = server_->url();
    options.from = "Wander Shop <promotions@shop.example>";
    options.delivery.dead_letter_dir = dead_letter_dir();
    options.delivery.seed = 3;
    options.delivery.workers = 1;
    return options;
  }
  std::unique_ptr<DeliveryQueue> Make(const EmailOptions& options) {
    auto queue = NewEmailDelivery(options, clock_, base::DefaultEnv());
    EXPECT_TRUE(queue) << queue.error().ToString();
    return queue ? std::move(*queue) : nullptr;
  }

  TempDir dir_;
  base::FakeClock clock_{kStartUs};
  std::unique_ptr<SmtpServer> server_;
};

TEST_F(EmailTest, DeliversTheOriginalMessage) {
  auto queue = Make(Options());
  ASSERT_TRUE(queue);
  queue->Enqueue(TestNotification("d-mail-1"));
  EXPECT_EQ(queue->RunDue(), 1u);
  EXPECT_EQ(queue->stats().delivered, 1u);
  EXPECT_EQ(Received(1),
            "MAIL FROM: promotions@shop.example\n"
            "RCPT TO: shopper@example.com\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
            "From: Wander Shop <promotions@shop.example>\n"
            "To: shopper@example.com\n"
            "Subject: You have a coupon!\n"
            "Message-ID: <d-mail-1@promorec>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=\"utf-8\"\n"
            "Content-Transfer-Encoding: 7bit\n"
            "\n"
            "We noticed you were looking at our Wanderschuhe Alpin today. We thought that a "
            "discount might make your decision easier - 10% off hiking boots! Enter code HIKE10 "
            "on the checkout page.\n");
}

TEST_F(EmailTest, NonAsciiSubjectAndBodyArriveIntact) {
  auto queue = Make(Options());
  ASSERT_TRUE(queue);
  Notification n = TestNotification("d-mail-2");
  n.subject = "Ein Gutschein für Sie – 10 % auf Wanderschuhe „Alpin“ und mehr 🎁";
  n.message =
      "Grüße! Wir haben gesehen, dass Sie sich heute unsere Wanderschuhe „Alpin“ angesehen "
      "haben; ein Rabatt macht die Entscheidung vielleicht leichter – 10 % Rabatt!\n"
      ".a line that starts with a dot\n"
      ".\n"
      "trailing space \n"
      "Code: HIKE10 = 10 %";
  queue->Enqueue(n);
  EXPECT_EQ(queue->RunDue(), 1u);
  EXPECT_EQ(Received(1),
            "MAIL FROM: promotions@shop.example\n"
            "RCPT TO: shopper@example.com\n"
            "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
            "From: Wander Shop <promotions@shop.example>\n"
            "To: shopper@example.com\n"
            "Subject: " +
                n.subject +
                "\n"
                "Message-ID: <d-mail-2@promorec>\n"
                "MIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=\"utf-8\"\n"
                "Content-Transfer-Encoding: quoted-printable\n"
                "\n" +
                n.message + "\n")
      << Raw(1);
}

TEST_F(EmailTest, NoHeaderCanBeInjected) {
  auto queue = Make(Options());
  ASSERT_TRUE(queue);
  Notification n = TestNotification("d-mail-3");
  n.subject = "Deal\r\nBcc: victim@example.org\r\n\r\nbody";
  queue->Enqueue(n);
  Notification bad_address = TestNotification("d-mail-4");
  bad_address.email = "shopper@example.com\r\nBcc: victim@example.org";
  queue->Enqueue(bad_address);
  EXPECT_EQ(queue->RunDue(), 2u);
  ASSERT_EQ(ReceivedCount(), 1);
  const std::string received = Received(1);
  // The line breaks became spaces: one Subject header, no Bcc header, one
  // recipient.
  EXPECT_NE(received.find("\nSubject: Deal  Bcc: victim@example.org    body\n"), std::string::npos)
      << received;
  EXPECT_EQ(received.find("\nBcc"), std::string::npos) << received;
  EXPECT_NE(received.find("\nRCPT TO: shopper@example.com\nDate: "), std::string::npos);
  EXPECT_EQ(received.find("RCPT TO: victim"), std::string::npos);

  const DeliveryStats stats = queue->stats();
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.failed, 1u);
  const auto lines = DeadLetterLines(dead_letter_dir());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("reason":"rejected","message":"email address )"
                          R"('shopper@example.com??Bcc: victim@example.org' is not a plain )"
                          R"x(address (local@domain)","attempts":1,)x"),
            std::string::npos)
      << lines[0];
}

TEST_F(EmailTest, NotificationsWithoutAnAddressAreSkipped) {
  auto queue = Make(Options());
  ASSERT_TRUE(queue);
  Notification n = TestNotification("d-none");
  n.email.clear();
  queue->Enqueue(n);
  EXPECT_EQ(queue->RunDue(), 0u);
  const DeliveryStats stats = queue->stats();
  EXPECT_EQ(stats.skipped, 1u);
  EXPECT_EQ(stats.enqueued, 0u);
  EXPECT_EQ(ReceivedCount(), 0);
}

TEST_F(EmailTest, PermanentReplyIsDeadLetteredAtOnce) {
  auto queue = Make(Options());
  ASSERT_TRUE(queue);
  Notification n = TestNotification("d-reject");
  n.email = "reject@example.com";
  queue->Enqueue(n);
  EXPECT_EQ(queue->RunDue(), 1u);
  EXPECT_EQ(queue->NextDueIn().count(), -1);
  EXPECT_EQ(queue->stats().failed, 1u);
  EXPECT_EQ(ReceivedCount(), 0);
  const auto lines = DeadLetterLines(dead_letter_dir());
  ASSERT_EQ(lines.size(), 1u);
  const std::string head = R"({"channel":"email","target":")" + server_->url() +
                           R"(","reason":"rejected","message":"SMTP )" + server_->url() + ": ";
  EXPECT_EQ(lines[0].substr(0, head.size()), head) << lines[0];
  EXPECT_NE(lines[0].find(R"x((reply 550)","attempts":1,)x"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"("email":"reject@example.com")"), std::string::npos);
}

TEST_F(EmailTest, TemporaryReplyIsRetriedWithTheSameMessageId) {
  auto queue = Make(Options());
  ASSERT_TRUE(queue);
  Notification n = TestNotification("d-later");
  n.email = "later@example.com";
  queue->Enqueue(n);
  EXPECT_EQ(queue->RunDue(), 1u);
  EXPECT_EQ(queue->stats().retried, 1u);
  EXPECT_EQ(ReceivedCount(), 0);
  clock_.Advance(queue->NextDueIn());
  EXPECT_EQ(queue->RunDue(), 1u);
  EXPECT_EQ(queue->stats().delivered, 1u);
  ASSERT_EQ(ReceivedCount(), 1);
  EXPECT_NE(Received(1).find("\nMessage-ID: <d-later@promorec>\n"), std::string::npos);
}

TEST_F(EmailTest, ServerDownIsRetriedThenDeadLettered) {
  EmailOptions options = Options();
  options.delivery.max_attempts = 4;
  options.connect_timeout = milliseconds(2000);
  auto queue = Make(options);
  ASSERT_TRUE(queue);
  queue->Enqueue(TestNotification("d-before"));
  EXPECT_EQ(queue->RunDue(), 1u);
  ASSERT_EQ(ReceivedCount(), 1);
  server_->Stop();

  queue->Enqueue(TestNotification("d-after"));
  int attempts = 0;
  for (int round = 0; round < 10; ++round) {
    attempts += static_cast<int>(queue->RunDue());
    if (queue->NextDueIn().count() < 0) break;
    clock_.Advance(queue->NextDueIn());
  }
  EXPECT_EQ(attempts, 4);
  const DeliveryStats stats = queue->stats();
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.retried, 3u);
  EXPECT_EQ(stats.failed, 1u);
  const auto lines = DeadLetterLines(dead_letter_dir());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("reason":"retries_exhausted","message":"SMTP )" + server_->url() +
                          ": Couldn't connect to server"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find(R"("attempts":4,)"), std::string::npos);
  EXPECT_NE(lines[0].find(R"("decision_id":"d-after")"), std::string::npos);
}

TEST(EmailMessageTest, SubjectEncoding) {
  EXPECT_EQ(EncodeSubject("You have a coupon!"), "You have a coupon!");
  EXPECT_EQ(EncodeSubject("a\r\nb\tc\x01"), "a  b\tc ");
  EXPECT_EQ(EncodeSubject("für"), "=?UTF-8?B?ZsO8cg==?=");
  // Text that a reader would take for an encoded-word is encoded itself.
  EXPECT_EQ(EncodeSubject("=?x?="), "=?UTF-8?B?PT94Pz0=?=");
  // Words of at most 39 bytes, never splitting a character (38 + 2 > 39),
  // folded.
  const std::string long_subject = std::string(38, 'a') + "é" + "b";
  EXPECT_EQ(EncodeSubject(long_subject),
            "=?UTF-8?B?YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=?=\r\n"
            " =?UTF-8?B?w6li?=");
}

TEST(EmailMessageTest, PlainAddresses) {
  EXPECT_TRUE(IsPlainAddress("shopper@example.com"));
  EXPECT_TRUE(IsPlainAddress("first.last+tag@mail.example.co.uk"));
  for (const char* bad : {"", "a@", "@b", "no-at", "a@b@c", "a b@c", "a@b..c", "a@.b", "<a@b>",
                          "a@b\r\n", "\"q\"@b", "jörg@example.com"}) {
    EXPECT_FALSE(IsPlainAddress(bad)) << bad;
  }
  EXPECT_FALSE(IsPlainAddress(std::string(65, 'a') + "@b.c"));
}

TEST(EmailMessageTest, MessageIdKeepsDistinctIdsDistinct) {
  Notification n = TestNotification("a b<c>@d%.");
  auto message = BuildEmailMessage(n, "x@y.z", 0);
  ASSERT_TRUE(message);
  EXPECT_NE(message->find("\r\nMessage-ID: <a%20b%3Cc%3E%40d%25%2E@promorec>\r\n"),
            std::string::npos)
      << *message;
  EXPECT_NE(message->find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nFrom: x@y.z\r\n"),
            std::string::npos);
}

TEST(EmailMessageTest, OptionsAreChecked) {
  TempDir dir;
  base::FakeClock clock;
  const auto error = [&](const EmailOptions& options) {
    auto made = NewEmailDelivery(options, clock, base::DefaultEnv());
    return made ? std::string("ok") : made.error().message();
  };
  EmailOptions good;
  good.url = "smtps://mail.example.com:465";
  good.from = "promotions@shop.example";
  good.delivery.dead_letter_dir = dir.path();
  EXPECT_EQ(error(good), "ok");
  EmailOptions o = good;
  o.url = "http://mail.example.com";
  EXPECT_EQ(error(o),
            "email server URL 'http://mail.example.com' must start with smtp:// or "
            "smtps://");
  o = good;
  o.from = "Shop <promotions@shop.example>\r\nBcc: x@y.z";
  EXPECT_EQ(error(o),
            "email From 'Shop <promotions@shop.example>??Bcc: x@y.z': contains a line "
            "break");
  o.from = "Shop promotions";
  EXPECT_EQ(error(o),
            "email From 'Shop promotions': 'Shop promotions' is not a plain address "
            "(local@domain)");
  o = good;
  o.username = "user";
  EXPECT_EQ(error(o), "email: give both a user name and a password, or neither");
}

}  // namespace
}  // namespace promorec::notify
