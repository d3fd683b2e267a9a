// The small GET client of `respite top` and `respite probe`, against a loopback server of the
// test's own: framing by Content-Length (without waiting for the close), chunked, up to EOF;
// refused connections and a server that never answers (bounded by the timeout); responses that
// are not HTTP; the probe's exit codes.

#include "cli/http_get.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "cli/tool.h"

namespace respite::cli {
namespace {

using namespace std::chrono_literals;

// A loopback listener; Serve() accepts one connection on a thread and runs `handler` on it.
class OneShotServer {
 public:
  OneShotServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }

  uint16_t port() const { return port_; }

  // `handler` gets the connected socket and the request read up to its blank line.
  void Serve(std::function<void(int fd, const std::string& request)> handler) {
    thread_ = std::thread([this, handler = std::move(handler)] {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) return;
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd c{conn, POLLIN, 0};
        if (::poll(&c, 1, 5000) != 1) break;
        const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      handler(conn, request);
      ::close(conn);
    });
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

void Send(int fd, const std::string& bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(bytes.size()));
}

TEST(HttpGet, ContentLengthEndsTheBodyWithoutWaitingForTheClose) {
  OneShotServer server;
  std::string seen;
  server.Serve([&](int fd, const std::string& request) {
    seen = request;
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 11\r\n\r\n");
    std::this_thread::sleep_for(20ms);
    Send(fd, "{\"a\":\"b\"}\n");
    Send(fd, "X");  // past Content-Length: not part of the body
    // Keeps the connection open for longer than the client waits.
    std::this_thread::sleep_for(1500ms);
  });
  const auto start = std::chrono::steady_clock::now();
  const HttpGetResult r = HttpGet("127.0.0.1", server.port(), "/status", "tok", 1000ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"a\":\"b\"}\nX");
  EXPECT_EQ(seen.rfind("GET /status HTTP/1.1\r\n", 0), 0u) << seen;
  EXPECT_NE(seen.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"),
            std::string::npos)
      << seen;
  EXPECT_NE(seen.find("\r\nAuthorization: Bearer tok\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nConnection: close\r\n"), std::string::npos) << seen;
}

TEST(HttpGet, ChunkedBodyInPieces) {
  OneShotServer server;
  std::string seen;
  server.Serve([&](int fd, const std::string& request) {
    seen = request;
    Send(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    std::this_thread::sleep_for(20ms);
    Send(fd, "lo\r\nA;ext=1\r\n, world!!!\r\n0\r\nTrailer: x\r\n\r\n");
  });
  const HttpGetResult r = HttpGet("localhost", server.port(), "/metrics", "", 2000ms);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello, world!!!");
  EXPECT_EQ(seen.find("Authorization"), std::string::npos) << seen;
}

TEST(HttpGet, BodyUpToTheCloseAndOtherStatuses) {
  OneShotServer server;
  server.Serve(
      [&](int fd, const std::string&) { Send(fd, "HTTP/1.0 404 Not Found\r\n\r\nnot found\n"); });
  const HttpGetResult r = HttpGet("127.0.0.1", server.port(), "/nowhere", "", 2000ms);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "not found\n");
}

TEST(HttpGet, AnswerThatIsNotHttpIsAnErrorAtOnce) {
  OneShotServer server;
  server.Serve([&](int fd, const std::string&) {
    Send(fd, "-ERR unknown command 'GET'\r\n");
    std::this_thread::sleep_for(1000ms);  // and the connection stays open
  });
  const auto start = std::chrono::steady_clock::now();
  const HttpGetResult r = HttpGet("127.0.0.1", server.port(), "/status", "", 900ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 800ms);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "not an HTTP response: -ERR unknown command 'GET'");
}

TEST(HttpGet, RefusedConnectionIsAnError) {
  uint16_t port;
  {
    OneShotServer closed;  // bound, then closed: nothing listens there now
    port = closed.port();
  }
  const HttpGetResult r = HttpGet("127.0.0.1", port, "/status", "", 2000ms);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "connect: Connection refused");
}

TEST(HttpGet, ServerThatNeverAnswersTimesOut) {
  OneShotServer server;
  server.Serve([&](int, const std::string&) { std::this_thread::sleep_for(1500ms); });
  const auto start = std::chrono::steady_clock::now();
  const HttpGetResult r = HttpGet("127.0.0.1", server.port(), "/status", "", 200ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "read: timed out after 200 ms");
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 1000ms);
}

// `respite probe`: the exit code follows the admin endpoint's answer.
int Probe(std::vector<std::string> args, uint16_t port, std::string* err_text) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  const int code = RunProbe(args, {"RESPITE_ADMIN=127.0.0.1:" + std::to_string(port)}, out, err);
  std::rewind(err);
  char buf[512];
  const size_t n = std::fread(buf, 1, sizeof buf, err);
  *err_text = std::string(buf, n);
  std::fclose(out);
  std::fclose(err);
  return code;
}

TEST(Probe, ReadyAsksReadyzAndPassesOn200) {
  std::string request, err;
  {
    OneShotServer server;
    server.Serve([&](int fd, const std::string& r) {
      request = r;
      Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nready\n");
    });
    EXPECT_EQ(Probe({"ready"}, server.port(), &err), 0) << err;
  }  // the server's thread is joined: `request` is set
  EXPECT_TRUE(request.starts_with("GET /readyz HTTP/1.1\r\n")) << request;
}

TEST(Probe, FailsOnAnotherStatusAndOnNoAnswer) {
  std::string err;
  {
    OneShotServer server;
    server.Serve([&](int fd, const std::string&) {
      Send(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 9\r\n\r\nnot ready");
    });
    EXPECT_EQ(Probe({"ready"}, server.port(), &err), 1);
    EXPECT_NE(err.find("503 not ready"), std::string::npos) << err;
  }
  uint16_t port;
  {
    OneShotServer closed;
    port = closed.port();
  }
  EXPECT_EQ(Probe({}, port, &err), 1);
  EXPECT_NE(err.find("/healthz: connect: Connection refused"), std::string::npos) << err;
  EXPECT_EQ(Probe({"sideways"}, port, &err), 2);
  EXPECT_EQ(Probe({"--timeout", "0"}, port, &err), 2);
}

TEST(ParseHttpResponse, RejectsWhatIsNotACompleteResponse) {
  HttpGetResult r;
  ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", &r);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "abc");

  ParseHttpResponse("", &r);
  EXPECT_EQ(r.error, "the connection closed without a response");
  ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", &r);
  EXPECT_EQ(r.error, "the response ended early");
  ParseHttpResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", &r);
  EXPECT_EQ(r.error, "the response ended early");
  ParseHttpResponse("-ERR wrong protocol\r\n-ERR again\r\n", &r);
  EXPECT_EQ(r.error, "not an HTTP response: -ERR wrong protocol");
  ParseHttpResponse("HTTP/1.1 2x0 OK\r\n\r\n", &r);
  EXPECT_NE(r.error, "");
  ParseHttpResponse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &r);
  EXPECT_NE(r.error, "");
  ParseHttpResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &r);
  EXPECT_NE(r.error, "");
  ParseHttpResponse("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", &r);
  EXPECT_NE(r.error, "");
}

// --admin and RESPITE_ADMIN name where respite listens; a wildcard address is reached on loopback
// (the image's RESPITE_ADMIN=0.0.0.0:9121 for its HEALTHCHECK), whose name the endpoint accepts.
TEST(SplitAdminTest, WildcardAddressesAreReachedOnLoopback) {
  std::string host;
  uint16_t port = 0;
  EXPECT_EQ(SplitAdmin("0.0.0.0:9121", &host, &port), "");
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9121);
  EXPECT_EQ(SplitAdmin("[::]:9122", &host, &port), "");
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(SplitAdmin("10.1.2.3:80", &host, &port), "");
  EXPECT_EQ(host, "10.1.2.3");
  EXPECT_EQ(SplitAdmin("localhost:0", &host, &port), "--admin localhost:0: port must be 1..65535");
  EXPECT_EQ(SplitAdmin("off", &host, &port), "the admin endpoint is off");
}

}  // namespace
}  // namespace respite::cli
