// Fuzzes the TLS listener's first bytes (tls/server_connection.cpp, tls/server_context.cpp): what
// a client sends before and during the handshake, arriving in random reads on a real socket, as
// the session's io thread sees it. Covers garbage, plain RESP or HTTP on the TLS port, truncated
// and mangled ClientHellos, with and without client certificates required. Properties: no crash
// and no leak (ASan); once the client's side is closed the handshake ends (fails, or the client
// closed) instead of waiting for more; a failure has a cause and a reason.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "tests/fuzz/fuzz_util.h"
#include "tls/server_connection.h"
#include "tls/server_context.h"

namespace respite::fuzz {
namespace {

using tls::ServerConnection;
using tls::ServerContext;

// A self-signed EC certificate and its key, written as PEM files under /tmp.
std::string MakeCertificate() {
  char dir[] = "/tmp/respite-fuzz-tls-XXXXXX";
  FUZZ_CHECK(::mkdtemp(dir) != nullptr);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  FUZZ_CHECK(key != nullptr);
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  FUZZ_CHECK(X509_sign(cert, key, EVP_sha256()) > 0);
  const std::string base = dir;
  FILE* f = std::fopen((base + "/cert.pem").c_str(), "w");
  FUZZ_CHECK(f != nullptr && PEM_write_X509(f, cert) == 1);
  std::fclose(f);
  f = std::fopen((base + "/key.pem").c_str(), "w");
  FUZZ_CHECK(f != nullptr &&
             PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  return base;
}

// Two listeners: one that asks for no client certificate, one that requires one.
struct Contexts {
  std::shared_ptr<ServerContext> open, mutual;
};

const Contexts& GetContexts() {
  static const Contexts contexts = [] {
    const std::string dir = MakeCertificate();
    config::TlsConfig tls;
    tls.cert_file = dir + "/cert.pem";
    tls.key_file = dir + "/key.pem";
    std::string error;
    Contexts made;
    made.open = ServerContext::Create(tls, &error);
    FUZZ_CHECK(made.open != nullptr);
    tls.auth_clients = "yes";
    tls.client_ca_file = tls.cert_file;
    made.mutual = ServerContext::Create(tls, &error);
    FUZZ_CHECK(made.mutual != nullptr);
    return made;
  }();
  return contexts;
}

// Drives the handshake as far as the bytes written so far allow.
ServerConnection::Io Drive(ServerConnection& connection) {
  if (!connection.established()) {
    const ServerConnection::Io io = connection.Handshake();
    if (io != ServerConnection::Io::kDone) return io;
  }
  // Established (only a well-formed client gets here): read what follows.
  char buf[4096];
  size_t n = 0;
  return connection.Read(buf, sizeof buf, &n);
}

}  // namespace
}  // namespace respite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace respite::fuzz;
  using Io = ServerConnection::Io;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Contexts& contexts = GetContexts();
  const bool mutual = !input.empty() && (input[0] & 1) != 0;
  int fds[2];
  FUZZ_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
  std::string error;
  auto connection =
      ServerConnection::Create(mutual ? contexts.mutual : contexts.open, fds[0], &error);
  FUZZ_CHECK(connection != nullptr);
  Io io = Io::kWantRead;
  size_t at = 0;
  for (size_t end : RandomReads(input.size(), Hash(input))) {
    const ssize_t wrote = ::write(fds[1], input.data() + at, end - at);
    FUZZ_CHECK(wrote == static_cast<ssize_t>(end - at));
    at = end;
    io = Drive(*connection);
    if (io == Io::kFailed || io == Io::kClosed) break;
    // What respite sent back is read and dropped, so its writes never fill the socket.
    char sink[65536];
    while (::read(fds[1], sink, sizeof sink) > 0) {
    }
  }
  if (io != Io::kFailed && io != Io::kClosed) {
    ::shutdown(fds[1], SHUT_WR);  // the client is done: the handshake must end now
    io = Drive(*connection);
    FUZZ_CHECK(io == Io::kFailed || io == Io::kClosed);
  }
  if (io == Io::kFailed && !connection->established()) {
    FUZZ_CHECK(!connection->reason().empty());
    FUZZ_CHECK(connection->cause() >= 0 && connection->cause() < ServerContext::kCauses);
  }
  connection->Close();
  connection.reset();
  ::close(fds[0]);
  ::close(fds[1]);
  return 0;
}
