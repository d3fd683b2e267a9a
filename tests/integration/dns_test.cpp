// Upstreams that move: managed Redis fails over by changing what its DNS name points to. respite
// resolves the upstream host name again at every connect, so after an outage it follows the name
// to the new address without a restart. The name lives in /etc/hosts (the system resolver reads
// it on every lookup); the test maps it to 127.0.0.1, then to 127.0.0.2, where a second
// redis-server listens on the same port. Needs root to edit /etc/hosts; skipped elsewhere.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/support/respite_process.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kHosts = "/etc/hosts";

// What `command` printed, first line, without its newline.
std::string Output(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buf[256] = {};
  std::string out = std::fgets(buf, sizeof buf, pipe) != nullptr ? buf : "";
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

class DnsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && respite_) std::cerr << "---- respite log ----\n" << respite_->Log() << "\n";
    if (edited_) Restore();
    if (moved_) moved_->Kill();
  }

  // /etc/hosts is edited without ever hiding a line other tests resolve through (localhost):
  // the name's line is appended, repointed in place (addresses of the same length), and cut off
  // at the end. The file may be a bind mount, so it is never replaced.
  bool AddName(const std::string& address) {
    struct stat st {};
    if (::stat(kHosts, &st) != 0) return false;
    original_size_ = st.st_size;
    // A file whose last line has no newline gets one first, so that the name is a line of its own.
    std::string last;
    if (std::ifstream in(kHosts); original_size_ > 0 && in.seekg(-1, std::ios::end)) {
      last.push_back(static_cast<char>(in.get()));
    }
    address_at_ = original_size_ + (last == "\n" || original_size_ == 0 ? 0 : 1);
    line_ = std::string(address_at_ - original_size_, '\n') + address + " " + name_ + "\n";
    std::ofstream out(kHosts, std::ios::app);
    out << line_;
    out.close();
    edited_ = static_cast<bool>(out);
    return edited_;
  }
  bool Repoint(const std::string& address) {
    if (address.size() != line_.find(' ') - static_cast<size_t>(address_at_ - original_size_)) {
      return false;
    }
    const int fd = ::open(kHosts, O_WRONLY);
    if (fd < 0) return false;
    const bool ok = ::pwrite(fd, address.data(), address.size(), address_at_) ==
                    static_cast<ssize_t>(address.size());
    ::close(fd);
    return ok;
  }
  void Restore() {
    if (::truncate(kHosts, original_size_) != 0) ADD_FAILURE() << "could not restore " << kHosts;
  }

  bool ServedLocally() { return respite_->ServedLocally(); }

  // respite in front of `url`, with health checks quick to call upstream down and up again.
  void StartRespite(const std::string& url) {
    RespiteOptions options;
    options.upstream_url = url;
    options.log_level = "info";
    options.env = {"RESPITE_HEALTH_INTERVAL_MS=100",     "RESPITE_HEALTH_TIMEOUT_MS=100",
                   "RESPITE_HEALTH_UNHEALTHY_AFTER=2",   "RESPITE_HEALTH_HEALTHY_AFTER=2",
                   "RESPITE_BREAKER_BACKOFF_BASE_MS=50", "RESPITE_BREAKER_BACKOFF_MAX_MS=500"};
    respite_ = std::make_unique<RespiteProcess>(options);
    ASSERT_EQ(respite_->Start(), "");
  }

  const std::string name_ = "respite-dns-test-" + std::to_string(::getpid()) + ".internal";
  bool edited_ = false;
  off_t original_size_ = 0;
  off_t address_at_ = 0;  // where the name's address starts in the file
  std::string line_;
  std::unique_ptr<Process> moved_;  // the redis-server the name moves to
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<RespiteProcess> respite_;
};

TEST_F(DnsTest, AfterAnOutageRespiteFollowsTheUpstreamNameToItsNewAddress) {
  if (::geteuid() != 0 || !AddName("127.0.0.1")) GTEST_SKIP() << "cannot edit /etc/hosts here";
  redis_ = std::make_unique<RedisServer>();
  ASSERT_EQ(redis_->Start(), "");
  const std::string port = std::to_string(redis_->port());

  // The same port on 127.0.0.2: where the name will point after the "failover".
  TempDir dir("respite-dns");
  moved_ = std::make_unique<Process>();
  ASSERT_EQ(moved_->Start({"redis-server", "--port", port, "--bind", "127.0.0.2", "--save", "",
                           "--appendonly", "no", "--dir", dir.path(), "--logfile", ""},
                          dir.File("redis.log")),
            "");
  const std::string cli = "redis-cli -h 127.0.0.2 -p " + port + " ";
  ASSERT_TRUE(WaitFor([&] { return Output(cli + "PING 2>/dev/null") == "PONG"; }, 10s))
      << moved_->Log();

  ASSERT_NO_FATAL_FAILURE(StartRespite("redis://" + name_ + ":" + port));
  Client c = respite_->Connect();
  ASSERT_TRUE(c.Command({"SET", "dns:first", "1"}).IsStatus("OK"));
  EXPECT_TRUE(redis_->Connect().Command({"GET", "dns:first"}).IsString("1"));
  const std::string status = HttpRequest(respite_->admin_port(), "GET", "/status").body;
  EXPECT_NE(status.find("\"address\":\"127.0.0.1:" + port + "\""), std::string::npos) << status;

  // The old address dies; writes go on locally; the name moves.
  redis_->Kill();
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  for (int i = 1; i <= 20; ++i) ASSERT_TRUE(c.Command({"INCR", "dns:count"}).IsInteger(i));
  ASSERT_TRUE(Repoint("127.0.0.2"));

  // respite finds upstream at the new address, replays there, and forwards there.
  ASSERT_TRUE(WaitFor([&] { return !ServedLocally(); }, 20s));
  EXPECT_TRUE(WaitFor([&] { return Output(cli + "GET dns:count") == "20"; }, 10s));
  EXPECT_TRUE(c.Command({"SET", "dns:after", "2"}).IsStatus("OK"));
  EXPECT_EQ(Output(cli + "GET dns:after"), "2");
  EXPECT_TRUE(WaitFor(
      [&] {
        return HttpRequest(respite_->admin_port(), "GET", "/status")
                   .body.find("\"address\":\"127.0.0.2:" + port + "\"") != std::string::npos;
      },
      5s));
}

// Whether this machine has an IPv6 loopback to listen on.
bool HasIpv6Loopback() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// An upstream at an IPv6 address: forwarded to, shown in /status in brackets, and replayed to
// after an outage.
TEST_F(DnsTest, AnIpv6UpstreamIsForwardedToAndReplayedTo) {
  if (!HasIpv6Loopback()) GTEST_SKIP() << "no IPv6 loopback (::1) on this machine";
  RedisOptions redis_options;
  redis_options.extra_args = {"--bind", "127.0.0.1", "::1"};
  redis_ = std::make_unique<RedisServer>(redis_options);
  ASSERT_EQ(redis_->Start(), "");
  const std::string port = std::to_string(redis_->port());
  ASSERT_NO_FATAL_FAILURE(StartRespite("redis://[::1]:" + port));
  Client c = respite_->Connect();
  ASSERT_TRUE(c.Command({"SET", "v6:first", "1"}).IsStatus("OK"));
  EXPECT_TRUE(redis_->Connect().Command({"GET", "v6:first"}).IsString("1"));
  const std::string status = HttpRequest(respite_->admin_port(), "GET", "/status").body;
  EXPECT_NE(status.find("\"address\":\"[::1]:" + port + "\""), std::string::npos) << status;

  redis_->Kill();
  ASSERT_TRUE(WaitFor([&] { return ServedLocally(); }, 10s));
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(c.Command({"INCR", "v6:count"}).IsInteger(i));
  ASSERT_EQ(redis_->Restart(), "");
  ASSERT_TRUE(WaitFor([&] { return !ServedLocally(); }, 20s));
  EXPECT_TRUE(WaitFor(
      [&] {
        return redis_->Connect().Command({"GET", "v6:count"}).IsString("10");
      },
      10s));
}

}  // namespace
}  // namespace respite::test
