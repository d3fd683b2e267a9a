#include "proxy/store_executor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <limits>
#include <memory>
#include <thread>

#include "proxy/client/client_session.h"
#include "proxy/client/script_busy.h"
#include "proxy/io_thread.h"
#include "resp/command_encoder.h"
#include "resp/command_table.h"
#include "resp/reply_writer.h"
#include "storage/blocking.h"
#include "storage/clock.h"
#include "storage/engine.h"
#include "storage/journal.h"
#include "storage/local_store.h"
#include "storage/scripting/script_runner.h"

namespace respite::proxy {

namespace asio = boost::asio;

namespace {

constexpr auto kTick = std::chrono::milliseconds(100);
// Per active-expiry pass (every tick): keys whose expiry is due, checked in expiry order, and
// keys walked in key order (which also finds keys written before expiry hints existed).
constexpr size_t kExpireHintBudget = 500;
constexpr size_t kExpireWalkBudget = 200;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// MULTI/EXEC/DISCARD/WATCH/UNWATCH and blocking commands wait for the store even while a script
// is busy: answering them out of turn would leave the store's view of the client behind.
bool InTransactionOrBlocking(const StoreExecutor::Request& r) {
  const resp::CommandSpec* spec = resp::CommandTable::Instance().Find(r.argv[0]);
  if (spec == nullptr) return false;
  const std::string_view name = spec->name;
  return spec->Has(resp::kCmdBlocking) || name == "multi" || name == "exec" || name == "discard" ||
         name == "watch" || name == "unwatch";
}

// Scripts (and EXEC, which may run queued ones) can run until SCRIPT KILL: the replies of a batch
// in flight must not wait behind them (their clients may be the ones that would send the kill).
bool MayRunLong(const StoreExecutor::Request& r) {
  if (r.argv.empty() || r.task || r.forget || r.unblock) return false;
  const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(r.argv[0][0])));
  if (c != 'e' && c != 'f') return false;  // EVAL*, EXEC, FCALL*
  const resp::CommandSpec* spec = resp::CommandTable::Instance().Find(r.argv[0]);
  return spec != nullptr && (spec->Has(resp::kCmdRunsScript) || spec->name == "exec");
}

bool InTransaction(const StoreExecutor::Request& r) {
  const resp::CommandSpec* spec = resp::CommandTable::Instance().Find(r.argv[0]);
  return spec != nullptr &&
         (spec->name == "multi" || spec->name == "exec" || spec->name == "discard");
}

// The timeout argument of a blocking command, in ms (0 = forever). The command already ran once,
// so the store has validated it, with this same parser (Redis' rules: "+1", "1e3", "0x10").
int64_t BlockTimeoutMs(const PackedArgv& argv) {
  const std::string name = Lower(argv[0]);
  const std::string_view arg = (name == "blmpop" || name == "bzmpop") ? argv[1] : argv.back();
  int64_t ms = 0;
  std::string_view error;
  return storage::ParseBlockTimeoutMs(arg, &ms, &error) ? ms : 0;
}

// now + timeout without overflowing: a timeout past the end of int64 milliseconds waits forever
// (Redis 7.0's own sum wraps and times the client out at once; 7.2 refuses it).
int64_t DeadlineMs(int64_t now, int64_t timeout) {
  return timeout > std::numeric_limits<int64_t>::max() - now ? std::numeric_limits<int64_t>::max()
                                                             : now + timeout;
}

// Rewrites the timeout argument of a blocking command handed back upstream to what is left of it.
void SetRemainingTimeout(std::vector<std::string>* argv, int64_t remaining_ms) {
  const std::string name = Lower((*argv)[0]);
  if (name == "xread" || name == "xreadgroup") {
    for (size_t i = 1; i + 1 < argv->size(); ++i) {
      if (Lower((*argv)[i]) == "streams") break;
      if (Lower((*argv)[i]) == "block") (*argv)[i + 1] = std::to_string(remaining_ms);
    }
    return;
  }
  // In seconds: first for BLMPOP and BZMPOP, last for the others.
  std::string& timeout = (name == "blmpop" || name == "bzmpop") ? (*argv)[1] : argv->back();
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(remaining_ms) / 1000);
  timeout = seconds;
}

}  // namespace

StoreExecutor::StoreExecutor(std::unique_ptr<storage::LocalStore> store,
                             const storage::Clock* clock, bool fsync_everysec)
    : store_(std::move(store)),
      clock_(clock),
      fsync_everysec_(fsync_everysec),
      script_control_(&store_->scripts().control()) {
  script_control_->while_busy = [this] { AnswerQueuedWhileBusy(); };
  thread_ = std::thread([this] { Loop(); });
}

StoreExecutor::~StoreExecutor() { Stop(); }

void StoreExecutor::Submit(Request request) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(request));
    wake = idle_;
    idle_ = false;
  }
  if (wake) cv_.notify_one();
}

void StoreExecutor::SubmitBatch(std::vector<Request>& requests) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
      queue_.swap(requests);
    } else {
      for (Request& r : requests) queue_.push_back(std::move(r));
    }
    wake = idle_;
    idle_ = false;
  }
  requests.clear();
  if (wake) cv_.notify_one();
}

void StoreExecutor::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void StoreExecutor::Loop() {
  storage::Engine::PrepareThread();
  PublishStats(true);
  std::vector<Request> batch;
  auto last_tick = std::chrono::steady_clock::now();
  auto last_sync = last_tick;
  for (;;) {
    bool stop;
    {
      std::unique_lock lock(mu_);
      if (queue_.empty() && !stopping_ && !has_in_flight_) {
        // Until the next tick, or sooner when a parked client's timeout falls before it.
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kTick);
        if (next_deadline_ms_ != 0) {
          wait = std::clamp(std::chrono::milliseconds(next_deadline_ms_ - clock_->NowMs()),
                            std::chrono::milliseconds(0), wait);
        }
        idle_ = true;
        cv_.wait_for(lock, wait, [this] { return !idle_ || stopping_; });
        idle_ = false;
      }
      batch.swap(queue_);
      stop = stopping_;
    }
    if (!batch.empty()) {
      RunBatch(batch);
      PublishStats(false);
    }
    batch.clear();
    // Replies wait for their group's write: with nothing more to execute meanwhile, wait for it.
    if (has_in_flight_ && (stop || !MoreQueued())) (void)SettleInFlight();
    // Timeouts are answered when due (Redis: to the millisecond), not at the next tick.
    if (next_deadline_ms_ != 0 && clock_->NowMs() >= next_deadline_ms_) {
      ExpireParked(clock_->NowMs());
    }
    Deliver();

    const auto now = std::chrono::steady_clock::now();
    if (now - last_tick >= kTick) {
      last_tick = now;
      (void)SettleInFlight();  // expiry commits in place
      ExpireParked(clock_->NowMs());
      if (store_->ExpireCycle(kExpireHintBudget, kExpireWalkBudget) > 0) WakeParked(false);
      Deliver();
      PublishStats(true);
    }
    if (fsync_everysec_ && now - last_sync >= std::chrono::seconds(1)) {
      last_sync = now;
      if (storage::Status s = store_->SyncWal(); !s.ok()) {
        spdlog::error("local store: WAL sync failed: {}", s.ToString());
      }
    }
    if (stop) break;
  }
  (void)SettleInFlight();
  for (Parked& p : parked_) Complete(p.request, {});
  Deliver();
  parked_.clear();
}

bool StoreExecutor::ReserveMirror(uint64_t bytes) {
  if (mirror_bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes <= kMaxMirrorBytes) {
    return true;
  }
  mirror_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  mirrors_dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool StoreExecutor::TryRun(Request& request, std::string* reply) {
  if (request.mirror_bytes != 0) {  // out of the queue: no longer waiting
    mirror_bytes_.fetch_sub(request.mirror_bytes, std::memory_order_relaxed);
    request.mirror_bytes = 0;
  }
  argv_views_.assign(request.argv.begin(), request.argv.end());
  request.session->db = request.db;
  request.session->protocol = request.protocol;
  store_->Execute(*request.session, argv_views_, reply, /*journal=*/!request.mirror);
  if (!store_->last_would_block()) return true;
  // Parked as the store says: XREAD BLOCK parks with "$" resolved and its own timeout unit.
  if (!store_->last_block_argv().empty()) {
    request.argv.assign(store_->last_block_argv().begin(), store_->last_block_argv().end());
  }
  if (store_->last_block_timeout_ms() >= 0) {
    request.block_timeout_ms = store_->last_block_timeout_ms();
  }
  return false;
}

void StoreExecutor::ForgetSession(const std::shared_ptr<storage::LocalSession>& session) {
  store_->ForgetSession(*session);
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (it->request.session == session) {
      Complete(it->request, {});
      it = parked_.erase(it);
    } else {
      ++it;
    }
  }
  store_->EnableModifiedTracking(!parked_.empty());
}

void StoreExecutor::Unblock(Request& request) {
  for (auto it = parked_.begin(); it != parked_.end(); ++it) {
    if (it->request.session != request.unblock) continue;
    std::string reply;
    if (request.unblock_with_error) {
      resp::ReplyWriter(&reply).Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else {
      storage::LocalStore::WriteBlockTimeout(Lower(it->request.argv[0]),
                                             it->request.session->protocol, &reply);
    }
    Complete(it->request, std::move(reply));
    parked_.erase(it);
    store_->EnableModifiedTracking(!parked_.empty());
    Complete(request, ":1\r\n");
    return;
  }
  Complete(request, ":0\r\n");
}

void StoreExecutor::RunBatch(std::vector<Request>& all) {
  // Tasks and forgets run alone, in queue order; the commands between two of them form one group.
  const auto alone = [](const Request& r) { return r.task || r.forget || r.unblock; };
  size_t begin = 0;
  while (begin < all.size()) {
    // What runs alone sees the store as committed, and its replies follow those of the groups
    // before it.
    if (alone(all[begin])) (void)SettleInFlight();
    if (all[begin].unblock) {
      Unblock(all[begin]);
      ++begin;
      continue;
    }
    if (all[begin].forget) {
      ForgetSession(all[begin].session);
      ++begin;
      continue;
    }
    if (all[begin].task) {
      all[begin].task(*store_);
      ++begin;
      continue;
    }
    size_t end = begin;
    while (end < all.size() && !alone(all[end])) ++end;
    RunGroup(std::span<Request>(all.data() + begin, end - begin));
    begin = end;
  }
}

void StoreExecutor::RunGroup(std::span<Request> group) {
  for (size_t begin = 0; begin < group.size(); begin += kChunk) {
    RunChunk(group.subspan(begin), std::min(kChunk, group.size() - begin));
  }
}

void StoreExecutor::RunChunk(std::span<Request> rest, size_t count) {
  std::span<Request> batch = rest.first(count);
  if (has_in_flight_ && std::any_of(batch.begin(), batch.end(), MayRunLong)) {
    (void)SettleInFlight();  // its replies go out before a script can hold the store
    Deliver();
  }
  std::vector<std::string> replies(batch.size());
  std::vector<bool> parked(batch.size(), false);
  store_->BeginGroup();
  running_group_ = rest;  // a busy script answers the requests of later chunks too
  group_posts_.clear();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].answered) continue;
    running_index_ = i;
    if (!TryRun(batch[i], &replies[i])) parked[i] = true;
  }
  running_group_ = {};
  if (has_in_flight_) {
    // The group before this one is done writing by now, or soon: its replies go first.
    if (storage::Status s = SettleInFlight(); !s.ok()) {
      // This group executed on top of the lost batch: none of it may stand either.
      store_->DropPending();
      (void)store_->EndGroup();
      FinishGroup(batch, replies, parked, s);
      return;
    }
  }
  const bool parks = std::find(parked.begin(), parked.end(), true) != parked.end();
  // Pipelined only while no client is parked (waking one stays in Redis' order) and more work
  // waits to execute meanwhile; otherwise the write is done here and the replies go at once.
  if (!parks && parked_.empty() && (rest.size() > count || MoreQueued())) {
    storage::Status s = store_->EndGroupAsync();
    if (s.ok() && store_->engine().commit_in_flight()) {
      in_flight_.requests.assign(std::make_move_iterator(batch.begin()),
                                 std::make_move_iterator(batch.end()));
      in_flight_.replies = std::move(replies);
      in_flight_.posts = std::move(group_posts_);
      group_posts_.clear();
      has_in_flight_ = true;
      return;
    }
    FinishGroup(batch, replies, parked, s);
    return;
  }
  storage::Status s = store_->EndGroup();
  FinishGroup(batch, replies, parked, s);
}

void StoreExecutor::FinishGroup(std::span<Request> batch, std::vector<std::string>& replies,
                                std::vector<bool>& parked, const storage::Status& s, bool wake) {
  size_t post = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    // What request i published goes just before its reply, or just after it where Redis
    // publishes after replying (replies wait for the group's commit).
    const size_t first_post = post;
    while (post < group_posts_.size() && group_posts_[post].index == i) ++post;
    const auto queue_posts = [&](bool after_reply) {
      for (size_t p = first_post; p < post; ++p) {
        if (group_posts_[p].after_reply != after_reply) continue;
        OutboxFor(group_posts_[p].io)
            .push_back({nullptr, 0, {}, false, std::move(group_posts_[p].fn)});
      }
    };
    queue_posts(/*after_reply=*/false);
    parked[i] = FinishInGroup(batch[i], parked[i], s, &replies[i]);
    queue_posts(/*after_reply=*/true);
  }
  group_posts_.clear();
  if (!wake) return;
  store_->EnableModifiedTracking(!parked_.empty());
  // A client parked by this batch may already be served by a later command of the same batch.
  WakeParked(/*force=*/std::find(parked.begin(), parked.end(), true) != parked.end());
}

bool StoreExecutor::MoreQueued() {
  std::lock_guard lock(mu_);
  return !queue_.empty();
}

storage::Status StoreExecutor::SettleInFlight() {
  if (!has_in_flight_) return storage::Status::Ok();
  storage::Status s = store_->WaitCommitted();
  has_in_flight_ = false;
  std::vector<bool> parked(in_flight_.requests.size(), false);
  // FinishGroup reads the posts from group_posts_, which may hold those of the group that just
  // executed on top: set aside meanwhile. No client is parked (see RunGroup), so none is woken:
  // the group on top has not been committed yet.
  std::vector<GroupPost> executing = std::move(group_posts_);
  group_posts_ = std::move(in_flight_.posts);
  FinishGroup(in_flight_.requests, in_flight_.replies, parked, s, /*wake=*/false);
  group_posts_ = std::move(executing);
  in_flight_.requests.clear();
  in_flight_.replies.clear();
  in_flight_.posts.clear();
  return s;
}

bool StoreExecutor::FinishInGroup(Request& request, bool parked, const storage::Status& s,
                                  std::string* reply) {
  if (request.answered) return false;
  if (parked && request.mirror) return false;  // a mirrored pop found nothing: done
  if (parked) {
    Parked p{std::move(request), {}};
    const int64_t timeout = p.request.block_timeout_ms >= 0 ? p.request.block_timeout_ms
                                                            : BlockTimeoutMs(p.request.argv);
    p.request.block_deadline_ms =
        timeout == 0
            ? 0
            : DeadlineMs(clock_->NowMs(), std::max<int64_t>(1, timeout - p.request.waited_ms));
    const int64_t deadline = p.request.block_deadline_ms;
    if (deadline != 0 && (next_deadline_ms_ == 0 || deadline < next_deadline_ms_)) {
      next_deadline_ms_ = deadline;
    }
    parked_.push_back(std::move(p));
    return true;
  }
  if (!s.ok()) {
    // Nothing of this batch reached the disk: no reply may claim otherwise.
    *reply = "-ERR local store: " + s.ToString() + "\r\n";
  }
  Complete(request, std::move(*reply));
  return false;
}

void StoreExecutor::AnswerQueuedWhileBusy() {
  // Under the queue's lock: the commands answered now are taken out, the others keep their
  // order. Transactions and blocking commands keep their place (their order matters to the
  // store's state for the client).
  std::vector<std::string_view> views;
  // The client running the script waits for it, as in Redis: its next commands run after it.
  const storage::LocalSession* runner = running_index_ < running_group_.size()
                                            ? running_group_[running_index_].session.get()
                                            : nullptr;
  // A client with a request kept for later has its next ones kept too: they run in its order.
  std::vector<const storage::LocalSession*> kept;
  const auto answer = [&](Request& r, std::string* reply) {
    const bool client = !r.task && !r.forget && !r.unblock && !r.mirror && !r.answered &&
                        r.session.get() != runner && r.client != nullptr && !r.argv.empty();
    if (!client) return false;
    if (std::find(kept.begin(), kept.end(), r.session.get()) == kept.end()) {
      views.assign(r.argv.begin(), r.argv.end());
      if (r.session->in_multi || InTransaction(r)) {
        if (AnswerTransactionWhileBusy(r, views, reply)) return true;
      } else if (!InTransactionOrBlocking(r) &&
                 BusyScriptReply(*script_control_, views, r.protocol, reply)) {
        return true;
      }
    }
    kept.push_back(r.session.get());
    return false;
  };
  size_t count = 0;
  // Behind the script in its own group...
  for (size_t i = running_index_ + 1; i < running_group_.size(); ++i) {
    std::string reply;
    if (answer(running_group_[i], &reply)) {
      Complete(running_group_[i], std::move(reply));
      running_group_[i].answered = true;
      ++count;
    }
  }
  // ...and queued since.
  std::vector<std::pair<Request, std::string>> answered;
  {
    std::lock_guard lock(mu_);
    std::vector<Request> kept;
    for (Request& r : queue_) {
      std::string reply;
      if (answer(r, &reply)) {
        answered.emplace_back(std::move(r), std::move(reply));
      } else {
        kept.push_back(std::move(r));
      }
    }
    queue_.swap(kept);
  }
  for (auto& [request, reply] : answered) Complete(request, std::move(reply));
  if (count > 0 || !answered.empty()) Deliver();
}

bool StoreExecutor::AnswerTransactionWhileBusy(Request& r, std::span<const std::string_view> argv,
                                               std::string* reply) {
  // As Redis 7.0 during a busy script: MULTI and DISCARD run (allow-busy), a command sent for the
  // transaction is refused -BUSY and fails it, EXEC is refused with EXECABORT and ends it.
  const resp::CommandSpec* spec = resp::CommandTable::Instance().Find(argv[0]);
  if (spec == nullptr || !spec->ArityOk(argv.size())) return false;  // answered in turn
  storage::LocalSession& session = *r.session;
  const std::string_view name = spec->name;
  resp::ReplyWriter w(reply, r.protocol);
  if (!session.in_multi) {
    if (name != "multi") return false;
    session.in_multi = true;
    session.multi_error = false;
    session.queued.clear();
    w.Ok();
    return true;
  }
  if (name == "multi" || name == "watch") return false;  // their errors, in turn
  if (name == "discard") {
    store_->ForgetSession(session);
    session.multi_error = false;
    w.Ok();
    return true;
  }
  std::string busy;
  if (!BusyScriptReply(*script_control_, argv, r.protocol, &busy)) return false;
  if (name == "exec") {
    store_->ForgetSession(session);
    session.multi_error = false;
    // "-BUSY ...\r\n" -> "EXECABORT Transaction discarded because of: BUSY ..."
    w.Error("EXECABORT Transaction discarded because of: " + busy.substr(1, busy.size() - 3));
    return true;
  }
  session.multi_error = true;
  *reply = std::move(busy);
  return true;
}

void StoreExecutor::Complete(Request& request, std::string reply, bool reissue) {
  if (request.client == nullptr) {
    if (request.done) request.done(std::move(reply));
    return;
  }
  OutboxFor(request.io).push_back({request.client, request.tag, std::move(reply), reissue, {}});
}

void StoreExecutor::PostInOrder(IoThread* io, std::function<void()> fn, bool after_reply) {
  if (!running_group_.empty()) {
    group_posts_.push_back({running_index_, io, std::move(fn), after_reply});
  } else {
    OutboxFor(io).push_back({nullptr, 0, {}, false, std::move(fn)});
  }
}

std::vector<StoreExecutor::Completed>& StoreExecutor::OutboxFor(IoThread* io) {
  for (auto& [to, list] : outbox_) {
    if (to == io) return list;
  }
  outbox_.push_back({io, {}});
  return outbox_.back().second;
}

void StoreExecutor::Deliver() {
  // A message may go to another io thread than the reply that follows it in the store's order:
  // then no list runs before every io thread has its own, so no client sees a reply (and, say,
  // pings a subscriber) before the messages published ahead of it are queued where they go.
  size_t lists = 0;
  bool messages = false;
  for (const auto& [io, list] : outbox_) {
    lists += list.empty() ? 0 : 1;
    for (const Completed& c : list) messages = messages || static_cast<bool>(c.posted);
  }
  std::shared_ptr<std::atomic<bool>> gate;
  if (messages && lists > 1) gate = std::make_shared<std::atomic<bool>>(false);
  for (auto& [io, list] : outbox_) {
    if (list.empty()) continue;
    // One post per io thread for the whole batch.
    asio::post(io->context(), [io, gate, replies = std::move(list)]() mutable {
      while (gate && !gate->load(std::memory_order_acquire)) std::this_thread::yield();
      io->StampBatch();
      IoThread::DirectFlushScope direct(*io);
      for (Completed& c : replies) {
        if (c.posted) {
          c.posted();
          continue;
        }
        if (c.reissue) {
          c.client->ReissueUpstream(c.tag, c.reply);
        } else {
          c.client->OnStoreReply(c.tag, c.reply);
        }
        c.client->Release();
      }
    });
    list.clear();
  }
  if (gate) gate->store(true, std::memory_order_release);
}

void StoreExecutor::WakeParked(bool force) {
  modified_.clear();
  store_->TakeModified(&modified_);
  if (force) modified_.emplace_back();
  // Retry parked clients in arrival order while something changed; a served client's pop or push
  // can change what the next one finds.
  while (!modified_.empty() && !parked_.empty()) {
    modified_.clear();
    for (auto it = parked_.begin(); it != parked_.end();) {
      std::string reply;
      store_->BeginGroup();
      it->request.session->woken = true;
      const bool ran = TryRun(it->request, &reply);
      it->request.session->woken = false;
      storage::Status s = store_->EndGroup();
      if (!ran) {
        ++it;
        continue;
      }
      if (!s.ok()) reply = "-ERR local store: " + s.ToString() + "\r\n";
      Complete(it->request, std::move(reply));
      it = parked_.erase(it);
    }
    store_->TakeModified(&modified_);
  }
  store_->EnableModifiedTracking(!parked_.empty());
}

void StoreExecutor::ReleaseParkedClients() {
  Request request;
  request.task = [this](storage::LocalStore&) {
    const int64_t now = clock_->NowMs();
    for (Parked& p : parked_) {
      if (p.request.client == nullptr) continue;
      std::vector<std::string> argv = p.request.argv.ToStrings();
      const int64_t deadline = p.request.block_deadline_ms;
      if (deadline != 0 && deadline <= now) continue;  // its timeout reply comes below
      if (deadline != 0) SetRemainingTimeout(&argv, deadline - now);
      std::string command;
      resp::AppendCommandRange(&command, argv);
      Complete(p.request, std::move(command), /*reissue=*/true);
      p.request.client = nullptr;  // handed back: dropped below without a second reply
      p.request.done = [](std::string) {};
    }
    ExpireParked(std::numeric_limits<int64_t>::max(), /*all=*/true);
    Deliver();
  };
  Submit(std::move(request));
}

void StoreExecutor::PublishStats(bool with_size) {
  storage::Journal& journal = store_->journal();
  constexpr auto kRelaxed = std::memory_order_relaxed;
  stats_.journal_entries.store(journal.pending_entries(), kRelaxed);
  stats_.journal_bytes.store(journal.pending_bytes(), kRelaxed);
  stats_.dead_letters.store(journal.dead_letters(), kRelaxed);
  stats_.applied_through.store(journal.applied_through(), kRelaxed);
  stats_.parked_clients.store(parked_.size(), kRelaxed);
  // A reserve refusal ends when the disk has room again, whether or not a write asks.
  if (!store_->engine().write_error().empty()) (void)store_->engine().CheckSpace();
  const std::string& write_error = store_->engine().write_error();
  if (stats_.writes_refused.load(kRelaxed) != !write_error.empty()) {
    std::lock_guard lock(stats_.write_error_mu);
    stats_.write_error = write_error;
    stats_.writes_refused.store(!write_error.empty(), kRelaxed);
  }
  // These read RocksDB (an iterator, a size estimate): once a tick, not after every batch, or a
  // replay would pay for them thousands of times a second.
  if (!with_size) return;
  stats_.oldest_entry_wall_ms.store(journal.OldestWallMs(), kRelaxed);
  stats_.store_bytes.store(store_->engine().ApproximateSize(), kRelaxed);
}

void StoreExecutor::ExpireParked(int64_t now_ms, bool all) {
  next_deadline_ms_ = 0;
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (all || (it->request.block_deadline_ms != 0 && now_ms >= it->request.block_deadline_ms)) {
      std::string reply;
      storage::LocalStore::WriteBlockTimeout(Lower(it->request.argv[0]),
                                             it->request.session->protocol, &reply);
      Complete(it->request, std::move(reply));
      it = parked_.erase(it);
    } else {
      const int64_t deadline = it->request.block_deadline_ms;
      if (deadline != 0 && (next_deadline_ms_ == 0 || deadline < next_deadline_ms_)) {
        next_deadline_ms_ = deadline;
      }
      ++it;
    }
  }
  store_->EnableModifiedTracking(!parked_.empty());
}

}  // namespace respite::proxy
