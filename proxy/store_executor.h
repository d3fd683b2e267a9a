#pragma once
// The one thread that runs the local store. Client sessions on io threads submit commands; the
// executor runs them one at a time (each command, and each MULTI/EXEC, is atomic as in Redis),
// commits every batch of commands that arrived together as one write (one sync with fsync
// always: group commit), and posts the replies back to each session's io thread. While more
// commands wait, a group's write goes to the engine's commit thread and the next group executes
// meanwhile (pipelined commit); a group's replies are posted only once its write returned. It also
// parks clients on blocking commands (BLPOP, ...) until a key they wait on changes or they time
// out, runs active expiry, and syncs the WAL once a second (fsync everysec). Thread: Submit/Forget
// from any thread; everything else on the executor thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "proxy/packed_argv.h"
#include "storage/local_session.h"
#include "storage/status.h"

namespace respite::storage {
class LocalStore;
class Clock;
struct ScriptControl;
}  // namespace respite::storage

namespace respite::proxy {

class ClientSession;
class IoThread;

class StoreExecutor {
 public:
  // Called on the executor thread with each reply; it must hand the reply to the session's own
  // thread (post) and not block.
  using ReplyFn = std::function<void(std::string reply)>;

  struct Request {
    std::shared_ptr<storage::LocalSession> session;
    PackedArgv argv;
    int db = 0;  // the client's selected db and protocol when it sent the command
    int protocol = 2;
    int64_t block_deadline_ms = 0;  // blocking commands: absolute deadline (0 = wait forever)
    int64_t block_timeout_ms = -1;  // parked: the timeout the store read (-1: from argv)
    // A blocking command re-issued here after waiting upstream: that time counts against its
    // timeout (DESIGN.md: re-issued with the remaining timeout).
    int64_t waited_ms = 0;
    // Where the reply goes: a client session (reference held by the caller) on its io thread,
    // delivered with the other replies of the same batch in one post; or `done`.
    ClientSession* client = nullptr;
    IoThread* io = nullptr;
    uint64_t tag = 0;
    ReplyFn done;
    // A write upstream already applied, mirrored here (fallback.warm: writes): not journaled,
    // never parked, no reply. mirror_bytes: what ReserveMirror counted for it.
    bool mirror = false;
    uint64_t mirror_bytes = 0;
    // Instead of a command: work on the store, run in queue order (replay, cutover).
    std::function<void(storage::LocalStore&)> task;
    // Instead of a command: `session` is going away; drop its watches and any parked blocking
    // command (completed with an empty reply, so the caller can release what it holds). Queued
    // after the session's last command, so none of them can run after it.
    bool forget = false;
    // Instead of a command: CLIENT UNBLOCK of the client whose store session this is. Its parked
    // blocking command is answered as if it timed out (or with -UNBLOCKED when
    // `unblock_with_error`); this request's reply is :1, or :0 when nothing of it was parked.
    std::shared_ptr<storage::LocalSession> unblock;
    bool unblock_with_error = false;
    // Set by the executor: answered -BUSY while a script ran before its turn (do not run it).
    bool answered = false;
  };

  // The most commands executed into one write batch (see RunGroup).
  static constexpr size_t kChunk = 128;

  // Clients parked on a blocking command (store thread only: INFO's blocked_clients).
  size_t parked_count() const { return parked_.size(); }

  StoreExecutor(std::unique_ptr<storage::LocalStore> store, const storage::Clock* clock,
                bool fsync_everysec);
  ~StoreExecutor();

  // Queues a command. Thread-safe.
  void Submit(Request request);
  // Queues several, in order, under one lock; leaves `requests` empty. Thread-safe.
  // Mirrored writes (fallback.warm: writes) wait in the queue as bytes of their arguments; past
  // kMaxMirrorBytes queued, a mirror is dropped (counted) rather than queued: the warm copy is
  // best-effort, the store thread must not fall ever further behind the forwarding path.
  static constexpr uint64_t kMaxMirrorBytes = 64ull << 20;
  bool ReserveMirror(uint64_t bytes);
  uint64_t mirrors_dropped() const { return mirrors_dropped_.load(std::memory_order_relaxed); }
  void SubmitBatch(std::vector<Request>& requests);

  // Executor thread only: runs `fn` on `io`'s thread in order with the replies, after those of
  // the commands executed before this call and before those of the commands executed after it
  // (a published message thus meets its subscriber's replies in Redis' order). `after_reply`:
  // after the reply of the command running now, not before it.
  void PostInOrder(IoThread* io, std::function<void()> fn, bool after_reply = false);

  // Runs `f` on the executor thread after everything queued before it, and returns its result.
  // Blocks the caller: only for background threads (replayer, failover), never io threads.
  template <typename F>
  auto Call(F f) -> decltype(f(std::declval<storage::LocalStore&>()));

  // At the cutover to forwarding, after which no local write would wake them: hands every client
  // parked on a blocking command back for re-issue upstream with what is left of its timeout
  // (ClientSession::ReissueUpstream with the command to send), or its timeout reply when nothing
  // is left. Thread-safe.
  void ReleaseParkedClients();

  // Stops the thread after the queued commands ran.
  void Stop();

  // Journal and store figures as of the last batch (size: the last tick), readable from any
  // thread without waiting for the executor (status, metrics, INFO).
  struct Stats {
    std::atomic<uint64_t> journal_entries{0};
    std::atomic<uint64_t> journal_bytes{0};
    std::atomic<int64_t> oldest_entry_wall_ms{0};  // 0 when the journal is empty
    std::atomic<uint64_t> dead_letters{0};
    std::atomic<uint64_t> applied_through{0};
    std::atomic<uint64_t> store_bytes{0};
    std::atomic<uint64_t> parked_clients{0};
    std::atomic<bool> writes_refused{false};  // the store's disk failed a write (Engine)
    mutable std::mutex write_error_mu;
    std::string write_error;  // why, under write_error_mu
  };
  const Stats& stats() const { return stats_; }

  // The script running on the store, for io threads: -BUSY past busy-reply-threshold, and
  // SCRIPT KILL without waiting behind it. Thread-safe (atomics).
  storage::ScriptControl& script_control() { return *script_control_; }

 private:
  struct Parked {
    Request request;
    std::vector<std::string> keys;  // MetaKey bytes it waits on
  };

  void Loop();
  void RunBatch(std::vector<Request>& batch);
  // Runs the commands between two requests that run alone, in chunks of at most kChunk: while a
  // chunk's write is in flight the next one executes, and the clients of the first get their
  // replies (and send more) while the rest of the group is still executing.
  void RunGroup(std::span<Request> group);
  // One chunk: the first `count` requests of `rest`.
  void RunChunk(std::span<Request> rest, size_t count);
  // After the group's commit (status `s`): parks the requests that would block, queues the
  // others' replies with what they published, and wakes parked clients.
  void FinishGroup(std::span<Request> batch, std::vector<std::string>& replies,
                   std::vector<bool>& parked, const storage::Status& s, bool wake = true);
  // Parks `request` when it would block (returns true), or queues its reply.
  bool FinishInGroup(Request& request, bool parked, const storage::Status& s, std::string* reply);
  // Queued commands wait (checked before a group's write is handed to the commit thread).
  bool MoreQueued();
  // Waits for the group whose write is in flight, if any, and queues its replies (errors when
  // the write failed). Returns the write's status.
  storage::Status SettleInFlight();
  bool TryRun(Request& request, std::string* reply);
  void ForgetSession(const std::shared_ptr<storage::LocalSession>& session);
  void Unblock(Request& request);
  // Retries parked clients when keys changed (or always, with `force`).
  void WakeParked(bool force);
  // Hands a reply to its request's destination (batched per io thread until Deliver()).
  void Complete(Request& request, std::string reply, bool reissue = false);
  void Deliver();
  void ExpireParked(int64_t now_ms, bool all = false);
  void PublishStats(bool with_size);
  // From inside a script past busy-reply-threshold (store thread): answers the client commands
  // queued behind it -BUSY, except those Redis lets through (allow-busy) and those whose order
  // matters to the store (transactions, blocking commands).
  void AnswerQueuedWhileBusy();
  // Part of it: a transaction's commands (MULTI, what it queues, EXEC, DISCARD). True when it
  // answered `r` in *reply.
  bool AnswerTransactionWhileBusy(Request& r, std::span<const std::string_view> argv,
                                  std::string* reply);

  std::unique_ptr<storage::LocalStore> store_;
  const storage::Clock* clock_;
  bool fsync_everysec_;
  std::atomic<uint64_t> mirror_bytes_{0};
  std::atomic<uint64_t> mirrors_dropped_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Request> queue_;
  bool idle_ = false;  // the executor waits on cv_
  bool stopping_ = false;
  std::deque<Parked> parked_;
  // The earliest timeout among parked clients (Unix ms; 0: none). Early when that client left
  // otherwise: ExpireParked then finds nothing due and recomputes it.
  int64_t next_deadline_ms_ = 0;
  std::vector<std::string> modified_;
  struct Completed {
    ClientSession* client;
    uint64_t tag;
    std::string reply;  // or, with `reissue`, the command to send upstream
    bool reissue = false;
    std::function<void()> posted;  // instead of a reply: PostInOrder's function
  };
  std::vector<std::pair<IoThread*, std::vector<Completed>>> outbox_;
  std::vector<Completed>& OutboxFor(IoThread* io);
  std::vector<std::string_view> argv_views_;  // TryRun's argv, reused
  // The group RunGroup is running and the index of the request running now: a busy script's
  // drain also answers the requests of its own group that wait behind it.
  std::span<Request> running_group_;
  size_t running_index_ = 0;
  // PostInOrder's functions from the running group, by the index of the request that posted.
  struct GroupPost {
    size_t index;
    IoThread* io;
    std::function<void()> fn;
    bool after_reply;
  };
  std::vector<GroupPost> group_posts_;
  // The group whose write the commit thread is doing (pipelined commit): its replies and posts
  // wait here until the write returned. It parked no client (such groups commit in place).
  struct InFlight {
    std::vector<Request> requests;
    std::vector<std::string> replies;
    std::vector<GroupPost> posts;
  };
  InFlight in_flight_;
  bool has_in_flight_ = false;
  Stats stats_;
  storage::ScriptControl* script_control_;
  std::thread thread_;
};

template <typename F>
auto StoreExecutor::Call(F f) -> decltype(f(std::declval<storage::LocalStore&>())) {
  using R = decltype(f(std::declval<storage::LocalStore&>()));
  std::promise<R> promise;
  std::future<R> future = promise.get_future();
  Request request;
  request.task = [&](storage::LocalStore& store) {
    if constexpr (std::is_void_v<R>) {
      f(store);
      promise.set_value();
    } else {
      promise.set_value(f(store));
    }
  };
  Submit(std::move(request));
  return future.get();
}

}  // namespace respite::proxy
