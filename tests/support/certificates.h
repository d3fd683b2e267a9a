#pragma once
// Certificates for the TLS tests, made with the `openssl` command in a temp dir (EC P-256): a
// CA; a server certificate for localhost and 127.0.0.1 signed by it (and an expired one); a
// client certificate signed by it; a second CA, with its own server certificate for localhost
// (CN "respite rotated") and client certificate, so tests can rotate to it or present a
// certificate the first CA did not sign.

#include <string>

#include "tests/support/process.h"

namespace respite::test {

class Certificates {
 public:
  Certificates();
  // Whether openssl made them all.
  bool ok() const { return ok_; }
  // ca.crt, server.crt/.key, expired.crt, client.crt/.key; other-ca.crt, other-server.crt/.key,
  // other-client.crt/.key.
  std::string File(const std::string& name) const { return dir_.File(name); }

 private:
  TempDir dir_{"respite-tls"};
  bool ok_ = false;
};

}  // namespace respite::test
