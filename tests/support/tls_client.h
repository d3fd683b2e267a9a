#pragma once
// A RESP client over TLS for tests of respite's TLS listener: OpenSSL on a blocking socket with
// timeouts, replies returned as raw RESP bytes. Checks the server's certificate against `ca_file`
// and the name "localhost"; presents a client certificate when one is given.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct ssl_st;
struct ssl_ctx_st;

namespace respite::test {

struct TlsClientOptions {
  std::string ca_file;
  std::string cert_file, key_file;  // empty: no client certificate
  std::string from;                 // the local address to connect from (empty: any)
  // How long to wait between the TCP connect and the handshake (a slow or distant client).
  std::chrono::milliseconds pause_before_handshake{0};
};

class TlsClient {
 public:
  TlsClient(uint16_t port, const TlsClientOptions& options);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Connected and the handshake done; else error() says why.
  bool ok() const { return ssl_ != nullptr && error_.empty(); }
  const std::string& error() const { return error_; }
  // Sends `argv` as one command and returns its reply ("" on failure: see error()).
  std::string Command(const std::vector<std::string>& argv);
  // Sends raw bytes (several commands at once); false on failure.
  bool Send(std::string_view bytes);
  // The next whole reply, as raw RESP ("" on a timeout or a closed connection).
  std::string ReadReply(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The protocol the handshake agreed on ("TLSv1.3").
  std::string Version() const;

 private:
  int fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string in_;
  std::string error_;
};

}  // namespace respite::test
