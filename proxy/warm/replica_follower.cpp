#include "proxy/warm/replica_follower.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <functional>

#include "proxy/blocking_client.h"
#include "proxy/failover.h"
#include "proxy/store_executor.h"
#include "resp/ascii.h"
#include "resp/command_encoder.h"
#include "resp/request_parser.h"
#include "storage/local_session.h"
#include "storage/local_store.h"
#include "storage/rdb_file.h"

namespace respite::proxy {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Upstream sends a newline every second while it prepares the RDB and pings every 10 s after
// (repl-ping-replica-period); silence past this (Redis' repl-timeout) means the link is dead.
constexpr uint32_t kSilenceMs = 60'000;
constexpr uint32_t kPollMs = 100;
constexpr auto kAckEvery = std::chrono::seconds(1);
// Commands applied per store task while loading an RDB: bounded memory, short store pauses.
constexpr size_t kLoadChunkCommands = 256;
constexpr size_t kLoadChunkBytes = 8u << 20;

bool ParseUint(std::string_view s, uint64_t* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Reads one "\r\n"-terminated line, skipping the bare newlines upstream sends as keepalives.
bool ReadLine(BlockingClient& client, std::string* buffered, std::string* line,
              const std::function<bool()>& keep_going, std::string* error) {
  auto last_byte = SteadyClock::now();
  for (;;) {
    size_t skip = 0;
    while (skip < buffered->size() && (*buffered)[skip] == '\n') ++skip;
    buffered->erase(0, skip);
    if (const size_t eol = buffered->find("\r\n"); eol != std::string::npos) {
      line->assign(*buffered, 0, eol);
      buffered->erase(0, eol + 2);
      return true;
    }
    if (!keep_going()) {
      *error = {};
      return false;
    }
    const size_t before = buffered->size() + skip;
    if (!client.ReadSome(kPollMs, buffered, error)) return false;
    if (buffered->size() + skip != before || skip > 0) last_byte = SteadyClock::now();
    if (SteadyClock::now() - last_byte > std::chrono::milliseconds(kSilenceMs)) {
      *error = "no data from upstream for " + std::to_string(kSilenceMs / 1000) + " s";
      return false;
    }
  }
}

}  // namespace

ReplicaFollower::ReplicaFollower(const config::Config& config, Failover& failover,
                                 StoreExecutor& store)
    : config_(config),
      failover_(failover),
      store_(store),
      session_(std::make_shared<storage::LocalSession>()) {
  snapshot_.state = "idle";
}

ReplicaFollower::~ReplicaFollower() { Stop(); }

void ReplicaFollower::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ReplicaFollower::Stop() {
  stopping_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
}

void ReplicaFollower::Wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  wake_cv_.notify_all();
}

void ReplicaFollower::SleepMs(uint64_t ms) {
  std::unique_lock lock(mu_);
  wake_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return woken_ || stopping_; });
  woken_ = false;
}

ReplicaFollower::Snapshot ReplicaFollower::Read() const {
  std::lock_guard lock(mu_);
  Snapshot s = snapshot_;
  s.commands_applied = applied_.load(std::memory_order_relaxed);
  s.apply_errors = apply_errors_.load(std::memory_order_relaxed);
  return s;
}

void ReplicaFollower::SetState(std::string state, std::string error) {
  std::lock_guard lock(mu_);
  snapshot_.state = std::move(state);
  if (!error.empty()) snapshot_.last_error = std::move(error);
  snapshot_.offset = offset_;
}

bool ReplicaFollower::StillFollowing() const {
  return !stopping_ && failover_.state() == Failover::State::kForward &&
         failover_.transitions() == generation_;
}

void ReplicaFollower::Loop() {
  std::string last_logged;
  uint64_t backoff_ms = 1000;
  while (!stopping_) {
    if (failover_.state() != Failover::State::kForward) {
      SetState("idle");
      SleepMs(kPollMs * 2);
      continue;
    }
    generation_ = failover_.transitions();
    BlockingClient client;
    std::string error;
    const bool clean = Follow(client, &error);
    client.Close();
    if (stopping_) break;
    if (clean || error.empty()) {  // the failover state changed: not an error
      backoff_ms = 1000;
      continue;
    }
    if (error != last_logged) {
      spdlog::warn("warm replica: {}; retrying", error);
      last_logged = error;
    }
    SetState("retrying", error);
    SleepMs(backoff_ms);
    backoff_ms = std::min<uint64_t>(backoff_ms * 2, 30'000);
  }
}

bool ReplicaFollower::Follow(BlockingClient& client, std::string* error) {
  SetState("syncing");
  if (!client.Connect(config_.upstream.parsed, config_.upstream.connect_timeout_ms, error)) {
    return false;
  }
  std::string reply;
  const uint32_t timeout = config_.upstream.request_timeout_ms;
  // Announce PSYNC2 so upstream may answer +CONTINUE later; not EOF-capable, so the RDB comes
  // with its length up front ("$<len>"), never as a diskless stream with an end marker.
  std::string request;
  resp::AppendCommand(&request, {"REPLCONF", "capa", "psync2"});
  if (!client.Call(request, timeout, &reply, error)) return false;
  if (reply.starts_with("-")) {
    *error = "upstream refused REPLCONF: " + reply.substr(1, reply.find('\r') - 1);
    return false;
  }
  request.clear();
  // Always a full resync: after an outage the local store has diverged by its own writes.
  resp::AppendCommand(&request, {"PSYNC", "?", "-1"});
  if (!client.Send(request, timeout, error)) return false;
  std::string buffered, line;
  const auto following = [this] { return StillFollowing(); };
  if (!ReadLine(client, &buffered, &line, following, error)) return error->empty();
  if (!line.starts_with("+FULLRESYNC ")) {
    *error = "upstream answered PSYNC with " + line.substr(0, 200);
    return false;
  }
  const size_t space = line.rfind(' ');
  if (!ParseUint(std::string_view(line).substr(space + 1), &offset_)) {
    *error = "bad FULLRESYNC line: " + line.substr(0, 200);
    return false;
  }
  std::string path;
  if (!ReceiveRdb(client, &buffered, &path, error)) return error->empty();
  SetState("loading");
  const bool loaded = LoadRdb(path, error);
  ::unlink(path.c_str());
  if (!loaded) return error->empty();
  {
    std::lock_guard lock(mu_);
    ++snapshot_.full_syncs;
  }
  spdlog::info("warm replica: loaded upstream's data ({} keys), following its writes",
               Read().keys_loaded);
  SetState("streaming");
  return Stream(client, std::move(buffered), error);
}

bool ReplicaFollower::ReceiveRdb(BlockingClient& client, std::string* buffered, std::string* path,
                                 std::string* error) {
  std::string line;
  const auto following = [this] { return StillFollowing(); };
  if (!ReadLine(client, buffered, &line, following, error)) return false;
  uint64_t len = 0;
  if (!line.starts_with("$") || !ParseUint(std::string_view(line).substr(1), &len)) {
    *error = "expected the RDB's length from upstream, got " + line.substr(0, 200);
    return false;
  }
  *path = config_.data_dir + "/replica-sync.rdb";
  const int fd = ::open(path->c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot write " + *path + ": " + std::strerror(errno);
    return false;
  }
  uint64_t left = len;
  auto last_byte = SteadyClock::now();
  bool ok = true;
  while (ok && left > 0) {
    if (!buffered->empty()) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buffered->size()));
      if (::write(fd, buffered->data(), n) != static_cast<ssize_t>(n)) {
        *error = "cannot write " + *path + ": " + std::strerror(errno);
        ok = false;
        break;
      }
      buffered->erase(0, n);
      left -= n;
      last_byte = SteadyClock::now();
      continue;
    }
    if (!StillFollowing()) {
      error->clear();
      ok = false;
    } else if (!client.ReadSome(kPollMs, buffered, error)) {
      ok = false;
    } else if (buffered->empty() &&
               SteadyClock::now() - last_byte > std::chrono::milliseconds(kSilenceMs)) {
      *error = "the RDB transfer from upstream stalled";
      ok = false;
    }
  }
  ::close(fd);
  if (!ok) ::unlink(path->c_str());
  return ok;
}

bool ReplicaFollower::LoadRdb(const std::string& path, std::string* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = size > 0 ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  ::close(fd);
  if (size > 0 && map == MAP_FAILED) {
    *error = "cannot map " + path + ": " + std::strerror(errno);
    return false;
  }
  storage::rdb::FileCommands source(std::string_view(static_cast<const char*>(map), size));
  // The old copy goes first: a key upstream no longer has must not survive the resync.
  std::vector<storage::rdb::FileCommand> chunk;
  chunk.push_back(storage::rdb::FileCommand{0, {"FLUSHALL"}});
  size_t chunk_bytes = 0;
  bool ok = true;
  storage::rdb::FileCommand cmd;
  for (;;) {
    const bool more = source.Next(&cmd);
    if (more) {
      for (const auto& a : cmd.argv) chunk_bytes += a.size();
      chunk.push_back(std::move(cmd));
    }
    if (!chunk.empty() &&
        (!more || chunk.size() >= kLoadChunkCommands || chunk_bytes >= kLoadChunkBytes)) {
      if (!Apply(chunk)) {
        error->clear();  // the failover state changed mid-load
        ok = false;
        break;
      }
      chunk.clear();
      chunk_bytes = 0;
    }
    if (!more) break;
  }
  if (ok && !source.error().empty()) {
    *error = source.error();
    ok = false;
  }
  {
    std::lock_guard lock(mu_);
    snapshot_.keys_loaded = source.keys();
  }
  if (map != nullptr) ::munmap(map, size);
  return ok;
}

bool ReplicaFollower::Stream(BlockingClient& client, std::string buffered, std::string* error) {
  resp::RequestParser parser;
  resp::Command cmd;
  std::vector<storage::rdb::FileCommand> pending;
  size_t in_transaction = 0;  // commands of an open MULTI, held until its EXEC
  int db = 0;
  auto last_ack = SteadyClock::now();
  auto last_byte = last_ack;
  std::string request;
  const auto send_ack = [&] {
    request.clear();
    resp::AppendCommand(&request, {"REPLCONF", "ACK", std::to_string(offset_)});
    last_ack = SteadyClock::now();
    return client.Send(request, config_.upstream.request_timeout_ms, error);
  };
  while (StillFollowing()) {
    size_t consumed = 0;
    for (;;) {
      const resp::ParseStatus st = parser.Parse(std::string_view(buffered).substr(consumed), &cmd);
      if (st == resp::ParseStatus::kNeedMore) break;
      if (st == resp::ParseStatus::kError) {
        *error = "bad replication stream from upstream: " + parser.error();
        return false;
      }
      consumed += cmd.raw_len;
      offset_ += cmd.raw_len;
      if (cmd.argv.empty()) continue;
      const std::string name = resp::AsciiLower(cmd.argv[0]);
      if (name == "ping") continue;
      if (name == "replconf") {
        if (cmd.argv.size() >= 2 && resp::AsciiLower(cmd.argv[1]) == "getack" && !send_ack())
          return false;
        continue;
      }
      if (name == "select" && cmd.argv.size() == 2) {
        uint64_t n = 0;
        if (ParseUint(cmd.argv[1], &n) && n < 16) db = static_cast<int>(n);
        continue;
      }
      if (name == "multi") {
        in_transaction = 1;
        continue;
      }
      if (name == "exec") {
        in_transaction = 0;
        continue;
      }
      pending.push_back(storage::rdb::FileCommand{db, {cmd.argv.begin(), cmd.argv.end()}});
      if (in_transaction) ++in_transaction;
    }
    buffered.erase(0, consumed);
    // A transaction applies whole, as upstream ran it.
    if (!pending.empty() && in_transaction == 0) {
      if (!Apply(pending)) return true;
      pending.clear();
      SetState("streaming");
    } else if (consumed > 0 && pending.empty()) {
      // Only PINGs and REPLCONFs: nothing to apply, but the offset moved (status shows it).
      std::lock_guard lock(mu_);
      snapshot_.offset = offset_;
    }
    if (SteadyClock::now() - last_ack >= kAckEvery && !send_ack()) return false;
    const size_t before = buffered.size();
    if (!client.ReadSome(kPollMs, &buffered, error)) return false;
    if (buffered.size() != before) {
      last_byte = SteadyClock::now();
    } else if (SteadyClock::now() - last_byte > std::chrono::milliseconds(kSilenceMs)) {
      *error = "no data from upstream for " + std::to_string(kSilenceMs / 1000) + " s";
      return false;
    }
  }
  return true;
}

bool ReplicaFollower::Apply(std::vector<storage::rdb::FileCommand>& commands) {
  return store_.Call([&](storage::LocalStore& store) {
    // On the store thread: a local command of the outage may already have run; then upstream's
    // late writes stay upstream's (the replay goes on top of them there).
    if (!StillFollowing()) return false;
    std::vector<std::string_view> views;
    std::string reply;
    store.BeginGroup();
    for (storage::rdb::FileCommand& c : commands) {
      views.assign(c.argv.begin(), c.argv.end());
      session_->db = c.db;
      session_->protocol = 2;
      reply.clear();
      store.Execute(*session_, views, &reply, /*journal=*/false);
      if (reply.starts_with("-")) {
        const uint64_t n = apply_errors_.fetch_add(1, std::memory_order_relaxed) + 1;
        // Every such command leaves the copy behind upstream: loud at first, then sampled.
        if (n <= 10 || n % 1000 == 0) {
          spdlog::warn("warm replica: the local store refused upstream's {} ({} so far): {}",
                       c.argv[0], n, reply.substr(1, reply.find('\r') - 1));
        }
      }
    }
    if (storage::Status st = store.EndGroup(); !st.ok()) {
      apply_errors_.fetch_add(commands.size(), std::memory_order_relaxed);
      spdlog::warn("warm replica: committing upstream's writes locally: {}", st.ToString());
    }
    applied_.fetch_add(commands.size(), std::memory_order_relaxed);
    return true;
  });
}

}  // namespace respite::proxy
