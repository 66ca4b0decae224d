// The load generator and live listener of bench/pipeline_bench.py, in C++ so
// that at tens of thousands of events per second the figures are the
// server's and not the client's. One thread sends `view` events from
// distinct shoppers as NDJSON over one keep-alive connection, a batch every
// --batch-ms at --rate events/s, and times each request to its
// acknowledgement; another reads the admin live stream (Server-Sent Events)
// and records when each shopper's notification arrives.
//
// Usage: pipeline_load --port P --admin-token T --rate R --seconds S
//                      --products FILE --tag TAG [--batch-ms 5] [--drain-s 10]
//                      [--timeline 1]
// FILE has one "category,product" per line. Prints "sent N" once sending
// has stopped (the caller then reads the server's own lag), and a JSON
// summary (latencies in ms) once every notification arrived or --drain-s
// passed. With --timeline 1 it also prints to stderr, per second of
// sending, the p50, p99 and largest latency of the events sent in it
// (where a stall happened).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      std::perror("send");
      std::exit(1);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads one HTTP response (Content-Length framed) from `fd`; `buffer`
// keeps bytes past it. Returns the status code.
int ReadResponse(int fd, std::string* buffer) {
  char chunk[1 << 16];
  while (true) {
    const std::size_t head_end = buffer->find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::size_t length = 0;
      const std::size_t at = buffer->find("Content-Length:");
      if (at != std::string::npos && at < head_end)
        length = std::strtoul(&(*buffer)[at + 15], nullptr, 10);
      if (buffer->size() >= head_end + 4 + length) {
        const int status = std::atoi(buffer->c_str() + 9);
        buffer->erase(0, head_end + 4 + length);
        return status;
      }
    }
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      std::fprintf(stderr, "connection closed while waiting for a response\n");
      std::exit(1);
    }
    buffer->append(chunk, static_cast<std::size_t>(n));
  }
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

struct Args {
  int port = 0;
  std::string admin_token;
  double rate = 1000;
  double seconds = 10;
  double batch_ms = 5;
  double drain_s = 10;
  std::string products;
  std::string tag = "load";
  bool timeline = false;
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--port")
      a.port = std::atoi(value);
    else if (flag == "--admin-token")
      a.admin_token = value;
    else if (flag == "--rate")
      a.rate = std::atof(value);
    else if (flag == "--seconds")
      a.seconds = std::atof(value);
    else if (flag == "--batch-ms")
      a.batch_ms = std::atof(value);
    else if (flag == "--drain-s")
      a.drain_s = std::atof(value);
    else if (flag == "--products")
      a.products = value;
    else if (flag == "--tag")
      a.tag = value;
    else if (flag == "--timeline")
      a.timeline = std::atoi(value) != 0;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      std::exit(2);
    }
  }
  if (a.port == 0 || a.products.empty()) {
    std::fprintf(stderr, "usage: pipeline_load --port P --products FILE [...]\n");
    std::exit(2);
  }
  return a;
}

// The admin live stream: arrival time of each shopper's notification,
// keyed by the shopper's index in the run (users are "<tag>-<index>").
class Listener {
 public:
  Listener(int port, const std::string& token, const std::string& tag, std::size_t capacity)
      : fd_(Connect(port)), prefix_("\"user_id\":\"" + tag + "-"), arrived_(capacity) {
    SendAll(fd_, "GET /v1/admin/notifications HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer " +
                     token + "\r\n\r\n");
    thread_ = std::thread([this] { Run(); });
  }
  ~Listener() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::size_t count() const { return count_.load(); }
  // Arrival of shopper `i` (epoch when none).
  Clock::time_point at(std::size_t i) const {
    std::lock_guard lock(mu_);
    return arrived_[i];
  }

 private:
  void Run() {
    std::string buffer;
    char chunk[1 << 16];
    while (true) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      const Clock::time_point now = Clock::now();
      buffer.append(chunk, static_cast<std::size_t>(n));
      std::size_t consumed = 0;
      while (true) {
        // Each frame is one chunk of the response: a "data:" line is
        // never split by chunk framing.
        const std::size_t data = buffer.find("\ndata: ", consumed);
        if (data == std::string::npos) break;
        const std::size_t end = buffer.find('\n', data + 7);
        if (end == std::string::npos) break;
        const std::size_t user = buffer.find(prefix_, data);
        if (user != std::string::npos && user < end) {
          const std::size_t index = std::strtoul(&buffer[user + prefix_.size()], nullptr, 10);
          std::lock_guard lock(mu_);
          if (index < arrived_.size() && arrived_[index] == Clock::time_point{}) {
            arrived_[index] = now;
            count_.fetch_add(1);
          }
        }
        consumed = end;
      }
      buffer.erase(0, consumed);
    }
  }

  const int fd_;
  const std::string prefix_;
  mutable std::mutex mu_;
  std::vector<Clock::time_point> arrived_;
  std::atomic<std::size_t> count_{0};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  std::vector<std::pair<std::string, std::string>> products;
  {
    std::ifstream in(a.products);
    std::string line;
    while (std::getline(in, line)) {
      const std::size_t comma = line.find(',');
      if (comma != std::string::npos)
        products.emplace_back(line.substr(0, comma), line.substr(comma + 1));
    }
  }
  if (products.empty()) {
    std::fprintf(stderr, "no products in %s\n", a.products.c_str());
    return 2;
  }
  const auto per_batch =
      std::max<std::size_t>(1, static_cast<std::size_t>(a.rate * a.batch_ms / 1000 + 0.5));
  const double interval_s = static_cast<double>(per_batch) / a.rate;
  const auto expected = static_cast<std::size_t>(a.rate * a.seconds) + per_batch;

  Listener listener(a.port, a.admin_token, a.tag, expected);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  const int fd = Connect(a.port);
  std::vector<Clock::time_point> sent;
  sent.reserve(expected);
  std::vector<double> acks;
  std::string body;
  std::string request;
  std::string in;
  const Clock::time_point start = Clock::now();
  const auto duration = std::chrono::duration<double>(a.seconds);
  for (std::size_t batch = 0;; ++batch) {
    const auto due =
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(interval_s * static_cast<double>(batch)));
    if (Clock::now() - start >= duration || sent.size() + per_batch > expected) break;
    std::this_thread::sleep_until(due);
    body.clear();
    for (std::size_t i = 0; i < per_batch; ++i) {
      const std::size_t n = sent.size() + i;
      const auto& [category, product] = products[n % products.size()];
      if (!body.empty()) body += '\n';
      body += "{\"user_id\":\"" + a.tag + "-" + std::to_string(n) + "\",\"product\":\"" + product +
              "\",\"category\":\"" + category + "\",\"country\":\"de\",\"type\":\"view\"}";
    }
    request =
        "POST /v1/events HTTP/1.1\r\nHost: b\r\nContent-Type: application/x-ndjson\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    const Clock::time_point t = Clock::now();
    sent.insert(sent.end(), per_batch, t);
    SendAll(fd, request);
    const int status = ReadResponse(fd, &in);
    if (status != 200) {
      std::fprintf(stderr, "ingest answered %d\n", status);
      return 1;
    }
    acks.push_back(Ms(Clock::now() - t));
  }
  const Clock::time_point stopped = Clock::now();
  const double elapsed = std::chrono::duration<double>(stopped - start).count();
  std::printf("sent %zu\n", sent.size());
  std::fflush(stdout);
  ::close(fd);

  const Clock::time_point drain_deadline = stopped + std::chrono::duration_cast<Clock::duration>(
                                                         std::chrono::duration<double>(a.drain_s));
  while (listener.count() < sent.size() && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<double> latencies;
  std::vector<double> tail;
  Clock::time_point last{};
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const Clock::time_point arrived = listener.at(i);
    if (arrived == Clock::time_point{}) continue;
    const double ms = Ms(arrived - sent[i]);
    latencies.push_back(ms);
    if (i >= sent.size() * 9 / 10) tail.push_back(ms);
    last = std::max(last, arrived);
  }
  if (a.timeline) {
    std::vector<std::vector<double>> seconds;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      const Clock::time_point arrived = listener.at(i);
      if (arrived == Clock::time_point{}) continue;
      const auto second =
          static_cast<std::size_t>(std::chrono::duration<double>(sent[i] - start).count());
      if (seconds.size() <= second) seconds.resize(second + 1);
      seconds[second].push_back(Ms(arrived - sent[i]));
    }
    for (std::size_t second = 0; second < seconds.size(); ++second) {
      std::vector<double>& v = seconds[second];
      if (v.empty()) continue;
      std::fprintf(stderr, "second %3zu: p50 %8.2f  p99 %8.2f  max %8.2f ms\n", second,
                   Percentile(v, 0.5), Percentile(v, 0.99), *std::max_element(v.begin(), v.end()));
    }
  }
  std::printf(
      "{\"events\": %zu, \"events_per_s\": %.1f, \"notified\": %zu, \"ack_p50_ms\": %.3f, "
      "\"ack_p99_ms\": %.3f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"p999_ms\": %.3f, "
      "\"last10_p99_ms\": %.3f, \"drain_ms\": %.1f}\n",
      sent.size(), static_cast<double>(sent.size()) / elapsed, latencies.size(),
      Percentile(acks, 0.5), Percentile(acks, 0.99), Percentile(latencies, 0.5),
      Percentile(latencies, 0.99), Percentile(latencies, 0.999), Percentile(tail, 0.99),
      latencies.empty() ? 0.0 : Ms(last - stopped));
  return 0;
}
