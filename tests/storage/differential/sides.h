#pragma once
// The two sides of a differential test: a real redis-server spoken to with raw RESP over a socket
// (replies framed with resp::ReplyScanner, kept as bytes), and a LocalStore on RocksDB in a temp
// dir with the wall clock (Redis runs on real time too). Both return raw reply bytes.

#include <cctype>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_scanner.h"
#include "storage/clock.h"
#include "storage/local_store.h"
#include "storage/pubsub_broker.h"
#include "tests/support/client.h"

namespace respite::storage::diff {

// One connection to Redis. Not thread-safe.
class RedisSide {
 public:
  explicit RedisSide(uint16_t port) : conn_(port) {}
  bool ok() const { return conn_.ok(); }
  const std::string& error() const { return error_; }

  // Sends argv and returns the raw bytes of its one reply; empty on a timeout or a broken
  // connection (error() says which).
  std::string Run(const std::vector<std::string>& argv,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    conn_.ClearBuffer();
    if (!conn_.SendCommand(argv)) {
      error_ = "send failed";
      return {};
    }
    resp::ReplyScanner scanner;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      switch (scanner.Scan(conn_.buffer())) {
        case resp::ScanStatus::kReply: {
          std::string reply = conn_.buffer().substr(0, scanner.reply_len());
          if (reply.size() != conn_.buffer().size()) error_ = "unexpected bytes after a reply";
          conn_.ClearBuffer();
          return reply;
        }
        case resp::ScanStatus::kError:
          error_ = "bad RESP from redis: " + scanner.error();
          return {};
        case resp::ScanStatus::kNeedMore:
          break;
      }
      const auto now = std::chrono::steady_clock::now();
      if (conn_.closed() || now >= deadline) {
        error_ = conn_.closed() ? "redis closed the connection" : "redis did not answer in time";
        return {};
      }
      conn_.ReadSome(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    }
  }

 private:
  test::RawConnection conn_;
  std::string error_;
};

// A LocalStore in its own temp dir, on the wall clock. Blocking commands that would block get the
// reply the proxy sends when their timeout fires (the generator only uses short timeouts).
class LocalSide {
 public:
  LocalSide() {
    char tmpl[] = "/tmp/respite-diff-XXXXXX";
    const char* made = mkdtemp(tmpl);
    if (made != nullptr) dir_ = made;
  }
  ~LocalSide() {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  LocalSide(const LocalSide&) = delete;
  LocalSide& operator=(const LocalSide&) = delete;

  // Opens (or closes and reopens: a crash-free restart) the store. Empty on success.
  std::string Open() {
    store_.reset();
    EngineOptions options;
    options.dir = dir_;
    options.fsync = Fsync::kNo;
    auto opened = LocalStore::Open(options, &clock_);
    if (!opened.ok()) return opened.status().ToString();
    store_ = std::move(opened).value();
    return {};
  }

  std::string Run(const std::vector<std::string>& argv) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    std::string out;
    store_->Execute(session, views, &out);
    if (store_->last_would_block()) {
      std::string name = argv[0];
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      LocalStore::WriteBlockTimeout(name, session.protocol, &out);
    }
    return out;
  }

  // Where PUBLISH and keyspace notifications go (after Open; the broker outlives the store).
  void SetPubSubBroker(PubSubBroker* broker) { store_->SetPubSubBroker(broker); }

  LocalSession session;

 private:
  std::string dir_;
  SystemClock clock_;
  std::unique_ptr<LocalStore> store_;
};

}  // namespace respite::storage::diff
