// HTTPS for the listener ([server] tls_cert and tls_key): one OpenSSL
// context made at start, TLS 1.2 and 1.3 only, forward-secret AEAD ciphers
// (Mozilla's "intermediate" set), no compression, no renegotiation. The
// handshake and every record go through GuardedServer's own connection
// loop, so its deadlines hold for HTTPS as for HTTP.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace lakehouse::server {

class TlsContext {
 public:
  // The certificate chain (PEM, the server's first) and its private key
  // (PEM, unencrypted). Errors say which file and what to do.
  static Result<std::shared_ptr<TlsContext>> Load(const std::filesystem::path& cert, const std::filesystem::path& key);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  // What an operator should fix but need not stop for: an expired or
  // not-yet-valid certificate, a key others may read.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::vector<std::string> warnings_;
};

}  // namespace lakehouse::server
