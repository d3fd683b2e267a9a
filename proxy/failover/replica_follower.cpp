#include "proxy/failover/replica_follower.h"

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
#include <future>

#include "proxy/failover/failover.h"
#include "proxy/store_executor.h"
#include "proxy/upstream/blocking_client.h"
#include "proxy/upstream/sentinel_watcher.h"
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
// At a seal: upstream that died has closed the socket (its last bytes are there at once); one that
// went silent (a partition, a pause) sends nothing more. The tail read stops at a close, after
// kTailIdleMs without a byte, or after kTailReadMs; the gate waits at most kTailWaitMs for it
// (the stream may be in a 100 ms poll when the seal comes). Local commands wait that long.
constexpr auto kTailIdleMs = std::chrono::milliseconds(50);
constexpr auto kTailReadMs = std::chrono::milliseconds(200);
constexpr auto kTailWaitMs = std::chrono::milliseconds(500);

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

// The replication stream's commands, parsed from its bytes: what to apply (MULTI/EXEC kept
// whole, PING, REPLCONF and SELECT consumed) and the offset they move.
class StreamParser {
 public:
  // Parses every whole command `buffered` holds and erases it. False on bytes that are not RESP.
  bool Parse(std::string* buffered, uint64_t* offset, bool* getack, std::string* error) {
    size_t consumed = 0;
    bool ok = true;
    for (;;) {
      const resp::ParseStatus st =
          parser_.Parse(std::string_view(*buffered).substr(consumed), &cmd_);
      if (st == resp::ParseStatus::kNeedMore) break;
      if (st == resp::ParseStatus::kError) {
        *error = "bad replication stream from upstream: " + parser_.error();
        ok = false;
        break;
      }
      consumed += cmd_.raw_len;
      *offset += cmd_.raw_len;
      Take(getack);
    }
    buffered->erase(0, consumed);
    return ok;
  }
  // Every command parsed so far is whole: no MULTI waits for its EXEC.
  bool whole() const { return in_transaction_ == 0; }
  // The stream broke off inside a transaction (no EXEC came): as a Redis replica does, apply none
  // of it.
  void DropOpenTransaction() {
    if (in_transaction_ == 0) return;
    pending.resize(pending.size() - (in_transaction_ - 1));
    in_transaction_ = 0;
  }

  std::vector<storage::rdb::FileCommand> pending;

 private:
  void Take(bool* getack) {
    if (cmd_.argv.empty()) return;
    const std::string name = resp::AsciiLower(cmd_.argv[0]);
    if (name == "ping") return;
    if (name == "replconf") {
      if (cmd_.argv.size() >= 2 && resp::AsciiLower(cmd_.argv[1]) == "getack") *getack = true;
      return;
    }
    if (name == "select" && cmd_.argv.size() == 2) {
      uint64_t n = 0;
      if (ParseUint(cmd_.argv[1], &n) && n < 16) db_ = static_cast<int>(n);
      return;
    }
    if (name == "multi") {
      in_transaction_ = 1;
      return;
    }
    if (name == "exec") {
      in_transaction_ = 0;
      return;
    }
    pending.push_back(storage::rdb::FileCommand{db_, {cmd_.argv.begin(), cmd_.argv.end()}});
    if (in_transaction_) ++in_transaction_;
  }

  resp::RequestParser parser_;
  resp::Command cmd_;
  size_t in_transaction_ = 0;  // 1 + the commands of an open MULTI, held until its EXEC
  int db_ = 0;
};

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
    // The generation first: a transition between the two reads then shows as a changed one.
    generation_ = failover_.transitions();
    if (failover_.state() != Failover::State::kForward) {
      SetState("idle");
      SleepMs(kPollMs * 2);
      continue;
    }
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
  if (!client.Connect(CurrentUpstream(config_.upstream.parsed), config_.upstream.connect_timeout_ms,
                      error)) {
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
  {
    std::lock_guard lock(tail_mu_);
    streaming_ = true;
    streaming_generation_ = generation_;
  }
  StreamParser in;
  auto last_ack = SteadyClock::now();
  auto last_byte = last_ack;
  std::string request;
  const auto send_ack = [&] {
    request.clear();
    resp::AppendCommand(&request, {"REPLCONF", "ACK", std::to_string(offset_)});
    last_ack = SteadyClock::now();
    return client.Send(request, config_.upstream.request_timeout_ms, error);
  };
  bool ok = true;
  for (;;) {
    const bool following = StillFollowing();
    const uint64_t offset_before = offset_;
    bool getack = false;
    if (!in.Parse(&buffered, &offset_, &getack, error)) {
      ok = false;
      break;
    }
    if (!following) break;
    if (getack && !send_ack()) {
      ok = false;
      break;
    }
    // A transaction applies whole, as upstream ran it.
    if (!in.pending.empty() && in.whole()) {
      if (!Apply(in.pending)) break;  // sealed: they go to the gate with the rest
      in.pending.clear();
      SetState("streaming");
    } else if (offset_ != offset_before && in.pending.empty()) {
      // Only PINGs and REPLCONFs: nothing to apply, but the offset moved (status shows it).
      std::lock_guard lock(mu_);
      snapshot_.offset = offset_;
    }
    if (SteadyClock::now() - last_ack >= kAckEvery && !send_ack()) {
      ok = false;
      break;
    }
    const size_t before = buffered.size();
    if (!client.ReadSome(kPollMs, &buffered, error)) {
      ok = false;
      break;
    }
    if (buffered.size() != before) {
      last_byte = SteadyClock::now();
    } else if (SteadyClock::now() - last_byte > std::chrono::milliseconds(kSilenceMs)) {
      *error = "no data from upstream for " + std::to_string(kSilenceMs / 1000) + " s";
      ok = false;
      break;
    }
  }
  if (!stopping_) {
    if (ok) {  // sealed: what upstream still sends belongs to the tail
      ReadTail(client, &buffered);
      bool getack = false;
      std::string ignored;
      in.Parse(&buffered, &offset_, &getack, &ignored);  // what parses whole, up to a bad byte
    }
    in.DropOpenTransaction();
    // Whole commands not applied yet: now (the stream broke off, e.g. an ACK upstream did not
    // take, and nothing is sealed yet), or by the gate (Apply refuses them once sealed).
    if (!in.pending.empty() && Apply(in.pending)) in.pending.clear();
  }
  EndStream(std::move(in.pending));
  return ok;
}

void ReplicaFollower::ReadTail(BlockingClient& client, std::string* buffered) {
  const auto start = SteadyClock::now();
  auto last_byte = start;
  std::string ignored;
  for (auto now = start; now - start < kTailReadMs && now - last_byte < kTailIdleMs;
       now = SteadyClock::now()) {
    const size_t before = buffered->size();
    if (!client.ReadSome(10, buffered, &ignored)) return;  // closed: everything sent is here
    if (buffered->size() != before) last_byte = SteadyClock::now();
  }
}

void ReplicaFollower::EndStream(std::vector<storage::rdb::FileCommand> tail) {
  std::lock_guard lock(tail_mu_);
  streaming_ = false;
  if (generation_ >= sealed_below_) {
    // Not sealed: the stream ended by an error or Stop(), its whole commands applied.
  } else if (generation_ >= gated_below_) {
    tail_ = std::move(tail);
    tail_generation_ = generation_;
  } else if (!tail.empty()) {
    spdlog::warn(
        "warm replica: {} commands upstream sent before it went down came after local commands "
        "ran and were not applied",
        tail.size());
  }
  tail_cv_.notify_all();
}

void ReplicaFollower::Seal(uint64_t generation) {
  std::lock_guard lock(tail_mu_);
  sealed_below_ = std::max(sealed_below_, generation + 1);
  StoreExecutor::Request gate;
  gate.task = [this, generation](storage::LocalStore& store) { RunGate(store, generation); };
  store_.Submit(std::move(gate));
}

void ReplicaFollower::RunGate(storage::LocalStore& store, uint64_t generation) {
  std::vector<storage::rdb::FileCommand> tail;
  const auto start = SteadyClock::now();
  bool waited = false;
  {
    std::unique_lock lock(tail_mu_);
    const auto done = [&] { return !streaming_ || streaming_generation_ != generation; };
    waited = !done();
    tail_cv_.wait_for(lock, kTailWaitMs, done);
    gated_below_ = std::max(gated_below_, generation + 1);
    if (tail_generation_ == generation) tail.swap(tail_);
    tail_.clear();
  }
  if (!waited && tail.empty()) return;
  if (!tail.empty()) ApplyOnStore(store, tail);
  // The outage's local commands waited this long: the log says how long, and what it bought.
  const auto waited_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
  if (tail.empty()) {
    spdlog::info("warm replica: upstream sent nothing more (local commands waited {} ms)",
                 waited_ms);
  } else {
    spdlog::info(
        "warm replica: applied the last {} commands upstream sent before it went down (local "
        "commands waited {} ms for them)",
        tail.size(), waited_ms);
  }
}

bool ReplicaFollower::Apply(std::vector<storage::rdb::FileCommand>& commands) {
  std::promise<void> done;
  std::future<void> applied = done.get_future();
  {
    std::lock_guard lock(tail_mu_);
    if (stopping_ || generation_ < sealed_below_) return false;
    StoreExecutor::Request request;
    request.task = [&](storage::LocalStore& store) {
      ApplyOnStore(store, commands);
      done.set_value();
    };
    store_.Submit(std::move(request));
  }
  applied.get();
  return true;
}

void ReplicaFollower::ApplyOnStore(storage::LocalStore& store,
                                   std::vector<storage::rdb::FileCommand>& commands) {
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
}

}  // namespace respite::proxy
