// A client session's side of its upstream links: requests sent on a link, the dedicated link
// (acquired, brought to the client's connection state, given back), and the ReplySink callbacks
// by which links answer: replies, failed requests (run locally while upstream is down), a lost
// link, relayed pushes, and subscribing a kept subscriber again. Also forwarded writes mirrored on
// the local store (fallback.warm: writes) and blocking commands handed back at the cutover.

#include <spdlog/spdlog.h>

#include "proxy/client/client_session.h"
#include "proxy/client/session_text.h"
#include "proxy/cluster/shard_failover.h"
#include "proxy/errors.h"
#include "proxy/io_thread.h"
#include "proxy/server.h"
#include "proxy/store_executor.h"
#include "proxy/time_util.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/command_encoder.h"
#include "resp/reply_scanner.h"
#include "resp/reply_writer.h"
#include "resp/request_parser.h"

namespace respite::proxy {

using resp::Command;
using namespace session_text;

namespace {

// An array reply without its first element (EXEC's, when respite queued a SELECT first); any
// other reply (an error, a null array) as it is.
std::string DropFirstElement(std::string_view reply) {
  long long count = 0;
  const size_t header = reply.find("\r\n");
  if (reply.empty() || reply[0] != '*' || header == std::string_view::npos ||
      !ParseInt(reply.substr(1, header - 1), &count) || count < 1) {
    return std::string(reply);
  }
  std::string_view rest = reply.substr(header + 2);
  resp::ReplyScanner scanner;
  if (scanner.Scan(rest) != resp::ScanStatus::kReply) return std::string(reply);
  return "*" + std::to_string(count - 1) + "\r\n" + std::string(rest.substr(scanner.reply_len()));
}

}  // namespace

void ClientSession::SendOn(UpstreamLink* link, const Command& cmd, uint64_t tag,
                           Patience patience) {
  ++inflight_;
  inflight_link_ = link;
  if (patience == Patience::kBlocking) {
    blocked_tag_ = tag;
    blocked_locally_ = false;
  }
  if (cmd.is_inline) {
    scratch_.clear();
    resp::AppendCommandRange(&scratch_, cmd.argv);
    link->Send(scratch_, this, tag, patience);
  } else {
    link->Send(in_.Data().substr(0, cmd.raw_len), this, tag, patience);
  }
}

void ClientSession::SendInternal(UpstreamLink* link, std::initializer_list<std::string_view> argv) {
  scratch_.clear();
  resp::AppendCommandRange(&scratch_, argv);
  link->Send(scratch_, nullptr, 0);
}

void ClientSession::MirrorIfPending(uint64_t tag, std::string_view reply) {
  while (!mirror_pending_.empty() && mirror_pending_.front().tag < tag) {
    mirror_pending_.pop_front();  // not answered in order: never happens on one link; be safe
  }
  if (mirror_pending_.empty() || mirror_pending_.front().tag != tag) return;
  MirrorPending pending = std::move(mirror_pending_.front());
  mirror_pending_.pop_front();
  StoreExecutor* store = io_.server().store();
  if (reply.empty() || reply[0] == '-' || store == nullptr) return;
  uint64_t bytes = 0;
  for (const std::string& a : pending.argv) bytes += a.size() + 16;
  if (!store->ReserveMirror(bytes)) return;  // the store thread is far behind: dropped, counted
  if (!mirror_session_) mirror_session_ = std::make_shared<storage::LocalSession>();
  StoreExecutor::Request request;
  request.session = mirror_session_;
  request.argv = std::move(pending.argv);
  request.db = pending.db;
  request.mirror = true;
  request.mirror_bytes = bytes;
  io_.SubmitToStore(std::move(request));
}

void ClientSession::ReissueUpstream(uint64_t tag, std::string_view request) {
  --inflight_;  // off the store
  if (closed_) {
    Wake();
    return;
  }
  // A command that blocked on the local store, handed back at the cutover: it waits on upstream
  // now, where the replayed writes are. Only when nothing else of this client is in flight on
  // the store (its commands must reach upstream in order); otherwise it times out here.
  if (inflight_ > 0) {
    std::string reply;
    resp::ReplyWriter(&reply, protocol_).NullArray();  // what a blocking timeout answers
    Finish(tag, reply);
    ScheduleFlush();
    Wake();
    return;
  }
  UpstreamLink* link = EnsureDedicated();
  if (link == nullptr) {
    Finish(tag, ErrorReply(errors::kMaxDedicated));
    ScheduleFlush();
    Wake();
    return;
  }
  ++inflight_;
  inflight_link_ = link;
  blocked_tag_ = tag;
  blocked_locally_ = false;
  link->Send(request, this, tag, Patience::kBlocking);
  Wake();
}

UpstreamLink* ClientSession::EnsureDedicated(bool select_in_multi, const config::Endpoint* node) {
  if (dedicated_ != nullptr) return dedicated_;
  if (cluster_ && node == nullptr) {
    std::string refusal;
    node = ClusterNodeOf(Route{}, resp::Command{}, &refusal);  // keyless: slot 0's node
    if (node == nullptr) return nullptr;
  }
  dedicated_ = io_.AcquireDedicated(this, WantedConnState(), node);
  if (dedicated_ == nullptr) return nullptr;  // upstream.max_dedicated in use
  select_in_multi_ = select_in_multi && dedicated_->conn_state().db != db_;
  SyncDedicated();
  return dedicated_;
}

UpstreamLink::ConnState ClientSession::WantedConnState() const {
  return UpstreamLink::ConnState{db_, protocol_, user_, name_};
}

void ClientSession::SyncDedicated() {
  // Bring the connection to the state this client has set up on respite, sending only what
  // differs (a pooled link often has it already). A client logs in as an ACL user keeping its db,
  // as in Redis: that user need not be allowed SELECT or HELLO, so the user comes last.
  UpstreamLink::ConnState& state = dedicated_->conn_state();
  if (state.user != user_ && state.user != 0) io_.ResetLink(dedicated_);  // back to respite's user
  if (state.db != db_ && !select_in_multi_) {
    SendInternal(dedicated_, {"SELECT", std::to_string(db_)});
  }
  if (state.protocol != protocol_) SendInternal(dedicated_, {"HELLO", std::to_string(protocol_)});
  if (state.name != name_) SendInternal(dedicated_, {"CLIENT", "SETNAME", name_});
  std::string user_name, user_password;
  if (state.user != user_ && user_ != 0 &&
      io_.server().users().Credentials(user_, &user_name, &user_password)) {
    SendInternal(dedicated_, {"AUTH", user_name, user_password});
  }
  state = WantedConnState();
}

void ClientSession::MaybeReleaseDedicated() {
  if (dedicated_ == nullptr || relay_ || sticky_ || in_multi_ || watching_ || inflight_ > 0) {
    return;
  }
  inflight_link_ = nullptr;
  ReleaseDedicatedLink();
}

void ClientSession::ReleaseDedicatedLink() {
  if (dedicated_ == nullptr) return;
  UpstreamLink* link = dedicated_;
  dedicated_ = nullptr;
  link->SetOwner(nullptr);
  // A transaction or WATCH still open upstream: RESET before anyone else uses it.
  if (in_multi_ || watching_ || select_in_multi_) link->SetDirty(true);
  io_.ReleaseDedicated(link);
}

void ClientSession::OnReply(uint64_t tag, std::string_view reply) {
  --inflight_;
  redirects_in_a_row_ = 0;
  if (tag == blocked_tag_) blocked_tag_ = kNoTag;
  if (tag == exec_strip_tag_) {
    exec_strip_tag_ = kNoTag;
    if (!closed_) {
      Finish(tag, DropFirstElement(reply));
      ScheduleFlush();
    }
    MaybeReleaseDedicated();
    Wake();
    return;
  }
  if (pending_login_ && tag == pending_login_->tag) {
    if (closed_) {
      pending_login_.reset();
      return;
    }
    FinishLogin(reply);
    ScheduleFlush();
    MaybeReleaseDedicated();
    Wake();
    return;
  }
  if (!mirror_pending_.empty()) MirrorIfPending(tag, reply);
  if (closed_) return;
  Finish(tag, reply);
  ScheduleFlush();
  MaybeReleaseDedicated();
  Wake();
}

void ClientSession::OnRequestFailed(uint64_t tag, std::string_view error, std::string_view request,
                                    bool sent) {
  --inflight_;
  if (tag == blocked_tag_) blocked_tag_ = kNoTag;
  if (tag == exec_strip_tag_) exec_strip_tag_ = kNoTag;
  if (pending_login_ && tag == pending_login_->tag) {
    // Not checked upstream: the client may try again (locally, if upstream is down now).
    pending_login_.reset();
    if (!closed_) {
      Finish(tag, ErrorReply(error));
      ScheduleFlush();
    }
    Wake();
    return;
  }
  if (!mirror_pending_.empty()) MirrorIfPending(tag, "-");  // never mirrored: outcome unknown
  // Cluster mode: the slot's master was marked down (outside connection state upstream).
  const bool cluster_local = cluster_ && !in_multi_ && !watching_ && SlotsServedLocally() > 0;
  if (!closed_ && !request.empty() && !relay_ && (cluster_local || io_.server().serve_locally())) {
    // Upstream is down. A request that never reached it runs locally, in its place in the order;
    // so does one whose outcome is unknown if running it twice is harmless (a read, an
    // idempotent write) or it was blocked waiting (re-issued locally, as DESIGN.md says).
    resp::RequestParser parser;
    resp::Command command;
    if (parser.Parse(request, &command) == resp::ParseStatus::kCommand &&
        (!cluster_local || io_.server().serve_locally() || ClusterArgvServedLocally(command)) &&
        (!sent || Router::SafeToRunAgain(command.argv))) {
      if (in_multi_ && tag == multi_tag_) multi_local_ = true;
      const ReplyMeta& meta = replies_.meta(tag);
      const int64_t waited_ms =
          meta.start_ns == 0 ? 0 : static_cast<int64_t>((MonotonicNs() - meta.start_ns) / 1000000);
      SubmitToStore(command, tag, waited_ms);
      Wake();
      return;
    }
  }
  // A MULTI that upstream never answered opened no transaction.
  if (in_multi_ && tag == multi_tag_) in_multi_ = select_in_multi_ = false;
  if (closed_) return;
  Finish(tag, ErrorReply(error));
  ScheduleFlush();
  Wake();
}

void ClientSession::OnLinkClosed(UpstreamLink* link) {
  if (link != dedicated_) return;
  dedicated_ = nullptr;
  if (inflight_link_ == link) inflight_link_ = nullptr;
  link->SetOwner(nullptr);
  io_.ReleaseDedicated(link);
  if (in_multi_ && !multi_local_) multi_broken_ = true;
  if (watching_ && !in_multi_) watch_broken_ = true;
  watching_ = false;
  if (relay_ && subscriptions_.resubscribable() && PubSubServedLocally()) {
    SubscribeLocally();  // upstream is down: this respite's publishers reach it meanwhile
  } else if (relay_ && subscriptions_.resubscribable()) {
    // Keep the subscriber: it is subscribed again on a new connection once upstream is back, or
    // here if respite serves locally first.
    if (!resubscribe_pending_) {
      spdlog::info(
          "client {}: upstream connection of a subscriber lost; resubscribing when "
          "upstream is back",
          id_);
    }
    resubscribe_pending_ = true;
    swallow_confirmations_ = 0;
  } else if (relay_ && subscriptions_.rebuildable()) {
    relay_ = sticky_ = false;  // subscribed to nothing any more: a plain client again
  } else if (relay_ || sticky_) {
    // MONITOR or tracking lived on that connection; the client must set them up again.
    spdlog::info("client {}: upstream connection of a relaying client lost; closing it", id_);
    CloseSocket();
  }
  Wake();
}

void ClientSession::Resubscribe() {
  resubscribe_pending_ = false;
  relay_ = sticky_ = true;
  UpstreamLink* link = EnsureDedicated();
  if (link == nullptr) {
    spdlog::warn(
        "client {}: no dedicated upstream connection to subscribe again on "
        "(upstream.max_dedicated in use); closing it",
        id_);
    CloseSocket();
    return;
  }
  link->SetRelay(true);
  scratch_.clear();
  swallow_confirmations_ = subscriptions_.AppendResubscribe(&scratch_);
  link->SendUntracked(scratch_);
  spdlog::info("client {}: subscribed again to {} channels and patterns", id_,
               swallow_confirmations_);
  Wake();
}

void ClientSession::OnRelay(std::string_view reply) {
  if (closed_) return;
  if (swallow_confirmations_ > 0 && Subscriptions::IsConfirmation(reply)) {
    --swallow_confirmations_;
    return;
  }
  AppendPush(reply, PushPlace::kAfterReplies);
}

}  // namespace respite::proxy
