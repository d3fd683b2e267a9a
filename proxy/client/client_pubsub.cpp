// A client's pub/sub while respite serves locally: (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE answered
// here, messages from the local store's PUBLISH delivered through the PubSubHub, and the moves of
// a subscriber's subscriptions between upstream and the hub when the mode changes.

#include <spdlog/spdlog.h>

#include "proxy/client/client_session.h"
#include "proxy/client/session_text.h"
#include "proxy/failover/failover.h"
#include "proxy/io_thread.h"
#include "proxy/server.h"
#include "resp/ascii.h"
#include "resp/command_table.h"
#include "resp/reply_writer.h"

namespace respite::proxy {

using resp::Command;
using namespace session_text;

namespace {

constexpr SubscriptionKind kKinds[] = {SubscriptionKind::kChannel, SubscriptionKind::kPattern,
                                       SubscriptionKind::kShard};

// What Redis lets a RESP2 client run while it is subscribed.
bool AllowedWhileSubscribed(std::string_view name) {
  static constexpr std::string_view kAllowed[] = {"ping",         "subscribe",   "ssubscribe",
                                                  "psubscribe",   "unsubscribe", "sunsubscribe",
                                                  "punsubscribe", "quit",        "reset"};
  for (std::string_view allowed : kAllowed) {
    if (name == allowed) return true;
  }
  return false;
}

}  // namespace

ClientSession::Step ClientSession::PlaceSubscriptions(bool serve_locally) {
  if (serve_locally) {
    // Subscribed upstream (or waiting to be, its link lost): the hub takes over.
    if (local_subscriber_ == nullptr && (relay_ || resubscribe_pending_) &&
        subscriptions_.resubscribable()) {
      if (inflight_ > 0) return Step::kWait;
      SubscribeLocally();
    }
  } else if (local_subscriber_ != nullptr) {
    if (inflight_ > 0) return Step::kWait;
    MoveSubscriptionsUpstream();
  }
  return Step::kNext;
}

void ClientSession::SubscribeLocally() {
  resubscribe_pending_ = false;
  swallow_confirmations_ = 0;
  ReleaseDedicatedLink();  // a relay link is closed, not pooled
  relay_ = sticky_ = false;
  if (local_subscriber_ == nullptr) {
    local_subscriber_ = std::make_shared<LocalSubscriber>(LocalSubscriber{&io_, this});
  }
  PubSubHub& hub = io_.server().pubsub();
  for (SubscriptionKind kind : kKinds) {
    for (const std::string& name : subscriptions_.Names(kind)) {
      hub.Subscribe(local_subscriber_, kind, name);
    }
  }
  spdlog::info(
      "client {}: serving locally; its {} subscriptions now hear this respite's publishers", id_,
      subscriptions_.count());
  Wake();
}

void ClientSession::MoveSubscriptionsUpstream() {
  LeaveLocalPubSub();
  if (!Subscribed()) return;
  relay_ = sticky_ = true;
  Resubscribe();
}

void ClientSession::LeaveLocalPubSub() {
  if (local_subscriber_ == nullptr) return;
  PubSubHub& hub = io_.server().pubsub();
  for (SubscriptionKind kind : kKinds) {
    for (const std::string& name : subscriptions_.Names(kind)) {
      hub.Unsubscribe(local_subscriber_, kind, name);
    }
  }
  local_subscriber_->session = nullptr;  // messages already posted find nobody
  local_subscriber_.reset();
}

void ClientSession::LocalPubSub(const Command& cmd) {
  // A push ignores CLIENT REPLY OFF; a SKIP is used up by this command all the same.
  if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
  const std::string name = Lower(cmd.argv[0]);
  const resp::CommandSpec* spec = resp::CommandTable::Instance().Find(name);
  std::string reply;
  resp::ReplyWriter w(&reply, protocol_);
  if (spec == nullptr || !spec->ArityOk(cmd.argv.size())) {
    w.Error(ArityError(name));
    CompleteLocal(reply);
    return;
  }
  const SubscriptionKind kind = name[0] == 'p' ? SubscriptionKind::kPattern
                                : name == "ssubscribe" || name == "sunsubscribe"
                                    ? SubscriptionKind::kShard
                                    : SubscriptionKind::kChannel;
  // Redis counts channels and patterns together, shard channels apart.
  const auto count = [&] {
    return static_cast<int64_t>(kind == SubscriptionKind::kShard
                                    ? subscriptions_.shard_channels()
                                    : subscriptions_.channels() + subscriptions_.patterns());
  };
  PubSubHub& hub = io_.server().pubsub();
  if (name.find("unsubscribe") == std::string::npos) {
    if (local_subscriber_ == nullptr) {
      local_subscriber_ = std::make_shared<LocalSubscriber>(LocalSubscriber{&io_, this});
    }
    for (size_t i = 1; i < cmd.argv.size(); ++i) {
      if (subscriptions_.Add(kind, cmd.argv[i]))
        hub.Subscribe(local_subscriber_, kind, cmd.argv[i]);
      w.PushHeader(3);
      w.Bulk(name);
      w.Bulk(cmd.argv[i]);
      w.Integer(count());
    }
  } else {
    // Without names: from every one of that kind, or a single null confirmation when none.
    std::vector<std::string> names(cmd.argv.begin() + 1, cmd.argv.end());
    if (names.empty()) {
      names = subscriptions_.UnsubscribeOrder(kind);
      if (names.empty()) {
        w.PushHeader(3);
        w.Bulk(name);
        w.Null();
        w.Integer(count());
      }
    }
    for (const std::string& channel : names) {
      if (subscriptions_.Remove(kind, channel) && local_subscriber_ != nullptr) {
        hub.Unsubscribe(local_subscriber_, kind, channel);
      }
      w.PushHeader(3);
      w.Bulk(name);
      w.Bulk(channel);
      w.Integer(count());
    }
  }
  AppendPush(reply, PushPlace::kReply);
}

bool ClientSession::PubSubContextReply(const Command& cmd, std::string* reply) {
  if (local_subscriber_ == nullptr || protocol_ != 2 || !Subscribed()) return false;
  const resp::CommandTable& table = resp::CommandTable::Instance();
  const resp::CommandSpec* spec = table.Find(cmd.argv[0]);
  // Unknown commands and wrong arities get their own errors first, as in Redis.
  if (spec == nullptr || !spec->ArityOk(cmd.argv.size())) return false;
  if (spec->Has(resp::kCmdContainer) && cmd.argv.size() > 1) {
    const resp::CommandSpec* sub = table.Find(cmd.argv[0], cmd.argv[1]);
    if (sub == nullptr || !sub->ArityOk(cmd.argv.size())) return false;
    spec = sub;
  }
  resp::ReplyWriter w(reply, protocol_);
  if (spec->name == "ping") {
    w.ArrayHeader(2);
    w.Bulk("pong");
    w.Bulk(cmd.argv.size() > 1 ? cmd.argv[1] : std::string_view());
    return true;
  }
  if (AllowedWhileSubscribed(spec->name)) return false;
  const std::string refusal = "Can't execute '" + std::string(spec->name) +
                              "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
                              "are allowed in this context";
  // Redis refuses an EXEC as an aborted transaction, in MULTI or not.
  w.Error((spec->name == "exec" ? "EXECABORT Transaction discarded because of: " : "ERR ") +
          refusal);
  return true;
}

bool ClientSession::AppendPush(std::string_view push, PushPlace place) {
  if (closed_) return false;
  // Every reply completed in order is in out_ already: appending there puts the push before the
  // replies still owed.
  if (replies_.outstanding() == 0 || place == PushPlace::kNow) {
    out_.append(push);
  } else {
    Finish(replies_.Reserve(false, place == PushPlace::kReply ? MetaFor(CommandPath::kProxy, false)
                                                              : ReplyMeta{}),
           push);
  }
  if (out_.size() + writing_.size() > io_.config().limits.client_output_buffer) {
    spdlog::warn(
        "client {}: output buffer over {} bytes (a subscriber that does not read); closing", id_,
        io_.config().limits.client_output_buffer);
    CloseSocket();
    return false;
  }
  ScheduleFlush();
  return true;
}

void ClientSession::OnLocalMessage(std::string_view kind, std::string_view pattern,
                                   std::string_view channel, std::string_view message) {
  if (closed_) return;
  std::string push;
  resp::ReplyWriter w(&push, protocol_);
  const bool from_pattern = kind == "pmessage";
  w.PushHeader(from_pattern ? 4 : 3);
  w.Bulk(kind);
  if (from_pattern) w.Bulk(pattern);
  w.Bulk(channel);
  w.Bulk(message);
  AppendPush(push, PushPlace::kNow);
}

}  // namespace respite::proxy
