#include "tls/client_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls/openssl_util.h"

namespace respite::tls {
namespace {

bool IsAddress(const std::string& name) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, name.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

std::mutex g_upstream_mu;
std::shared_ptr<ClientContext> g_upstream;

}  // namespace

ClientContext::ClientContext() = default;

ClientContext::~ClientContext() {
  if (session_ != nullptr) SSL_SESSION_free(session_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

std::shared_ptr<ClientContext> ClientContext::Create(const config::TlsConfig& tls,
                                                     const std::string& server_name,
                                                     std::string* error, std::string peer) {
  std::shared_ptr<ClientContext> context(new ClientContext());
  ERR_clear_error();
  auto fail = [&](const std::string& what) {
    *error = what + ": " + TakeOpenSslError();
    return nullptr;
  };
  context->ctx_ = SSL_CTX_new(TLS_client_method());
  if (context->ctx_ == nullptr) return fail("cannot create a TLS context");
  SSL_CTX* ctx = context->ctx_;
  if (!ApplyProtocolSettings(ctx, tls, error)) return nullptr;
  if (!tls.ca_file.empty() || !tls.ca_dir.empty()) {
    const char* file = tls.ca_file.empty() ? nullptr : tls.ca_file.c_str();
    const char* dir = tls.ca_dir.empty() ? nullptr : tls.ca_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx, file, dir) != 1) {
      return fail(file != nullptr ? "tls.ca_file: cannot load '" + tls.ca_file + "'"
                                  : "tls.ca_dir: cannot use '" + tls.ca_dir + "'");
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return fail("cannot load the system's certificate store");
  }
  if (!tls.client_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, tls.client_cert_file.c_str()) != 1) {
      return fail("tls.client_cert_file: cannot load '" + tls.client_cert_file + "'");
    }
    // OpenSSL checks the key against the certificate as it loads it ("key values mismatch").
    if (SSL_CTX_use_PrivateKey_file(ctx, tls.client_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return fail("tls.client_key_file: cannot use '" + tls.client_key_file +
                  "' with tls.client_cert_file");
    }
  }
  context->verify_ = tls.verify;
  SSL_CTX_set_verify(ctx, tls.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  // Client sessions are kept here (the newest one), not in OpenSSL's server-side cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &ClientContext::OnNewSession);
  SSL_CTX_set_app_data(ctx, context.get());
  context->server_name_ = server_name;
  context->peer_ = std::move(peer);
  return context;
}

int ClientContext::OnNewSession(ssl_st* ssl, ssl_session_st* session) {
  auto* self = static_cast<ClientContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  // A copy: OpenSSL marks a connection's own session not resumable when that connection ends
  // without a close_notify (every link that dies in an outage), which would spoil the one kept.
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (copy == nullptr) return 0;
  std::lock_guard lock(self->mu_);
  if (self->session_ != nullptr) SSL_SESSION_free(self->session_);
  self->session_ = copy;
  return 0;  // OpenSSL keeps (and frees) its own reference to `session`
}

ssl_st* ClientContext::NewConnection(const std::string& host, std::string* error) {
  const std::string& name = NameFor(host);
  const bool name_is_address = IsAddress(name);
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    *error = "cannot start a TLS connection: " + TakeOpenSslError();
    return nullptr;
  }
  // SNI carries host names only (RFC 6066); an address is checked against the certificate's IPs.
  if (!name_is_address && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    *error = "cannot set the server name '" + name + "': " + TakeOpenSslError();
    SSL_free(ssl);
    return nullptr;
  }
  if (verify_) {
    int ok = 0;
    if (name_is_address) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
      SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = SSL_set1_host(ssl, name.c_str());
    }
    if (ok != 1) {
      *error = "cannot check the name '" + name + "': " + TakeOpenSslError();
      SSL_free(ssl);
      return nullptr;
    }
  }
  std::lock_guard lock(mu_);
  if (session_ != nullptr) {
    // Each connection resumes from a copy of its own, for the same reason as in OnNewSession.
    if (SSL_SESSION* copy = SSL_SESSION_dup(session_); copy != nullptr) {
      SSL_set_session(ssl, copy);
      SSL_SESSION_free(copy);  // the SSL holds its own reference
    }
  }
  return ssl;
}

std::string ClientContext::HandshakeFailed(ssl_st* ssl, const std::string& host,
                                           const std::string& fallback) {
  const long result = SSL_get_verify_result(ssl);
  if (verify_ && result != X509_V_OK) {
    const bool name =
        result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH;
    counts_->Failed(name ? kName : kCertificate);
    std::string text = "certificate verify failed: ";
    text += X509_verify_cert_error_string(result);
    if (name) text += " (" + peer_ + "'s certificate is not for '" + NameFor(host) + "')";
    return text;
  }
  counts_->Failed(kHandshake);
  std::string text = fallback;
  if (text.find("wrong version number") != std::string::npos ||
      text.find("packet length too long") != std::string::npos) {
    text += " (does upstream serve TLS on this port?)";
  }
  return text;
}

const char* ClientContext::CauseName(Cause cause) {
  static constexpr const char* kNames[] = {"certificate", "name", "timeout", "handshake"};
  return kNames[cause];
}

void ClientContext::Completed(ssl_st* ssl) { counts_->Completed(SSL_session_reused(ssl) == 1); }

std::shared_ptr<ClientContext> UpstreamContext() {
  std::lock_guard lock(g_upstream_mu);
  return g_upstream;
}

void SetUpstreamContext(std::shared_ptr<ClientContext> context) {
  std::lock_guard lock(g_upstream_mu);
  g_upstream = std::move(context);
}

}  // namespace respite::tls
