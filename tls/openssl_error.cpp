#include "tls/openssl_error.h"

#include <openssl/err.h>

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

}  // namespace respite::tls
