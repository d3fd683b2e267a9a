#include "tls/server_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

#include "tls/openssl_util.h"

namespace respite::tls {
namespace {

std::string SubjectOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(size > 0 ? size : 0));
  BIO_free(bio);
  return text;
}

// When `cert` expires: ISO 8601 (UTC) and Unix time.
std::string NotAfterOf(X509* cert, int64_t* unix_time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return "";
  *unix_time = static_cast<int64_t>(timegm(&tm));
  char text[32];
  return std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0 ? text : "";
}

// An alert the client sent about respite's certificate (it does not trust it, or it expired).
bool IsCertificateAlert(int reason) {
  if (reason < SSL_AD_REASON_OFFSET) return false;
  switch (reason - SSL_AD_REASON_OFFSET) {
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
      return true;
    default:
      return false;
  }
}

std::mutex g_listener_mu;
std::shared_ptr<ServerContext> g_listener;

}  // namespace

ServerContext::~ServerContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

std::shared_ptr<ServerContext> ServerContext::Create(const config::TlsConfig& tls,
                                                     std::string* error) {
  std::shared_ptr<ServerContext> context(new ServerContext());
  ERR_clear_error();
  auto fail = [&](const std::string& what) {
    *error = what + ": " + TakeOpenSslError();
    return nullptr;
  };
  context->ctx_ = SSL_CTX_new(TLS_server_method());
  if (context->ctx_ == nullptr) return fail("cannot create a TLS context");
  SSL_CTX* ctx = context->ctx_;
  if (!ApplyProtocolSettings(ctx, tls, error)) return nullptr;
  // No renegotiation (a client could make respite do handshakes at will); a client that hangs up
  // without close_notify is a close, not an error (RESP frames its own messages).
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  // Writes go out record by record from a buffer that may move between retries; idle
  // connections give their buffers back; reads take what the socket holds in one call.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_read_ahead(ctx, 1);
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
    return fail("tls.cert_file: cannot load '" + tls.cert_file + "'");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    return fail("tls.key_file: cannot use '" + tls.key_file + "' with tls.cert_file");
  }
  context->auth_clients_ = tls.auth_clients;
  if (tls.auth_clients != "no") {
    const char* file = tls.client_ca_file.empty() ? nullptr : tls.client_ca_file.c_str();
    const char* dir = tls.client_ca_dir.empty() ? nullptr : tls.client_ca_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) {
      return fail(file != nullptr ? "tls.client_ca_file: cannot load '" + tls.client_ca_file + "'"
                                  : "tls.client_ca_dir: cannot use '" + tls.client_ca_dir + "'");
    }
    // The CAs named to the client, so it can pick a certificate they signed.
    if (file != nullptr) {
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(file); names != nullptr) {
        SSL_CTX_set_client_CA_list(ctx, names);
      }
    }
    SSL_CTX_set_verify(
        ctx, SSL_VERIFY_PEER | (tls.auth_clients == "yes" ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        nullptr);
  }
  // Sessions resume only in the context that made them (OpenSSL refuses to resume a verified
  // client's session without one).
  static constexpr unsigned char kSessionContext[] = "respite";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  if (X509* cert = SSL_CTX_get0_certificate(ctx); cert != nullptr) {
    context->subject_ = SubjectOf(cert);
    context->not_after_ = NotAfterOf(cert, &context->not_after_unix_);
  }
  ERR_clear_error();
  return context;
}

ssl_st* ServerContext::NewConnection(int fd, std::string* error) {
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr || (fd >= 0 && SSL_set_fd(ssl, fd) != 1)) {
    *error = "cannot start a TLS connection: " + TakeOpenSslError();
    if (ssl != nullptr) SSL_free(ssl);
    return nullptr;
  }
  return ssl;
}

ServerContext::Cause ServerContext::HandshakeFailed(ssl_st* ssl, int ssl_error,
                                                    std::string* reason) {
  Cause cause = kHandshake;
  const unsigned long code = ERR_peek_error();
  const int why = ERR_GET_REASON(code);
  if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && code == 0)) {
    cause = kClosed;
    *reason = errno != 0
                  ? std::string("connection lost during the handshake: ") + std::strerror(errno)
                  : "the client closed the connection during the handshake";
  } else if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
    cause = kCertificate;
    *reason = std::string("client certificate refused: ") + X509_verify_cert_error_string(verify);
  } else if (why == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    cause = kCertificate;
    *reason = "the client sent no certificate, and tls.auth_clients is yes";
  } else if (IsCertificateAlert(why)) {
    cause = kCertificate;
    *reason = "the client refused respite's certificate: " + TakeOpenSslError();
  } else if (why == SSL_R_WRONG_VERSION_NUMBER || why == SSL_R_HTTP_REQUEST ||
             why == SSL_R_HTTPS_PROXY_REQUEST || why == SSL_R_UNKNOWN_PROTOCOL ||
             why == SSL_R_PACKET_LENGTH_TOO_LONG || why == SSL_R_RECORD_LENGTH_MISMATCH) {
    cause = kNotTls;
    *reason = "not a TLS client (plain text on the TLS port?): " + TakeOpenSslError();
  } else {
    *reason = TakeOpenSslError();
  }
  ERR_clear_error();
  Count(cause);
  return cause;
}

const char* ServerContext::CauseName(Cause cause) {
  static constexpr const char* kNames[] = {"certificate", "not_tls", "timeout", "closed",
                                           "handshake"};
  return kNames[cause];
}

void ServerContext::Completed(ssl_st* ssl) { counts_->Completed(SSL_session_reused(ssl) == 1); }

std::shared_ptr<ServerContext> ListenerContext() {
  std::lock_guard lock(g_listener_mu);
  return g_listener;
}

void SetListenerContext(std::shared_ptr<ServerContext> context) {
  std::lock_guard lock(g_listener_mu);
  g_listener = std::move(context);
}

}  // namespace respite::tls
