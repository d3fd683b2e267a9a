// TLS toward upstream (rediss://), for real: a redis-server of Debian's (built with TLS) serves
// TLS on one port and plain TCP on another, with certificates the test makes with `openssl` in a
// temp dir. respite must forward over TLS (shared and dedicated links, health checks), refuse an
// untrusted certificate or a wrong name with a reason the user can act on (and serve locally
// meanwhile), present its own certificate where Redis asks for one, and replay an outage's
// writes over TLS exactly once. The plain port only lets the test read Redis directly.

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
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
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(certs_.ok()) << "openssl could not make the certificates"; }
  void TearDown() override {
    if (HasFailure() && respite_) std::cerr << "---- respite log ----\n" << respite_->Log() << "\n";
  }

  // redis-server with TLS on tls_port_ (and plain TCP on its usual port, for the test only).
  void StartRedis(bool auth_clients, const std::string& cert = "server.crt") {
    tls_port_ = FreePort();
    RedisOptions options;
    options.extra_args = {"--tls-port",         std::to_string(tls_port_),
                          "--tls-cert-file",    certs_.File(cert),
                          "--tls-key-file",     certs_.File("server.key"),
                          "--tls-ca-cert-file", certs_.File("ca.crt"),
                          "--tls-auth-clients", auth_clients ? "yes" : "no"};
    redis_ = std::make_unique<RedisServer>(options);
    ASSERT_EQ(redis_->Start(), "");
  }

  // respite in front of the TLS port; `env` adds RESPITE_TLS_* settings.
  std::string StartRespite(std::vector<std::string> env, bool wait_for_pong = true,
                           const std::string& host = "localhost") {
    RespiteOptions options;
    options.upstream_url = "rediss://" + host + ":" + std::to_string(tls_port_);
    options.log_level = "info";
    options.wait_for_pong = wait_for_pong;
    options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",     "RESPITE_HEALTH_TIMEOUT_MS=200",
                   "RESPITE_HEALTH_UNHEALTHY_AFTER=2",   "RESPITE_HEALTH_HEALTHY_AFTER=2",
                   "RESPITE_BREAKER_BACKOFF_BASE_MS=50", "RESPITE_BREAKER_BACKOFF_MAX_MS=500"};
    options.env.insert(options.env.end(), env.begin(), env.end());
    respite_ = std::make_unique<RespiteProcess>(options);
    return respite_->Start();
  }

  std::string TrustedCa() const { return "RESPITE_TLS_CA_FILE=" + certs_.File("ca.crt"); }

  double Metric(const std::string& name) {
    return ParsePrometheusText(HttpRequest(respite_->admin_port(), "GET", "/metrics").body)
        .Value(name);
  }

  bool LogSays(const std::string& text) { return respite_->LogSays(text); }

  bool ServedLocally() { return respite_->ServedLocally(); }

  // A SET through respite shows up in Redis at once: respite forwards.
  bool Forwards(const std::string& key) {
    Client c = respite_->Connect();
    Client direct = redis_->Connect();
    return c.Command({"SET", key, "via-tls"}).IsStatus("OK") &&
           direct.Command({"GET", key}).IsString("via-tls");
  }

  Certificates certs_;
  uint16_t tls_port_ = 0;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(TlsTest, ForwardsOverTlsOnSharedAndDedicatedLinksAndStaysUp) {
  StartRedis(/*auth_clients=*/false);
  ASSERT_EQ(StartRespite({TrustedCa()}), "");
  EXPECT_TRUE(Forwards("tls:shared"));

  Client c = respite_->Connect();
  // A pipeline on the shared link.
  for (int i = 0; i < 200; ++i) c.Append({"INCR", "tls:counter"});
  for (int i = 1; i <= 200; ++i) ASSERT_TRUE(c.GetReply().IsInteger(i)) << i;
  // MULTI/EXEC and a blocking pop take dedicated links.
  EXPECT_TRUE(c.Command({"MULTI"}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"SET", "tls:multi", "1"}).IsStatus("QUEUED"));
  EXPECT_TRUE(c.Command({"EXEC"}));
  EXPECT_TRUE(redis_->Connect().Command({"RPUSH", "tls:list", "x"}).IsInteger(1));
  const Reply popped = c.Command({"BLPOP", "tls:list", "1"});
  ASSERT_TRUE(popped && popped->type == REDIS_REPLY_ARRAY && popped->elements == 2)
      << popped.Describe();

  // A value bigger than a TLS record (16 KB) both ways.
  const std::string big(1 << 20, 'b');
  EXPECT_TRUE(c.Command({"SET", "tls:big", big}).IsStatus("OK"));
  EXPECT_TRUE(c.Command({"GET", "tls:big"}).IsString(big));
  EXPECT_TRUE(redis_->Connect().Command({"STRLEN", "tls:big"}).IsInteger(1 << 20));

  // Health checks go over TLS too: a second later respite still forwards.
  std::this_thread::sleep_for(1s);
  EXPECT_FALSE(ServedLocally());
  EXPECT_TRUE(Forwards("tls:later"));
  EXPECT_NE(respite_->Log().find("upstream over TLS (min 1.2), certificate checked against "
                                 "'localhost'"),
            std::string::npos);
  // Links, dedicated links and health checks each connected; all but the first could resume.
  const double full = Metric("respite_upstream_tls_handshakes_total{session=\"new\"}");
  const double resumed = Metric("respite_upstream_tls_handshakes_total{session=\"resumed\"}");
  EXPECT_GE(full, 1);
  EXPECT_GE(resumed, 1) << full << " full handshakes";
  EXPECT_EQ(Metric("respite_upstream_tls_failures_total{cause=\"handshake\"}"), 0);

  // Redis drops every connection (no close_notify, as in an outage): the sessions respite keeps
  // stay resumable, and its reconnects resume.
  const double full_before = Metric("respite_upstream_tls_handshakes_total{session=\"new\"}");
  ASSERT_TRUE(redis_->Connect().Command({"CLIENT", "KILL", "TYPE", "normal"}));
  EXPECT_TRUE(WaitFor([&] { return Forwards("tls:after-kill"); }, 5s));
  EXPECT_GT(Metric("respite_upstream_tls_handshakes_total{session=\"resumed\"}"), resumed);
  EXPECT_EQ(Metric("respite_upstream_tls_handshakes_total{session=\"new\"}"), full_before)
      << "a reconnect after the kill could not resume";
}

TEST_F(TlsTest, ACertificateFromAnUntrustedCaIsRefusedWithTheReasonAndServedLocally) {
  StartRedis(/*auth_clients=*/false);
  ASSERT_EQ(StartRespite({"RESPITE_TLS_CA_FILE=" + certs_.File("other-ca.crt")},
                         /*wait_for_pong=*/false),
            "");
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  Client c = respite_->Connect();
  EXPECT_TRUE(c.Command({"SET", "tls:untrusted", "local"}).IsStatus("OK"));
  EXPECT_TRUE(redis_->Connect().Command({"EXISTS", "tls:untrusted"}).IsInteger(0));
  // Redis sends its CA with its certificate: OpenSSL names that self-signed root.
  const std::string reason =
      "TLS handshake failed: certificate verify failed: self-signed certificate in certificate "
      "chain";
  EXPECT_TRUE(LogSays(reason));
  const HttpResponse status = HttpRequest(respite_->admin_port(), "GET", "/status");
  EXPECT_NE(status.body.find(reason), std::string::npos) << status.body;
  EXPECT_GE(Metric("respite_upstream_tls_failures_total{cause=\"certificate\"}"), 1);
  EXPECT_EQ(Metric("respite_upstream_tls_handshakes_total{session=\"new\"}"), 0);
}

TEST_F(TlsTest, AnExpiredCertificateIsRefusedAndNamedSo) {
  StartRedis(/*auth_clients=*/false, "expired.crt");
  // Its notAfter is the second it was made in: expired once that second is over.
  std::this_thread::sleep_for(1100ms);
  ASSERT_EQ(StartRespite({TrustedCa()}, /*wait_for_pong=*/false), "");
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  EXPECT_TRUE(LogSays("TLS handshake failed: certificate verify failed: certificate has expired"));
  EXPECT_GE(Metric("respite_upstream_tls_failures_total{cause=\"certificate\"}"), 1);
}

TEST_F(TlsTest, ACertificateForAnotherNameIsRefused) {
  StartRedis(/*auth_clients=*/false);
  ASSERT_EQ(StartRespite({TrustedCa(), "RESPITE_TLS_SERVER_NAME=redis.example.com"},
                         /*wait_for_pong=*/false),
            "");
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  EXPECT_TRUE(
      LogSays("certificate verify failed: hostname mismatch (upstream's certificate is not for "
              "'redis.example.com')"));
  EXPECT_GE(Metric("respite_upstream_tls_failures_total{cause=\"name\"}"), 1);
}

TEST_F(TlsTest, AnAddressIsCheckedAgainstTheCertificatesAddresses) {
  StartRedis(/*auth_clients=*/false);
  ASSERT_EQ(StartRespite({TrustedCa()}, /*wait_for_pong=*/true, "127.0.0.1"), "");
  EXPECT_TRUE(Forwards("tls:by-address"));

  // An address the certificate does not carry is refused.
  respite_->process().Kill();
  ASSERT_EQ(StartRespite({TrustedCa(), "RESPITE_TLS_SERVER_NAME=127.0.0.3"},
                         /*wait_for_pong=*/false, "127.0.0.1"),
            "");
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  EXPECT_TRUE(
      LogSays("certificate verify failed: IP address mismatch (upstream's certificate is not for "
              "'127.0.0.3')"));
  EXPECT_GE(Metric("respite_upstream_tls_failures_total{cause=\"name\"}"), 1);
}

TEST_F(TlsTest, PlainTcpUpstreamOnARedissUrlSaysWhy) {
  StartRedis(/*auth_clients=*/false);
  tls_port_ = redis_->port();  // the plain port
  ASSERT_EQ(StartRespite({TrustedCa()}, /*wait_for_pong=*/false), "");
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  EXPECT_TRUE(LogSays("TLS handshake timed out (does upstream serve TLS on this port?)"))
      << respite_->Log();
  EXPECT_GE(Metric("respite_upstream_tls_failures_total{cause=\"timeout\"}"), 1);
}

TEST_F(TlsTest, MutualTlsPresentsRespitesCertificate) {
  StartRedis(/*auth_clients=*/true);
  ASSERT_EQ(StartRespite({TrustedCa(), "RESPITE_TLS_CLIENT_CERT_FILE=" + certs_.File("client.crt"),
                          "RESPITE_TLS_CLIENT_KEY_FILE=" + certs_.File("client.key")}),
            "");
  EXPECT_TRUE(Forwards("tls:mutual"));
  std::this_thread::sleep_for(500ms);
  EXPECT_FALSE(ServedLocally());
}

TEST_F(TlsTest, WithoutItsCertificateAnUpstreamThatAsksForOneIsDown) {
  StartRedis(/*auth_clients=*/true);
  ASSERT_EQ(StartRespite({TrustedCa()}, /*wait_for_pong=*/false), "");
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  Client c = respite_->Connect();
  EXPECT_TRUE(c.Command({"SET", "tls:no-cert", "local"}).IsStatus("OK"));
  EXPECT_TRUE(redis_->Connect().Command({"EXISTS", "tls:no-cert"}).IsInteger(0));
}

TEST_F(TlsTest, BadTlsSettingsStopRespiteAtStartWithTheReason) {
  StartRedis(/*auth_clients=*/false);
  EXPECT_NE(StartRespite({"RESPITE_TLS_CA_FILE=" + certs_.File("missing.crt")}), "");
  EXPECT_NE(respite_->Log().find("upstream TLS: tls.ca_file: cannot load '" +
                                 certs_.File("missing.crt") + "'"),
            std::string::npos)
      << respite_->Log();
  EXPECT_NE(StartRespite({TrustedCa(), "RESPITE_TLS_CLIENT_CERT_FILE=" + certs_.File("client.crt"),
                          "RESPITE_TLS_CLIENT_KEY_FILE=" + certs_.File("server.key")}),
            "");
  EXPECT_NE(respite_->Log().find("tls.client_key_file: cannot use '" + certs_.File("server.key") +
                                 "' with tls.client_cert_file: key values mismatch"),
            std::string::npos)
      << respite_->Log();
}

// Certificate rotation: the CA file respite was started with is rewritten (here from a wrong CA
// to the right one) and SIGHUP makes new connections use it; a client connected meanwhile keeps
// its connection, and respite forwards again.
TEST_F(TlsTest, SighupReadsTheTlsFilesAgainWithoutDroppingClients) {
  StartRedis(/*auth_clients=*/false);
  const std::string ca = certs_.File("upstream-ca.crt");
  std::filesystem::copy_file(certs_.File("other-ca.crt"), ca);
  ASSERT_EQ(StartRespite({"RESPITE_TLS_CA_FILE=" + ca}, /*wait_for_pong=*/false), "");
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  Client kept = respite_->Connect();
  ASSERT_TRUE(kept.Command({"SET", "tls:during", "local"}).IsStatus("OK"));

  std::filesystem::copy_file(certs_.File("ca.crt"), ca,
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(respite_->process().Signal(SIGHUP));
  EXPECT_TRUE(WaitFor([&] { return !ServedLocally(); }, 15s));
  EXPECT_TRUE(WaitFor(
      [&] {
        return redis_->Connect().Command({"GET", "tls:during"}).IsString("local");
      },
      10s));
  EXPECT_TRUE(kept.Command({"GET", "tls:during"}).IsString("local"));
  EXPECT_TRUE(Forwards("tls:rotated"));
  EXPECT_NE(respite_->Log().find("upstream TLS files reloaded (for new connections)"),
            std::string::npos);
  EXPECT_GE(Metric("respite_upstream_tls_failures_total{cause=\"certificate\"}"), 1);
}

// An outage over TLS: upstream SIGKILLed, writes served locally, upstream back (empty, on the
// same ports): the journal replays over TLS, each write exactly once.
TEST_F(TlsTest, AnOutagesWritesAreReplayedOverTlsExactlyOnce) {
  StartRedis(/*auth_clients=*/false);
  ASSERT_EQ(StartRespite({TrustedCa()}), "");
  EXPECT_TRUE(Forwards("tls:before"));
  redis_->Kill();
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  Client c = respite_->Connect();
  for (int i = 1; i <= 100; ++i) {
    ASSERT_TRUE(c.Command({"INCR", "tls:outage"}).IsInteger(i)) << i;
  }
  ASSERT_EQ(redis_->Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return !ServedLocally() && Forwards("tls:after"); }, 30s));
  EXPECT_TRUE(redis_->Connect().Command({"GET", "tls:outage"}).IsString("100"));
  EXPECT_TRUE(c.Command({"INCR", "tls:outage"}).IsInteger(101));
}

}  // namespace
}  // namespace respite::test
