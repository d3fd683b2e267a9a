#include "proxy/client/client_session.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>

#include "proxy/admin/admin_commands.h"
#include "proxy/admin/status_report.h"
#include "proxy/client/script_busy.h"
#include "proxy/client/session_text.h"
#include "proxy/cluster/shard_failover.h"
#include "proxy/errors.h"
#include "proxy/failover/failover.h"
#include "proxy/io_thread.h"
#include "proxy/loopback.h"
#include "proxy/server.h"
#include "proxy/store_executor.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/ascii.h"
#include "resp/command_encoder.h"
#include "resp/reply_writer.h"
#include "storage/scripting/script_runner.h"
#include "tls/server_connection.h"

namespace respite::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using resp::Command;
using namespace session_text;

namespace {

// Whether a command forwarded on a dedicated link may leave the connection in a state respite
// does not track (UpstreamLink::ConnState): it is then RESET before it is pooled.
bool ChangesConnectionState(const Route& route) {
  if (route.spec == nullptr || route.local == LocalCommand::kSelect) return true;
  static constexpr std::string_view kNames[] = {"hello",    "client",    "auth",  "reset",
                                                "readonly", "readwrite", "asking"};
  return std::find(std::begin(kNames), std::end(kNames), route.spec->name) != std::end(kNames);
}

// Stop reading a client's requests while this much of its output waits to be written, or this
// many of its replies are outstanding: a client that pipelines without reading cannot grow
// respite's memory without bound.
constexpr size_t kBackpressureBytes = 4 * 1024 * 1024;
constexpr uint64_t kBackpressureReplies = 64 * 1024;

// Marks requests in flight on the local store (the barrier compares targets).
const char kStoreTarget = 0;

}  // namespace

void ClientSession::Start(IoThread& io, tcp::socket socket, uint64_t id,
                          std::shared_ptr<tls::ServerContext> tls) {
  auto* session = new ClientSession(io, std::move(socket), id, std::move(tls));
  io.AddSession(session);
  asio::co_spawn(io.context(), session->Run(), asio::detached);
}

ClientSession::ClientSession(IoThread& io, tcp::socket socket, uint64_t id,
                             std::shared_ptr<tls::ServerContext> tls)
    : io_(io),
      socket_(std::move(socket)),
      wake_(io.context()),
      id_(id),
      parser_(resp::ParserLimits{io.config().limits.max_bulk_len,
                                 io.config().limits.max_multibulk_len,
                                 io.config().limits.max_inline_len}),
      authenticated_(io.config().requirepass.empty()),
      warm_writes_(io.config().fallback.warm == "writes") {
  boost::system::error_code ignored;
  created_ms_ = io.NowMs();
  last_active_ms_ = created_ms_;  // a TLS client's handshake counts as activity
  cluster_ = !io.config().upstream.parsed.cluster_nodes.empty();
  const auto endpoint_text = [](const tcp::endpoint& e) {
    return e.address().to_string() + ":" + std::to_string(e.port());
  };
  const tcp::endpoint peer = socket_.remote_endpoint(ignored);
  addr_ = endpoint_text(peer);
  admin_grant_.peer_loopback = !ignored && IsLoopbackPeer(peer);
  laddr_ = endpoint_text(socket_.local_endpoint(ignored));
  fd_ = static_cast<int>(socket_.native_handle());
  socket_.set_option(tcp::no_delay(true), ignored);
  // Writes are tried directly first (Flush); they must never block the io thread.
  socket_.non_blocking(true, ignored);
  if (tls != nullptr) {
    std::string error;
    tls_ = tls::ServerConnection::Create(std::move(tls), fd_, &error);
    if (tls_ == nullptr) {
      spdlog::warn("client {} ({}): {}", id_, addr_, error);
      closed_ = true;  // Run closes the socket and cleans up
      socket_.close(ignored);
    }
    tls_deadline_ms_ = created_ms_ + io.config().tls.handshake_timeout_ms;
  }
}

ClientSession::~ClientSession() = default;

void ClientSession::Release() {
  if (--refs_ == 0) delete this;
}

asio::awaitable<void> ClientSession::Run() {
  if (tls_ != nullptr && !closed_ && !co_await HandshakeTls()) CloseSocket();
  last_active_ms_ = io_.NowMs();
  while (!closed_ && !stopping_) {
    if (paused_) {
      if (io_.server().failover().paused()) {
        co_await WaitWake();
      } else {
        paused_ = false;
        ProcessInput();
      }
      continue;
    }
    if (held_) {
      if (!resubscribe_pending_) {
        held_ = false;
        ProcessInput();
      } else {
        co_await WaitWake();
      }
      continue;
    }
    if (waiting_barrier_) {
      if (inflight_ == 0) {
        waiting_barrier_ = false;
        ProcessInput();
      } else {
        co_await WaitWake();
      }
      continue;
    }
    if (close_after_replies_) break;
    if (OutputBacklogged()) {
      co_await WaitWake();
      continue;
    }
    // Reads are synchronous, so a burst of input is read without a trip through the event loop
    // per chunk. A read that came back short drained the socket: wait for readiness (Asio re-arms
    // the descriptor, one epoll_ctl) instead of a read that would fail with EAGAIN; either costs
    // one system call.
    if (!maybe_readable_) {
      auto [wait_ec] =
          co_await socket_.async_wait(tls_read_wait_, asio::as_tuple(asio::use_awaitable));
      maybe_readable_ = true;
      if (wait_ec) {
        if (!stopping_) CloseSocket();
        break;
      }
    }
    char* p = in_.WritePtr(16 * 1024, parser_.bytes_needed());
    const size_t room = in_.WritableBytes();
    boost::system::error_code ec;
    size_t n = 0;
    if (tls_ == nullptr) {
      n = socket_.read_some(asio::buffer(p, room), ec);
      maybe_readable_ = n == room;
    } else {
      n = ReadTls(p, room, ec);  // sets maybe_readable_
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      maybe_readable_ = false;
      continue;
    }
    if (ec && n > 0) {
      // Over TLS the last requests may come with the close: they are served as on plain TCP
      // (replies served here are written before the next read reports the close again).
      ec.clear();
      maybe_readable_ = true;
    }
    if (ec) {
      // A client that hangs up loses the replies still in flight, as with Redis. On shutdown
      // the read side was shut down on purpose: finish what is in flight.
      if (!stopping_) CloseSocket();
      break;
    }
    in_.Commit(n);
    last_active_ms_ = io_.CoarseNowMs();
    {
      IoThread::DirectFlushScope direct(io_);
      ProcessInput();
    }
    if (in_.size() > io_.config().limits.max_query_buffer) {
      // As Redis: no reply, the connection is closed (what it sent is not a command yet).
      spdlog::warn(
          "closing client {} ({}): {} bytes of requests buffered, over "
          "limits.max_query_buffer",
          id_, addr_, in_.size());
      CloseSocket();
      break;
    }
    if (in_.size() == 0) in_.ShrinkIfIdle();
  }
  // QUIT, a protocol error and shutdown deliver what is in flight before closing.
  while (!closed_ &&
         (replies_.outstanding() > 0 || write_active_ || flush_posted_ || !out_.empty())) {
    co_await WaitWake();
  }
  CloseSocket();
  ReleaseDedicatedLink();
  if (local_session_ != nullptr && io_.server().store() != nullptr) {
    StoreExecutor::Request forget;
    forget.session = local_session_;
    forget.forget = true;
    io_.SubmitToStore(std::move(forget));
  }
  SetUser(0);
  LeaveLocalPubSub();
  io_.RemoveSession(this);
  Release();
}

asio::awaitable<void> ClientSession::WaitWake() {
  maybe_readable_ = true;  // the loop runs epoll_wait meanwhile: a readiness edge may be consumed
  wake_.expires_at(asio::steady_timer::time_point::max());
  waiting_ = true;
  co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  waiting_ = false;
}

void ClientSession::Wake() {
  if (waiting_) wake_.cancel();
}

bool ClientSession::OutputBacklogged() const {
  return out_.size() + writing_.size() > kBackpressureBytes ||
         replies_.outstanding() > kBackpressureReplies;
}

void ClientSession::ProcessInput() {
  read_started_ns_ = MonotonicNs();
  while (!closed_ && !close_after_replies_ && !waiting_barrier_ && !paused_ && !held_) {
    parser_.set_unauthenticated(!authenticated_);
    const resp::ParseStatus status = parser_.Parse(in_.Data(), &cmd_);
    if (status == resp::ParseStatus::kNeedMore) break;
    if (status == resp::ParseStatus::kError) {
      SPDLOG_DEBUG("client {}: {}", id_, parser_.error());
      CompleteLocal(ErrorReply(parser_.error()));
      close_after_replies_ = true;
      break;
    }
    const Step step = Dispatch(cmd_);
    if (step == Step::kHeld) {
      parser_.Reset();
      held_ = true;
      break;
    }
    if (step == Step::kWait || step == Step::kPaused) {
      // Not consumed: parsed again once the requests in flight on the other link are answered,
      // or once the cutover pause ends.
      parser_.Reset();
      (step == Step::kWait ? waiting_barrier_ : paused_) = true;
      break;
    }
    in_.Consume(cmd_.raw_len);
    if (step == Step::kStop) break;
  }
  ScheduleFlush();
}

ClientSession::Step ClientSession::Dispatch(const Command& cmd) {
  Failover& failover = io_.server().failover();
  if (failover.paused()) return Step::kPaused;
  const bool local = failover.ServeLocally();
  if (PlaceSubscriptions(local || (cluster_ && SlotServedLocally(0))) == Step::kWait) {
    return Step::kWait;
  }
  if (resubscribe_pending_) return Step::kHeld;
  {
    std::string reply;
    if (PubSubContextReply(cmd, &reply)) {
      CompleteLocal(reply);
      return Step::kNext;
    }
  }
  SessionView view{authenticated_, dedicated_ != nullptr,
                   relay_,         in_multi_,
                   local,          local && failover.WritesRefused()};
  Route route = router_.Classify(view, cmd.argv);
  if (cluster_ && !local) {
    int held_slot = -1;
    if (ClusterServesLocally(route, cmd, &held_slot)) {
      // Its slot's master is down: the store serves it (ShardFailover).
      view.serve_locally = true;
      view.refuse_writes = failover.WritesRefused();
      route = router_.Classify(view, cmd.argv);
    } else if (held_slot >= 0) {
      return RefuseForHeldState(held_slot);
    }
  }
  last_spec_ = route.spec;
  if (route.spec != nullptr && route.spec->Has(resp::kCmdContainer) && cmd.argv.size() > 1) {
    last_sub_ = Lower(cmd.argv[1]);
  }
  if (in_multi_ && !route.ends_multi) ++multi_queued_;
  if (route.begins_multi) multi_queued_ = 0;
  io_.metrics().Count(route.kind == RouteKind::kStore   ? CommandPath::kLocal
                      : route.kind == RouteKind::kLocal ? CommandPath::kProxy
                                                        : CommandPath::kForward,
                      route.spec);
  // A transaction's commands go to the store even while a script is busy: it answers them in
  // order and flags the transaction (-BUSY fails it, EXEC gets EXECABORT).
  const bool transaction = in_multi_ || route.begins_multi || route.ends_multi;
  if (route.kind == RouteKind::kStore && !transaction) {
    std::string busy;
    if (ScriptBusyReply(cmd, &busy)) {
      CompleteLocal(busy);
      return Step::kNext;
    }
  }
  if (route.kind != RouteKind::kLocal) return Forward(route, cmd);
  if (route.local == LocalCommand::kReset && inflight_ > 0) return Step::kWait;
  // An ACL user's login runs upstream, after what this client has in flight.
  if ((route.local == LocalCommand::kAuth || route.local == LocalCommand::kHello) &&
      inflight_ > 0 && NeedsUpstreamLogin(cmd)) {
    return Step::kWait;
  }
  RunLocal(route, cmd);
  return close_after_replies_ ? Step::kStop : Step::kNext;
}

bool ClientSession::ScriptBusyReply(const Command& cmd, std::string* reply) {
  StoreExecutor* store = io_.server().store();
  return store != nullptr && BusyScriptReply(store->script_control(), cmd.argv, protocol_, reply);
}

void ClientSession::RememberScript(const resp::CommandSpec& spec, const resp::Command& cmd) {
  if ((spec.name == "eval" || spec.name == "eval_ro") && cmd.argv.size() >= 2) {
    io_.RememberScript(cmd.argv[1]);
  } else if (spec.name == "script" && cmd.argv.size() == 3 &&
             resp::EqualsIgnoreCase(cmd.argv[1], "load")) {
    io_.RememberScript(cmd.argv[2]);
  } else if (spec.name == "function" && cmd.argv.size() >= 3 &&
             resp::EqualsIgnoreCase(cmd.argv[1], "load")) {
    io_.RememberScript(cmd.argv.back(), /*library=*/true);
  }
}

ClientSession::Step ClientSession::Forward(const Route& route, const Command& cmd) {
  if (route.kind == RouteKind::kStore) {
    if (inflight_ > 0 && inflight_link_ != &kStoreTarget) return Step::kWait;
    if (multi_broken_ || (watch_broken_ && route.ends_multi)) return BrokenTransaction(route);
    if (cluster_ && !PlaceLocallyInCluster(route, cmd)) return Step::kNext;
    if (route.begins_multi) {
      in_multi_ = true;
      multi_local_ = true;
    }
    if (route.ends_multi) in_multi_ = watching_ = false;
    if (route.local == LocalCommand::kSelect) {
      long long db;
      if (cmd.argv.size() == 2 && ParseInt(cmd.argv[1], &db) && db >= 0 && db < 16) db_ = db;
    }
    const bool discard = reply_mode_ != ReplyMode::kOn;
    if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
    const uint64_t tag = replies_.Reserve(discard, MetaFor(CommandPath::kLocal, route.info));
    SubmitToStore(cmd, tag);
    if (route.spec != nullptr && route.spec->Has(resp::kCmdBlocking) && !in_multi_) {
      blocked_tag_ = tag;
      blocked_locally_ = true;
    }
    return Step::kNext;
  }
  if (multi_broken_ || (watch_broken_ && route.ends_multi)) return BrokenTransaction(route);
  if (route.spec != nullptr) RememberScript(*route.spec, cmd);

  const config::Endpoint* node = nullptr;
  if (cluster_) {
    Step step = Step::kNext;
    if (!PlaceInCluster(route, cmd, &node, &step)) return step;
  }
  UpstreamLink* target = route.kind != RouteKind::kShared ? dedicated_
                         : node != nullptr                ? &io_.NodeLink(*node, protocol_, user_)
                                                          : &io_.SharedLink(db_, protocol_, user_);
  // One link at a time: upstream must run this client's commands in the order it sent them.
  const void* barrier = target;
  if (node != nullptr && route.kind == RouteKind::kShared) barrier = &kClusterLinks;
  if (inflight_ > 0 && inflight_link_ != barrier) return Step::kWait;
  if (target == nullptr) target = EnsureDedicated(/*select_in_multi=*/route.begins_multi, node);
  if (target == nullptr) {
    CompleteLocal(ErrorReply(errors::kMaxDedicated));
    return Step::kNext;
  }

  if (route.kind == RouteKind::kRelay) {
    if (!relay_) {
      relay_ = true;
      sticky_ = true;
      target->SetRelay(true);
    }
    if (route.local == LocalCommand::kSelect) {
      long long db;
      if (cmd.argv.size() == 2 && ParseInt(cmd.argv[1], &db) && db >= 0 && db < 16) db_ = db;
    }
    subscriptions_.Track(cmd.argv);
    if (cmd.is_inline) {
      scratch_.clear();
      resp::AppendCommandRange(&scratch_, cmd.argv);
      target->SendUntracked(scratch_);
    } else {
      target->SendUntracked(in_.Data().substr(0, cmd.raw_len));
    }
    return Step::kNext;
  }

  const bool discard = reply_mode_ != ReplyMode::kOn;
  if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
  const uint64_t tag = replies_.Reserve(discard, MetaFor(CommandPath::kForward, route.info));
  // Scripts that may write (EVAL, EVALSHA, FCALL) are mirrored too: run again on the store, they
  // keep it in step (a lock a script released upstream is released here as well).
  const bool mirrored =
      route.spec != nullptr &&
      (route.spec->Has(resp::kCmdWrite) ||
       (route.spec->Has(resp::kCmdRunsScript) && !route.spec->Has(resp::kCmdReadOnly)));
  if (warm_writes_ && mirrored && !route.blocking && !in_multi_ && !route.begins_multi &&
      !route.ends_multi) {
    mirror_pending_.push_back(
        MirrorPending{tag, db_, std::vector<std::string>(cmd.argv.begin(), cmd.argv.end())});
  }
  if (route.begins_multi) {
    in_multi_ = true;
    multi_local_ = false;
    multi_tag_ = tag;
  }
  if (route.ends_multi) {
    in_multi_ = watching_ = false;
    // EXEC's array then starts with the reply to respite's own SELECT: drop it.
    if (select_in_multi_ && route.spec->name == "exec") exec_strip_tag_ = tag;
    select_in_multi_ = false;
  }
  if (route.begins_watch) watching_ = true;
  if (route.ends_watch) watching_ = false;
  if (route.sticky) sticky_ = true;
  if (route.local == LocalCommand::kSelect) {
    long long db;
    if (cmd.argv.size() == 2 && ParseInt(cmd.argv[1], &db) && db >= 0 && db < 16) db_ = db;
  }
  SendOn(target, cmd, tag,
         route.blocking       ? Patience::kBlocking
         : route.long_running ? Patience::kLong
                              : Patience::kNormal);
  if (barrier == &kClusterLinks) inflight_link_ = barrier;
  if (target == dedicated_ && ChangesConnectionState(route)) dedicated_->SetDirty(true);
  if (route.begins_multi && select_in_multi_) {
    // The db goes inside the transaction (EnsureDedicated): upstream takes MULTI even while a
    // script keeps it busy, where a SELECT before it would be refused with -BUSY.
    scratch_.clear();
    resp::AppendCommand(&scratch_, {"SELECT", std::to_string(db_)});
    dedicated_->SendInternalBatch(scratch_, 1, /*any_reply=*/true);
    dedicated_->SetDirty(true);  // in that db only if EXEC runs
  }
  return Step::kNext;
}

ClientSession::Step ClientSession::BrokenTransaction(const Route& route) {
  // The upstream connection that held this client's transaction is gone. Tell the truth:
  // nothing queued before the loss can run.
  const resp::CommandSpec* spec = route.spec;
  const bool is_exec = spec != nullptr && spec->name == "exec";
  if (multi_broken_) {
    if (!route.ends_multi) {
      CompleteLocal(
          ErrorReply("ERR upstream connection lost inside MULTI; the transaction will be aborted"));
      return Step::kNext;
    }
    CompleteLocal(is_exec ? ErrorReply("EXECABORT Transaction discarded because of previous "
                                       "errors.")
                          : std::string("+OK\r\n"));
    multi_broken_ = watch_broken_ = in_multi_ = watching_ = select_in_multi_ = false;
    return Step::kNext;
  }
  // WATCH was lost: treat the watched keys as touched.
  if (inflight_ > 0 && inflight_link_ != dedicated_) return Step::kWait;
  if (dedicated_ != nullptr && in_multi_) SendInternal(dedicated_, {"DISCARD"});
  std::string reply;
  resp::ReplyWriter writer(&reply, protocol_);
  if (is_exec) {
    writer.NullArray();
  } else {
    writer.Ok();
  }
  in_multi_ = watching_ = watch_broken_ = false;
  CompleteLocal(reply);
  return Step::kNext;
}

void ClientSession::SubmitToStore(const Command& cmd, uint64_t tag, int64_t waited_ms) {
  StoreExecutor* store = io_.server().store();
  if (store == nullptr) {
    Finish(tag, ErrorReply("ERR the local store is not available (see the log)"));
    return;
  }
  if (!local_session_) local_session_ = std::make_shared<storage::LocalSession>();
  ++inflight_;
  inflight_link_ = &kStoreTarget;
  StoreExecutor::Request request;
  request.session = local_session_;
  request.argv.assign(cmd.argv.begin(), cmd.argv.end());
  request.db = db_;
  request.protocol = protocol_;
  request.waited_ms = waited_ms;
  AddRef();  // released when the reply comes back (StoreExecutor::Deliver)
  request.client = this;
  request.io = &io_;
  request.tag = tag;
  io_.SubmitToStore(std::move(request));
}

void ClientSession::OnStoreReply(uint64_t tag, std::string_view reply) {
  --inflight_;
  if (tag == blocked_tag_) blocked_tag_ = kNoTag;
  if (!closed_ && !reply.empty()) {
    Finish(tag, reply);
    ScheduleFlush();
  }
  Wake();
}

void ClientSession::CompleteLocal(std::string_view reply) {
  const bool discard = reply_mode_ != ReplyMode::kOn;
  if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
  if (relay_ && replies_.outstanding() == 0) {
    if (!discard) out_.append(reply);
    return;
  }
  Finish(replies_.Reserve(discard, MetaFor(CommandPath::kProxy, false)), reply);
}

void ClientSession::Finish(uint64_t tag, std::string_view reply) {
  const ReplyMeta& meta = replies_.meta(tag);
  if (meta.start_ns != 0) {
    // The batch's clock: a reply completed while reading commands (answered by respite itself)
    // takes the read's own.
    const uint64_t now = std::max(io_.batch_now_ns(), read_started_ns_);
    io_.metrics().Latency(static_cast<CommandPath>(meta.path),
                          now > meta.start_ns ? now - meta.start_ns : 0);
  }
  if (meta.info && !reply.empty() && (reply[0] == '$' || reply[0] == '=')) {
    // INFO's text is a bulk (RESP2) or verbatim (RESP3) string: add the section at its end.
    const size_t header_end = reply.find("\r\n");
    if (header_end != std::string_view::npos && reply.size() >= header_end + 4) {
      std::string_view text = reply.substr(header_end + 2, reply.size() - header_end - 4);
      const std::string section = RenderInfoSection(CollectStatus(io_.server()));
      info_reply_.clear();
      std::string body(text);
      const size_t prefix = reply[0] == '=' ? 4 : 0;  // "txt:"
      if (body.size() > prefix) body += "\r\n";
      body += section;
      info_reply_ += reply[0];
      info_reply_ += std::to_string(body.size());
      info_reply_ += "\r\n";
      info_reply_ += body;
      info_reply_ += "\r\n";
      replies_.Complete(tag, info_reply_, &out_);
      return;
    }
  }
  replies_.Complete(tag, reply, &out_);
}

void ClientSession::SubmitStoreQuery(std::function<std::string(storage::LocalStore&)> query,
                                     uint64_t tag) {
  ++inflight_;
  inflight_link_ = &kStoreTarget;
  AddRef();  // released once the reply is back on this thread
  StoreExecutor::Request request;
  request.task = [this, tag, query = std::move(query)](storage::LocalStore& s) {
    std::string reply = query(s);
    asio::post(io_.context(), [this, tag, reply = std::move(reply)] {
      OnStoreReply(tag, reply);
      Release();
    });
  };
  io_.SubmitToStore(std::move(request));
}

void ClientSession::RunLocal(const Route& route, const Command& cmd) {
  std::string reply;
  resp::ReplyWriter w(&reply, protocol_);
  switch (route.local) {
    case LocalCommand::kNone:
      // As Redis' rejectCommand: a refused EXEC also ends the transaction, and says so.
      if (IEquals(cmd.argv[0], "exec")) {
        w.Error("EXECABORT Transaction discarded because of: " + std::string(errors::kNoAuth));
      } else {
        w.Error(errors::kNoAuth);
      }
      break;
    case LocalCommand::kRefuseWrite:
      w.Error(errors::kReadOnlyFallback);
      break;
    case LocalCommand::kAuth:
      if (!Auth(cmd, &reply)) return;
      break;
    case LocalCommand::kHello:
      if (!Hello(cmd, &reply)) return;
      break;
    case LocalCommand::kSelect:
      Select(cmd, &reply, dedicated_ != nullptr);
      break;
    case LocalCommand::kQuit:
      w.Ok();
      close_after_replies_ = true;
      break;
    case LocalCommand::kReset:
      ReleaseDedicatedLink();
      ResetState();
      reply.clear();
      resp::ReplyWriter(&reply, protocol_).SimpleString("RESET");
      break;
    case LocalCommand::kClientSetName:
      if (cmd.argv.size() != 3) {
        w.Error(ArityError("client|setname"));
      } else if (!ValidClientName(cmd.argv[2])) {
        w.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      } else {
        name_.assign(cmd.argv[2]);
        if (dedicated_ != nullptr) SyncDedicated();
        w.Ok();
      }
      break;
    case LocalCommand::kClientGetName:
      if (cmd.argv.size() != 2) {
        w.Error(ArityError("client|getname"));
      } else if (name_.empty()) {
        w.Null();
      } else {
        w.Bulk(name_);
      }
      break;
    case LocalCommand::kAclWhoami:
      w.Bulk(io_.server().users().Name(user_));
      break;
    case LocalCommand::kClientList:
      ClientList(cmd);
      return;
    case LocalCommand::kClientInfo:
      if (cmd.argv.size() != 2) {
        w.Error(ArityError("client|info"));
      } else {
        w.Verbatim("txt", DescribeForList(io_.NowMs()));
      }
      break;
    case LocalCommand::kClientKill:
      ClientKill(cmd);
      return;
    case LocalCommand::kClientUnblock:
      ClientUnblock(cmd);
      return;
    case LocalCommand::kClientId:
      if (cmd.argv.size() != 2) {
        w.Error(ArityError("client|id"));
      } else {
        w.Integer(static_cast<int64_t>(id_));
      }
      break;
    case LocalCommand::kUnsubscribeNothing: {
      // Redis confirms each name (or, with none given, a null one) with a count of 0.
      const std::string kind = Lower(cmd.argv[0]);
      const size_t confirmations = std::max<size_t>(1, cmd.argv.size() - 1);
      for (size_t i = 0; i < confirmations; ++i) {
        w.PushHeader(3);
        w.Bulk(kind);
        if (cmd.argv.size() > 1) {
          w.Bulk(cmd.argv[i + 1]);
        } else {
          w.Null();
        }
        w.Integer(0);
      }
      break;
    }
    case LocalCommand::kPubSub:
      LocalPubSub(cmd);
      return;
    case LocalCommand::kClientReply:
      ClientReply(cmd, &reply);
      if (reply.empty()) return;  // OFF and SKIP are not answered
      break;
    case LocalCommand::kRespite: {
      StoreQuery query;
      RunRespiteCommand(io_.server(), cmd.argv, protocol_, &admin_grant_, &reply, &query);
      if (query) {
        const bool discard = reply_mode_ != ReplyMode::kOn;
        if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
        SubmitStoreQuery(std::move(query),
                         replies_.Reserve(discard, MetaFor(CommandPath::kProxy, false)));
        return;
      }
      break;
    }
  }
  CompleteLocal(reply);
}

void ClientSession::Select(const Command& cmd, std::string* reply, bool forward_too) {
  resp::ReplyWriter w(reply, protocol_);
  long long db;
  if (cmd.argv.size() != 2) {
    w.Error(ArityError("select"));
  } else if (!ParseInt(cmd.argv[1], &db)) {
    w.Error(errors::kNotInteger);
  } else if (db < 0 || db >= 16) {
    w.Error(errors::kDbOutOfRange);
  } else if (cluster_ && db != 0) {
    w.Error("ERR SELECT is not allowed in cluster mode");  // Redis Cluster's answer
  } else {
    db_ = static_cast<int>(db);
    if (forward_too) SyncDedicated();
    w.Ok();
  }
}

void ClientSession::ClientReply(const Command& cmd, std::string* reply) {
  resp::ReplyWriter w(reply, protocol_);
  if (cmd.argv.size() != 3) {
    w.Error(ArityError("client|reply"));
  } else if (IEquals(cmd.argv[2], "on")) {
    reply_mode_ = ReplyMode::kOn;
    w.Ok();
  } else if (IEquals(cmd.argv[2], "off")) {
    reply_mode_ = ReplyMode::kOff;
  } else if (IEquals(cmd.argv[2], "skip")) {
    // Skips the reply of the next command; SKIP itself has none.
    if (reply_mode_ == ReplyMode::kOn) reply_mode_ = ReplyMode::kSkip;
  } else {
    w.Error("ERR syntax error");
  }
}

void ClientSession::ResetState() {
  db_ = 0;
  protocol_ = 2;
  name_.clear();
  authenticated_ = io_.config().requirepass.empty();
  admin_grant_.token_given = false;
  SetUser(0);
  LeaveLocalPubSub();
  subscriptions_ = Subscriptions();
  resubscribe_pending_ = false;
  in_multi_ = watching_ = sticky_ = relay_ = select_in_multi_ = multi_deferred_ = false;
  multi_broken_ = watch_broken_ = multi_local_ = multi_abort_ = false;
  multi_slot_ = -1;
  reply_mode_ = ReplyMode::kOn;
  inflight_link_ = nullptr;
  // The store's side of the connection (a transaction or WATCH there) goes too: a fresh one next
  // time. Nothing of it is in flight (RESET waits for that).
  if (local_session_ != nullptr && io_.server().store() != nullptr) {
    StoreExecutor::Request forget;
    forget.session = std::move(local_session_);
    forget.forget = true;
    io_.SubmitToStore(std::move(forget));
  }
  local_session_ = nullptr;
}

void ClientSession::ScheduleFlush() {
  if (flush_posted_ || write_active_ || out_.empty() || closed_) return;
  flush_posted_ = true;
  AddRef();
  // The io thread flushes every client with new replies once per turn of the event loop, so all
  // replies that arrive in that turn join one write.
  io_.ScheduleClientFlush(this);
}

void ClientSession::FlushNow() {
  flush_posted_ = false;
  Flush();
  Wake();
}

void ClientSession::Flush() {
  if (write_active_ || out_.empty() || closed_) return;
  last_active_ms_ = io_.CoarseNowMs();  // Redis counts idle time from the last reply too
  // Most replies fit in the socket buffer: write them now, without an asynchronous operation.
  boost::system::error_code ec;
  const size_t n = tls_ == nullptr ? socket_.write_some(asio::buffer(out_), ec)
                                   : WriteTls(out_.data(), out_.size(), ec);
  if (!ec && n == out_.size()) {
    if (out_.capacity() > kBackpressureBytes) {
      std::string().swap(out_);
    } else {
      out_.clear();
    }
    return;
  }
  if (ec && ec != asio::error::would_block) {
    CloseSocket();
    return;
  }
  write_active_ = true;
  writing_.assign(out_, tls_ != nullptr || !ec ? n : 0);
  out_.clear();
  AddRef();
  if (tls_ != nullptr) {
    tls_written_ = 0;
    ContinueTlsWrite();
    return;
  }
  asio::async_write(socket_, asio::buffer(writing_),
                    [this](boost::system::error_code ec, size_t) { WriteDone(!!ec); });
}

void ClientSession::WriteDone(bool failed) {
  write_active_ = false;
  if (writing_.capacity() > kBackpressureBytes) {
    std::string().swap(writing_);
  } else {
    writing_.clear();
  }
  if (failed) {
    CloseSocket();
  } else {
    Flush();
  }
  Wake();
  Release();
}

void ClientSession::BeginShutdown() {
  stopping_ = true;
  boost::system::error_code ignored;
  // Ends the pending read (it sees EOF) without cancelling a write in progress.
  socket_.shutdown(tcp::socket::shutdown_receive, ignored);
  Wake();
}

void ClientSession::ForceClose() { CloseSocket(); }

void ClientSession::CheckIdle(uint64_t now_ms) {
  if (tls_ != nullptr && !tls_->established()) {
    // Only the handshake deadline applies until the handshake is done.
    if (!closed_ && now_ms >= tls_deadline_ms_) {
      tls_->Count(tls::ServerContext::kTimeout);
      SPDLOG_DEBUG("client {} ({}): no TLS handshake within {} ms; closing", id_, addr_,
                   io_.config().tls.handshake_timeout_ms);
      CloseSocket();
    }
    return;
  }
  if (!closed_ && !io_.server().failover().paused()) {
    const bool local = PubSubServedLocally();
    if (resubscribe_pending_ && !local) {
      Resubscribe();
    } else {
      PlaceSubscriptions(local);
    }
  }
  const uint32_t timeout_s = io_.config().limits.idle_timeout_s;
  // Replies still on their way out count as activity.
  if (timeout_s == 0 || closed_ || relay_ || Subscribed() || inflight_ > 0 || !out_.empty() ||
      write_active_ || flush_posted_) {
    return;
  }
  if (now_ms - last_active_ms_ > uint64_t{timeout_s} * 1000) {
    SPDLOG_DEBUG("client {}: idle for {} s; closing", id_, timeout_s);
    CloseSocket();
  }
}

void ClientSession::CloseSocket() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  // A write still pending in OpenSSL must not be followed by close_notify.
  if (tls_ != nullptr && !write_active_) tls_->Close();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  Wake();
}

}  // namespace respite::proxy
