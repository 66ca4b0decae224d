#include "promorec/http/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <climits>

namespace promorec::http {
namespace {

std::string LastOpenSslError() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "no detail";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

std::unexpected<base::Error> TlsError(const std::string& what) {
  return base::InvalidArgument(what + " (" + LastOpenSslError() + ")");
}

}  // namespace

base::Result<std::unique_ptr<TlsContext>> TlsContext::FromPem(std::string_view cert_pem,
                                                              std::string_view key_pem) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return (TlsError("cannot create a TLS context"));
  std::unique_ptr<TlsContext> context(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  std::unique_ptr<BIO, decltype(&BIO_free)> certs(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), &BIO_free);
  X509* leaf = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) return (TlsError("tls_cert holds no PEM certificate"));
  const int used = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (used != 1) return (TlsError("tls_cert is not usable"));
  while (X509* extra = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add_extra_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return (TlsError("tls_cert has an unusable chain certificate"));
    }
  }
  ERR_clear_error();  // the end of the chain reads as an error
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return (TlsError("tls_key holds no PEM private key"));
  const int key_used = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (key_used != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return (TlsError("tls_key does not match tls_cert"));
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::unique_ptr<TlsSession> TlsContext::Accept(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsSession>(ssl);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

TlsWait TlsSession::WaitFor(int result) const {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return TlsWait::kRead;
    case SSL_ERROR_WANT_WRITE:
      return TlsWait::kWrite;
    default:
      ERR_clear_error();
      return TlsWait::kClosed;
  }
}

ssize_t TlsSession::Read(char* buffer, std::size_t size, TlsWait* wait) {
  const int got = SSL_read(ssl_, buffer, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
  if (got > 0) return got;
  *wait = WaitFor(got);
  return -1;
}

ssize_t TlsSession::Write(const char* data, std::size_t size, TlsWait* wait) {
  const int put = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
  if (put > 0) return put;
  *wait = WaitFor(put);
  return -1;
}

bool TlsSession::HasPending() const { return SSL_pending(ssl_) > 0; }

}  // namespace promorec::http
