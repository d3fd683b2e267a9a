// TLS for clients (tls.listen), for real: respite serves a TLS listener beside its plain one, in
// front of a real redis-server, with certificates the test makes with `openssl`. Clients are
// Debian's `redis-cli --tls` (with and without a client certificate) and an OpenSSL client of the
// test's own for long connections, pipelines and slow reading. Also: what is not a handshake
// (plain RESP, silence, a truncated ClientHello) is closed and counted; SIGHUP rotates the
// certificate while connected clients stay; an outage is served over TLS and replayed once; the
// admin endpoint serves HTTPS.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/certificates.h"
#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/tls_client.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

// Everything `command` printed (stdout and stderr), trailing newlines dropped.
std::string Output(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A plain TCP connection that sends `bytes` (then, if `hang_up`, closes its side) and collects
// what comes back until the server closes or `wait` passes. `closed`: the server closed it.
struct RawResult {
  std::string received;
  bool closed = false;
};
RawResult RawExchange(uint16_t port, const std::string& bytes, bool hang_up,
                      std::chrono::milliseconds wait) {
  RawResult result;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return result;
  }
  if (!bytes.empty() && ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {
    result.closed = true;
  }
  if (hang_up) ::shutdown(fd, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!result.closed) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      result.closed = true;
    } else {
      result.received.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return result;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class ClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(certs_.ok()) << "openssl could not make the certificates";
    ASSERT_EQ(redis_.Start(), "");
    tls_port_ = FreePort();
  }
  void TearDown() override {
    if (HasFailure() && respite_) std::cerr << "---- respite log ----\n" << respite_->Log() << "\n";
  }

  // respite with its plain listener and a TLS one on tls_port_, serving server.crt unless `env`
  // names other files; `env` adds RESPITE_TLS_* settings.
  std::string StartRespite(std::vector<std::string> env) {
    RespiteOptions options;
    options.upstream_url = "redis://127.0.0.1:" + std::to_string(redis_.port());
    options.log_level = "info";
    options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",
                   "RESPITE_HEALTH_TIMEOUT_MS=200",
                   "RESPITE_HEALTH_UNHEALTHY_AFTER=2",
                   "RESPITE_HEALTH_HEALTHY_AFTER=2",
                   "RESPITE_BREAKER_BACKOFF_BASE_MS=50",
                   "RESPITE_BREAKER_BACKOFF_MAX_MS=500",
                   "RESPITE_TLS_LISTEN=127.0.0.1:" + std::to_string(tls_port_),
                   "RESPITE_TLS_CERT_FILE=" + certs_.File("server.crt"),
                   "RESPITE_TLS_KEY_FILE=" + certs_.File("server.key")};
    for (const std::string& setting : env) {
      // A setting given here replaces the default above (the first of two would win).
      const std::string name = setting.substr(0, setting.find('=') + 1);
      std::erase_if(options.env, [&](const std::string& e) { return e.starts_with(name); });
      options.env.push_back(setting);
    }
    respite_ = std::make_unique<RespiteProcess>(options);
    return respite_->Start();
  }

  std::vector<std::string> Mutual(const std::string& auth_clients) const {
    return {"RESPITE_TLS_AUTH_CLIENTS=" + auth_clients,
            "RESPITE_TLS_CLIENT_CA_FILE=" + certs_.File("ca.crt")};
  }

  // redis-cli --tls against the TLS listener, trusting `ca`; `cert`: the client certificate's
  // name (NAME.crt, NAME.key), empty for none.
  std::string Cli(const std::string& args, const std::string& cert = "",
                  const std::string& ca = "ca.crt") {
    std::string command = "timeout 10 redis-cli --tls --cacert " + certs_.File(ca);
    if (!cert.empty()) {
      command += " --cert " + certs_.File(cert + ".crt") + " --key " + certs_.File(cert + ".key");
    }
    return Output(command + " -h 127.0.0.1 -p " + std::to_string(tls_port_) + " " + args);
  }

  TlsClientOptions Trusting(const std::string& ca = "ca.crt", const std::string& cert = "") {
    TlsClientOptions options;
    options.ca_file = certs_.File(ca);
    if (!cert.empty()) {
      options.cert_file = certs_.File(cert + ".crt");
      options.key_file = certs_.File(cert + ".key");
    }
    return options;
  }

  double Metric(const std::string& name) {
    return ParsePrometheusText(HttpRequest(respite_->admin_port(), "GET", "/metrics").body)
        .Value(name);
  }
  double Failures(const std::string& cause) {
    return Metric("respite_client_tls_failures_total{cause=\"" + cause + "\"}");
  }

  bool LogSays(const std::string& text) { return respite_->LogSays(text); }

  bool ServedLocally() { return respite_->ServedLocally(); }

  Certificates certs_;
  RedisServer redis_;
  uint16_t tls_port_ = 0;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(ClientTlsTest, RedisCliOverTlsReachesRedisBesideThePlainListener) {
  ASSERT_EQ(StartRespite({}), "");
  EXPECT_EQ(Cli("SET tls:cli via-tls"), "OK");
  EXPECT_EQ(Cli("GET tls:cli"), "via-tls");
  EXPECT_TRUE(respite_->Connect().Command({"GET", "tls:cli"}).IsString("via-tls"));
  EXPECT_TRUE(redis_.Connect().Command({"GET", "tls:cli"}).IsString("via-tls"));
  // A client that does not trust respite's certificate refuses it.
  EXPECT_NE(Cli("PING", "", "other-ca.crt"), "PONG");

  EXPECT_NE(respite_->Log().find("listening on 127.0.0.1:" + std::to_string(respite_->port()) +
                                 " and 127.0.0.1:" + std::to_string(tls_port_) + " (TLS)"),
            std::string::npos);
  EXPECT_NE(respite_->Log().find("client TLS with certificate CN=localhost"), std::string::npos);
  EXPECT_GE(Metric("respite_client_tls_handshakes_total{session=\"new\"}"), 2);
  EXPECT_GE(Failures("certificate"), 1);
  EXPECT_GT(Metric("respite_client_tls_certificate_expiry_seconds"), 1.7e9);
  const HttpResponse status = HttpRequest(respite_->admin_port(), "GET", "/status");
  EXPECT_NE(status.body.find("\"tls\":{\"certificate\":\"CN=localhost\""), std::string::npos)
      << status.body;
  EXPECT_NE(status.body.find("\"auth_clients\":\"no\""), std::string::npos);
}

TEST_F(ClientTlsTest, PipelinesBigValuesBlockingAndASlowReaderOverTls) {
  // 32 MB to encrypt can hold the health checks' replies past 200 ms under ThreadSanitizer:
  // generous timeouts keep this test on the forwarding path it checks.
  ASSERT_EQ(StartRespite({"RESPITE_HEALTH_TIMEOUT_MS=2000", "RESPITE_HEALTH_UNHEALTHY_AFTER=3"}),
            "");
  TlsClient c(tls_port_, Trusting());
  ASSERT_TRUE(c.ok()) << c.error();

  // 1000 commands in one write: many requests per TLS record, replies batched back.
  std::string pipeline;
  for (int i = 0; i < 1000; ++i) pipeline += EncodeCommand({"INCR", "tls:pipelined"});
  ASSERT_TRUE(c.Send(pipeline));
  for (int i = 1; i <= 1000; ++i) {
    ASSERT_EQ(c.ReadReply(), ":" + std::to_string(i) + "\r\n") << i << " " << c.error();
  }

  // A value of many TLS records (16 KB each) both ways.
  const std::string big(4 << 20, 'v');
  const std::string big_reply = "$" + std::to_string(big.size()) + "\r\n" + big + "\r\n";
  ASSERT_EQ(c.Command({"SET", "tls:big", big}), "+OK\r\n") << c.error();
  ASSERT_EQ(c.Command({"GET", "tls:big"}) == big_reply, true) << c.error();

  // A reader that does not read: 32 MB of replies wait on a full socket (OpenSSL asks to write
  // again later), then arrive whole and in order.
  std::string gets;
  for (int i = 0; i < 8; ++i) gets += EncodeCommand({"GET", "tls:big"});
  gets += EncodeCommand({"PING"});
  ASSERT_TRUE(c.Send(gets));
  std::this_thread::sleep_for(500ms);
  for (int i = 0; i < 8; ++i) {
    const std::string reply = c.ReadReply();
    ASSERT_EQ(reply == big_reply, true)
        << "reply " << i << ": " << reply.size() << " bytes, starting " << reply.substr(0, 40)
        << "; " << c.error();
  }
  EXPECT_EQ(c.ReadReply(), "+PONG\r\n");

  // A blocking pop on a dedicated upstream link, woken by a push straight into Redis.
  ASSERT_TRUE(c.Send(EncodeCommand({"BLPOP", "tls:queue", "5"})));
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(redis_.Connect().Command({"RPUSH", "tls:queue", "job"}).IsInteger(1));
  EXPECT_EQ(c.ReadReply(), "*2\r\n$9\r\ntls:queue\r\n$3\r\njob\r\n") << c.error();
  // And a transaction.
  EXPECT_EQ(c.Command({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.Command({"INCR", "tls:pipelined"}), "+QUEUED\r\n");
  EXPECT_EQ(c.Command({"EXEC"}), "*1\r\n:1001\r\n");
}

TEST_F(ClientTlsTest, MutualTlsLetsInOnlyCertificatesTheCaSigned) {
  std::vector<std::string> env = Mutual("yes");
  ASSERT_EQ(StartRespite(env), "");
  EXPECT_EQ(Cli("PING", "client"), "PONG");
  TlsClient c(tls_port_, Trusting("ca.crt", "client"));
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.Command({"SET", "tls:mutual", "1"}), "+OK\r\n");

  // No certificate, or one another CA signed: refused, with the reason in the log.
  EXPECT_NE(Cli("PING"), "PONG");
  EXPECT_TRUE(
      LogSays("TLS handshake failed: the client sent no certificate, and "
              "tls.auth_clients is yes"));
  std::this_thread::sleep_for(1100ms);  // the log says one failure a second per io thread
  EXPECT_NE(Cli("PING", "other-client"), "PONG");
  EXPECT_TRUE(WaitFor([&] { return Failures("certificate") >= 2; }, 5s));
  EXPECT_TRUE(LogSays("TLS handshake failed: client certificate refused:")) << respite_->Log();
  EXPECT_EQ(Metric("respite_client_tls_handshakes_total{session=\"new\"}") +
                Metric("respite_client_tls_handshakes_total{session=\"resumed\"}"),
            2);
}

TEST_F(ClientTlsTest, OptionalClientCertificatesAreCheckedWhenSent) {
  ASSERT_EQ(StartRespite(Mutual("optional")), "");
  EXPECT_EQ(Cli("PING"), "PONG");
  EXPECT_EQ(Cli("PING", "client"), "PONG");
  EXPECT_NE(Cli("PING", "other-client"), "PONG");
  EXPECT_TRUE(WaitFor([&] { return Failures("certificate") >= 1; }, 5s));
}

TEST_F(ClientTlsTest, WhatIsNotAHandshakeIsClosedCountedAndHarmless) {
  ASSERT_EQ(StartRespite({"RESPITE_TLS_HANDSHAKE_TIMEOUT_MS=300"}), "");
  // Plain RESP on the TLS port: no reply, closed.
  RawResult plain = RawExchange(tls_port_, "*1\r\n$4\r\nPING\r\n", false, 3s);
  EXPECT_TRUE(plain.closed);
  EXPECT_EQ(plain.received.find("PONG"), std::string::npos);
  EXPECT_TRUE(WaitFor([&] { return Failures("not_tls") >= 1; }, 5s));
  EXPECT_TRUE(LogSays("TLS handshake failed: not a TLS client (plain text on the TLS port?)"));

  // Silence: closed once tls.handshake_timeout_ms passes.
  const auto start = std::chrono::steady_clock::now();
  RawResult silent = RawExchange(tls_port_, "", false, 5s);
  EXPECT_TRUE(silent.closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(WaitFor([&] { return Failures("timeout") >= 1; }, 5s));

  // Half a ClientHello, then the client hangs up; and one whole, never finished.
  const std::string hello =
      ReadFile(std::string(RESPITE_SOURCE_DIR) + "/tests/fuzz/corpus/tls/client-hello-tls13");
  ASSERT_GT(hello.size(), 100u);
  EXPECT_TRUE(RawExchange(tls_port_, hello.substr(0, 40), true, 3s).closed);
  EXPECT_TRUE(WaitFor([&] { return Failures("closed") >= 1; }, 5s));
  RawResult whole = RawExchange(tls_port_, hello, false, 3s);
  EXPECT_TRUE(whole.closed);
  EXPECT_GT(whole.received.size(), 0u);  // respite's ServerHello came before the timeout
  EXPECT_TRUE(WaitFor([&] { return Failures("timeout") >= 2; }, 5s));

  // None of it hurt anyone else.
  EXPECT_EQ(Cli("PING"), "PONG");
  EXPECT_TRUE(respite_->Connect().Command({"PING"}).IsStatus("PONG"));
  EXPECT_TRUE(WaitFor([&] { return Metric("respite_clients") == 0; }, 5s));
}

// Protected mode (no requirepass): a client from off loopback (127.0.0.2 counts) is closed at
// accept on the TLS listener too, unless the listener requires client certificates, which are a
// login of their own.
TEST_F(ClientTlsTest, ProtectedModeClosesStrangersUnlessCertificatesAreRequired) {
  ASSERT_EQ(StartRespite({}), "");
  TlsClientOptions from_outside = Trusting();
  from_outside.from = "127.0.0.2";
  TlsClient refused(tls_port_, from_outside);
  EXPECT_FALSE(refused.ok());
  EXPECT_TRUE(WaitFor(
      [&] { return Metric("respite_connections_rejected_total{reason=\"protected_mode\"}") == 1; },
      5s));
  EXPECT_EQ(Metric("respite_client_tls_handshakes_total{session=\"new\"}"), 0);

  respite_.reset();
  ASSERT_EQ(StartRespite(Mutual("yes")), "");
  TlsClientOptions certified = Trusting("ca.crt", "client");
  certified.from = "127.0.0.2";
  TlsClient served(tls_port_, certified);
  ASSERT_TRUE(served.ok()) << served.error();
  EXPECT_EQ(served.Command({"PING"}), "+PONG\r\n");
  // Without a certificate the handshake refuses it, protected mode or not.
  from_outside.from = "127.0.0.2";
  TlsClient uncertified(tls_port_, from_outside);
  EXPECT_NE(uncertified.Command({"PING"}), "+PONG\r\n");
}

// Rotation: the certificate and key files are rewritten (here with another CA's certificate)
// and SIGHUP makes new connections use them; a client connected before keeps its connection.
TEST_F(ClientTlsTest, SighupRotatesTheCertificateWithoutDroppingClients) {
  const std::string cert = certs_.File("listener.crt"), key = certs_.File("listener.key");
  std::filesystem::copy_file(certs_.File("server.crt"), cert);
  std::filesystem::copy_file(certs_.File("server.key"), key);
  ASSERT_EQ(StartRespite({"RESPITE_TLS_CERT_FILE=" + cert, "RESPITE_TLS_KEY_FILE=" + key}), "");
  TlsClient kept(tls_port_, Trusting());
  ASSERT_TRUE(kept.ok()) << kept.error();
  ASSERT_EQ(kept.Command({"SET", "tls:kept", "before"}), "+OK\r\n");

  const auto overwrite = std::filesystem::copy_options::overwrite_existing;
  std::filesystem::copy_file(certs_.File("other-server.crt"), cert, overwrite);
  std::filesystem::copy_file(certs_.File("other-server.key"), key, overwrite);
  ASSERT_TRUE(respite_->process().Signal(SIGHUP));
  ASSERT_TRUE(LogSays("client TLS files reloaded (certificate CN=respite rotated"));

  EXPECT_EQ(kept.Command({"GET", "tls:kept"}), "$6\r\nbefore\r\n") << kept.error();
  TlsClient rotated(tls_port_, Trusting("other-ca.crt"));
  EXPECT_TRUE(rotated.ok()) << rotated.error();
  EXPECT_EQ(rotated.Command({"GET", "tls:kept"}), "$6\r\nbefore\r\n");
  TlsClient stale(tls_port_, Trusting("ca.crt"));
  EXPECT_FALSE(stale.ok());
  const HttpResponse status = HttpRequest(respite_->admin_port(), "GET", "/status");
  EXPECT_NE(status.body.find("\"certificate\":\"CN=respite rotated\""), std::string::npos);

  // A broken file on the next SIGHUP: said, and the loaded certificate stays in use.
  std::ofstream(cert, std::ios::trunc) << "not a certificate\n";
  ASSERT_TRUE(respite_->process().Signal(SIGHUP));
  ASSERT_TRUE(
      LogSays("SIGHUP: client TLS files not reloaded, the loaded ones stay in use: "
              "tls.cert_file: cannot load"));
  EXPECT_EQ(Cli("PING", "", "other-ca.crt"), "PONG");
  EXPECT_EQ(kept.Command({"PING"}), "+PONG\r\n");
}

// An outage with clients on the TLS listener: served from the local store over TLS, replayed
// upstream exactly once when Redis is back.
TEST_F(ClientTlsTest, AnOutageIsServedOverTlsAndReplayedOnce) {
  ASSERT_EQ(StartRespite({}), "");
  TlsClient c(tls_port_, Trusting());
  ASSERT_TRUE(c.ok()) << c.error();
  redis_.Kill();
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  for (int i = 1; i <= 100; ++i) {
    ASSERT_EQ(c.Command({"INCR", "tls:outage"}), ":" + std::to_string(i) + "\r\n") << c.error();
  }
  ASSERT_EQ(redis_.Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return !ServedLocally(); }, 30s));
  ASSERT_TRUE(WaitFor(
      [&] {
        return redis_.Connect().Command({"GET", "tls:outage"}).IsString("100");
      },
      10s));
  EXPECT_EQ(c.Command({"INCR", "tls:outage"}), ":101\r\n");
}

TEST_F(ClientTlsTest, TheAdminEndpointServesHttpsWithTheSameCertificate) {
  ASSERT_EQ(StartRespite({"RESPITE_TLS_ADMIN=yes"}), "");
  const std::string url = "https://localhost:" + std::to_string(respite_->admin_port());
  const std::string status =
      Output("curl -sS --max-time 5 --cacert " + certs_.File("ca.crt") + " " + url + "/status");
  EXPECT_NE(status.find("\"state\":\"forward\""), std::string::npos) << status;
  EXPECT_NE(
      Output("curl -sS --max-time 5 --cacert " + certs_.File("ca.crt") + " " + url + "/healthz"),
      "");
  // Plain HTTP gets nothing from it.
  EXPECT_EQ(HttpRequest(respite_->admin_port(), "GET", "/status", "", 2s).status, 0);
  EXPECT_NE(respite_->Log().find("admin endpoint on https://"), std::string::npos);
}

// limits.idle_timeout_s counts from the connect: a handshake that spans the io thread's ticks
// is not idleness (only tls.handshake_timeout_ms applies to it).
TEST_F(ClientTlsTest, AHandshakeSpanningTicksIsNotIdleness) {
  ASSERT_EQ(StartRespite({"RESPITE_LIMITS_IDLE_TIMEOUT_S=60"}), "");
  TlsClientOptions slow = Trusting();
  slow.pause_before_handshake = 350ms;
  TlsClient c(tls_port_, slow);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c.Command({"PING"}), "+PONG\r\n");
}

// An expired certificate still starts (the operator may be mid-rotation) but the log says so.
TEST_F(ClientTlsTest, AnExpiredCertificateIsNamedAtStart) {
  std::this_thread::sleep_for(1100ms);  // expired.crt is valid for the second it was made in
  ASSERT_EQ(StartRespite({"RESPITE_TLS_CERT_FILE=" + certs_.File("expired.crt")}), "");
  EXPECT_TRUE(LogSays("tls.cert_file: the certificate expired at "));
  EXPECT_NE(Cli("PING"), "PONG");  // redis-cli checks it
}

TEST_F(ClientTlsTest, BadListenerSettingsStopRespiteWithTheReason) {
  EXPECT_NE(StartRespite({"RESPITE_TLS_CERT_FILE=" + certs_.File("missing.crt")}), "");
  EXPECT_NE(respite_->Log().find("client TLS: tls.cert_file: cannot load '" +
                                 certs_.File("missing.crt") + "'"),
            std::string::npos)
      << respite_->Log();
  EXPECT_NE(StartRespite({"RESPITE_TLS_KEY_FILE=" + certs_.File("client.key")}), "");
  EXPECT_NE(respite_->Log().find("tls.key_file: cannot use '" + certs_.File("client.key") +
                                 "' with tls.cert_file: key values mismatch"),
            std::string::npos)
      << respite_->Log();
  // The TLS listener on the plain listener's port (any address): refused, not shared.
  const std::string port = std::to_string(FreePort());
  TempDir data("respite-overlap");
  const std::string said =
      Output("timeout 10 " + RespiteBinary() + " --listen 127.0.0.1:" + port +
             " --tls-listen 0.0.0.0:" + port + " --tls-cert-file " + certs_.File("server.crt") +
             " --tls-key-file " + certs_.File("server.key") + " --admin off --upstream redis://" +
             "127.0.0.1:" + std::to_string(redis_.port()) + " --data-dir " + data.path());
  EXPECT_NE(said.find("tls.listen 0.0.0.0:" + port + " overlaps listen 127.0.0.1:" + port +
                      ": give the TLS listener its own port"),
            std::string::npos)
      << said;
  EXPECT_NE(StartRespite({"RESPITE_TLS_AUTH_CLIENTS=yes"}), "");
  EXPECT_NE(respite_->Log().find("tls.auth_clients yes checks clients' certificates against "
                                 "tls.client_ca_file or tls.client_ca_dir"),
            std::string::npos)
      << respite_->Log();
}

}  // namespace
}  // namespace respite::test
