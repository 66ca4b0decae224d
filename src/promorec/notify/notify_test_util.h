// Test helpers shared by the notify tests: a notification with every field
// set, a fresh temporary folder, a URL nobody listens on, and the lines of
// the dead-letter files a queue wrote. Not part of the library.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "promorec/notify/notification.h"

namespace promorec::notify {

inline Notification TestNotification(const std::string& decision_id) {
  Notification n;
  n.decision_id = decision_id;
  n.position = "0-17";
  n.order = 17;
  n.user_id = "u-42";
  n.email = "shopper@example.com";
  n.promotion_id = "p-7";
  n.promotion_code = "HIKE10";
  n.product = "Wanderschuhe Alpin";
  n.time_us = 1'700'000'000'123'456;
  n.subject = "You have a coupon!";
  n.message =
      "We noticed you were looking at our Wanderschuhe Alpin today. We thought that a discount "
      "might make your decision easier - 10% off hiking boots! Enter code HIKE10 on the "
      "checkout page.";
  return n;
}

// A folder of its own under the system's temporary folder, removed at the
// end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "notify-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A local URL where nothing listens (connections are refused): a port that
// was free a moment ago.
inline std::string RefusingUrl() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/hook";
}

// The lines of every file in `dir`, files in name order.
inline std::vector<std::string> DeadLetterLines(const std::string& dir) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::exists(dir)) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry);
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> lines;
  for (const auto& file : files) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
  }
  return lines;
}

}  // namespace promorec::notify
