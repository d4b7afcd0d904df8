#include "server/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>

namespace lakehouse::server {

namespace {

namespace fs = std::filesystem;

// TLS 1.2 suites with forward secrecy and authenticated encryption; TLS 1.3
// has only such suites, and OpenSSL's default list of them is kept.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status Unreadable(const char* setting, const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return InvalidArgument("[server] " + std::string(setting) + " '" + path.string() + "' does not exist");
  // A FIFO or a device would block the start, or never end.
  if (!fs::is_regular_file(path, ec)) {
    return InvalidArgument("[server] " + std::string(setting) + " '" + path.string() + "' is not a regular file");
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return InvalidArgument("[server] " + std::string(setting) + " '" + path.string() + "' cannot be read by this user");
  std::fclose(f);
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::Load(const fs::path& cert, const fs::path& key) {
  LH_RETURN_IF_ERROR(Unreadable("tls_cert", cert));
  LH_RETURN_IF_ERROR(Unreadable("tls_key", key));
  std::shared_ptr<TlsContext> out(new TlsContext());
  out->ctx_ = SSL_CTX_new(TLS_server_method());
  if (!out->ctx_) return Internal("cannot set up TLS (OpenSSL could not make a context)");
  SSL_CTX* ctx = out->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) return Internal("cannot set up TLS ciphers");
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    ERR_clear_error();
    return InvalidArgument("[server] tls_cert '" + cert.string() +
                           "' is not a PEM certificate (chain); check it with `openssl x509 -in FILE -noout -subject`");
  }
  // Read apart from the certificate, so a key that does not read and one
  // that does not fit are told apart; an encrypted key is refused, never
  // prompted for on the terminal.
  EVP_PKEY* pkey = nullptr;
  if (BIO* bio = BIO_new_file(key.c_str(), "r")) {
    pkey = PEM_read_bio_PrivateKey(bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);
    BIO_free(bio);
  }
  if (!pkey) {
    ERR_clear_error();
    return InvalidArgument("[server] tls_key '" + key.string() +
                           "' is not an unencrypted PEM private key (remove a passphrase with `openssl pkey -in KEY "
                           "-out KEY.plain`)");
  }
  bool fits = SSL_CTX_use_PrivateKey(ctx, pkey) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(pkey);
  if (!fits) {
    ERR_clear_error();
    return InvalidArgument("[server] tls_key '" + key.string() + "' is not the private key of the certificate in tls_cert '" +
                           cert.string() + "'");
  }
  if (X509* x = SSL_CTX_get0_certificate(ctx)) {
    if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
      out->warnings_.push_back("the TLS certificate in " + cert.string() + " has expired: clients will refuse it");
    } else if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0) {
      out->warnings_.push_back("the TLS certificate in " + cert.string() + " is not valid yet");
    }
  }
  std::error_code ec;
  auto perms = fs::status(key, ec).permissions();
  if (!ec && (perms & (fs::perms::group_read | fs::perms::others_read)) != fs::perms::none) {
    out->warnings_.push_back("the TLS private key " + key.string() + " is readable by other users; chmod 600 it");
  }
  return out;
}

TlsContext::~TlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

}  // namespace lakehouse::server
