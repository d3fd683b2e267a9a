#include "tests/support/certificates.h"

#include <cstdlib>

namespace respite::test {
namespace {

bool Run(const std::string& command) {
  return std::system(("(" + command + ") >/dev/null 2>&1").c_str()) == 0;
}

const char kKey[] = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

// A certificate NAME.crt (key NAME.key) with `subject` and the extensions in `ext`, signed by
// the CA `ca` (ca.crt, ca.key), valid for `days`.
std::string Signed(const std::string& name, const std::string& subject, const std::string& ext,
                   const std::string& ca, int days = 2) {
  return std::string(" && openssl req") + kKey + " -keyout " + name + ".key -out " + name +
         ".csr -subj '" + subject + "' && printf '" + ext + "\\n' > " + name +
         ".ext && openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca +
         ".key -CAcreateserial -out " + name + ".crt -days " + std::to_string(days) + " -extfile " +
         name + ".ext";
}

}  // namespace

Certificates::Certificates() {
  const std::string server_ext = "subjectAltName=DNS:localhost,IP:127.0.0.1";
  const std::string client_ext = "extendedKeyUsage=clientAuth";
  ok_ = Run("cd " + dir_.path() + " && openssl req -x509" + kKey +
            " -keyout ca.key -out ca.crt -days 2 -subj '/CN=respite test CA'" +
            " && openssl req -x509" + kKey +
            " -keyout other-ca.key -out other-ca.crt -days 2 -subj '/CN=another CA'" +
            Signed("server", "/CN=localhost", server_ext, "ca") +
            // the same server, with a certificate valid for no time at all
            " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
            "-out expired.crt -days 0 -extfile server.ext" +
            Signed("client", "/CN=respite", client_ext, "ca") +
            Signed("other-server", "/CN=respite rotated", server_ext, "other-ca") +
            Signed("other-client", "/CN=stranger", client_ext, "other-ca"));
}

}  // namespace respite::test
