// TLS for the server's connections (OpenSSL): a context built from PEM
// text, and non-blocking reads and writes over one accepted socket.
// Thread-safety: a TlsContext is shared by all loops once built; each
// TlsSession belongs to one connection, used by one loop thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "promorec/base/status.h"

struct ssl_st;
struct ssl_ctx_st;

namespace promorec::http {

class TlsSession;

class TlsContext {
 public:
  // `cert_pem` holds the certificate, then any intermediate certificates.
  [[nodiscard]] static base::Result<std::unique_ptr<TlsContext>> FromPem(std::string_view cert_pem,
                                                                         std::string_view key_pem);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // A server-side session over the connected, non-blocking socket `fd`.
  std::unique_ptr<TlsSession> Accept(int fd) const;

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
};

// What a read or write needs before it can make progress.
enum class TlsWait { kNone, kRead, kWrite, kClosed };

class TlsSession {
 public:
  explicit TlsSession(ssl_st* ssl) : ssl_(ssl) {}
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Like read(2)/write(2) on the plain text: bytes moved (> 0), or -1 with
  // `wait` saying what to wait for (kClosed: the peer closed, or an error).
  ssize_t Read(char* buffer, std::size_t size, TlsWait* wait);
  ssize_t Write(const char* data, std::size_t size, TlsWait* wait);
  // Plain-text bytes decrypted and buffered, readable without the socket.
  bool HasPending() const;

 private:
  TlsWait WaitFor(int result) const;
  ssl_st* ssl_;
};

}  // namespace promorec::http
