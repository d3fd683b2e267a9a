#include "tls/openssl_util.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace respite::tls {

std::string TakeOpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  const char* lib = ERR_lib_error_string(code);
  std::string text = reason != nullptr ? reason : "error " + std::to_string(code);
  if (lib != nullptr) text += std::string(" (") + lib + ")";
  return text;
}

bool ApplyProtocolSettings(ssl_ctx_st* ctx, const config::TlsConfig& tls, std::string* error) {
  std::string what;
  if (SSL_CTX_set_min_proto_version(
          ctx, tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION) != 1) {
    what = "tls.min_version " + tls.min_version;
  } else if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, tls.ciphers.c_str()) != 1) {
    what = "tls.ciphers '" + tls.ciphers + "' names no cipher OpenSSL knows";
  } else if (!tls.ciphersuites.empty() &&
             SSL_CTX_set_ciphersuites(ctx, tls.ciphersuites.c_str()) != 1) {
    what = "tls.ciphersuites '" + tls.ciphersuites + "' names no suite OpenSSL knows";
  } else {
    return true;
  }
  *error = what + ": " + TakeOpenSslError();
  return false;
}

}  // namespace respite::tls
