// Cluster mode, a client's side (a redis+cluster:// upstream): respite presents the cluster as
// one Redis. Each command goes to the master of its keys' slot (cluster_map.h). MGET, MSET, DEL,
// UNLINK, EXISTS and TOUCH over several slots are split by slot, and KEYS, DBSIZE, SCAN, ... are
// asked of every master (cluster_gather.h); any other command whose keys span slots gets Redis
// Cluster's -CROSSSLOT. Keyless commands go to the node of slot 0, or to the node the client's
// connection state is on. A transaction starts on the node of its first command with keys:
// respite answers MULTI itself and sends it there with that command. -MOVED and -ASK replies on
// shared links are followed (cluster_redirect.h) and never reach the client; on a connection of
// the client's own (a transaction, a blocking command) they cannot be, and the client gets an
// error that says why. While a master is down its slots are served by the local store
// (shard_failover.h): their commands, and transactions that begin with one, go there.

#include <boost/asio/post.hpp>
#include <cctype>

#include "proxy/client/client_session.h"
#include "proxy/client/session_text.h"
#include "proxy/cluster/cluster_gather.h"
#include "proxy/cluster/cluster_map.h"
#include "proxy/cluster/cluster_redirect.h"
#include "proxy/cluster/shard_failover.h"
#include "proxy/errors.h"
#include "proxy/failover/failover.h"
#include "proxy/io_thread.h"
#include "proxy/server.h"
#include "proxy/store_executor.h"
#include "resp/key_slot.h"
#include "resp/key_specs.h"

namespace respite::proxy {

using resp::Command;
using namespace session_text;

namespace {

bool SameNode(const config::Endpoint* a, const config::Endpoint* b) {
  return a != nullptr && b != nullptr && a->port == b->port && a->host == b->host;
}

// Redirects followed in a row for one client without another reply: past this the slot map is
// taken as unsettled, and the client gets the redirect as an error to retry on.
constexpr uint32_t kMaxRedirectsInARow = 16;

}  // namespace

const config::Endpoint* ClientSession::ClusterNodeOf(const Route& route, const Command& cmd,
                                                     std::string* refusal, bool* cross_slot) {
  const ClusterMap* map = io_.ClusterMapNow();
  if (map == nullptr || map->nodes.empty()) {
    *refusal = ErrorReply("CLUSTERDOWN respite has no slot map of the cluster yet");
    return nullptr;
  }
  int slot = -1;
  if (route.spec != nullptr) {
    if (route.spec->name == "swapdb") {
      *refusal = ErrorReply("ERR SWAPDB is not allowed in cluster mode");  // Redis Cluster's
      return nullptr;
    }
    if (ClusterGather::GoesToEveryNode(route.spec->name)) {
      // Outside a transaction these are asked of every master (PlaceInCluster); inside one, one
      // node's answer would be a silent part of the keyspace's.
      std::string name(route.spec->name);
      for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      *refusal = ErrorReply("ERR " + name +
                            " needs every node of the cluster, which respite does not ask inside "
                            "a transaction");
      return nullptr;
    }
    // Shard channels (SPUBLISH, SSUBSCRIBE) live in slots as keys do.
    if (resp::GetKeys(*route.spec, cmd.argv, &keys_, /*include_not_keys=*/true) !=
        resp::GetKeysOutcome::kKeys) {
      keys_.clear();
    }
    for (const resp::KeyRef& key : keys_) {
      const int key_slot = resp::KeySlot(cmd.argv[key.pos]);
      if (slot >= 0 && key_slot != slot) {
        *refusal = ErrorReply("CROSSSLOT Keys in request don't hash to the same slot");
        if (cross_slot != nullptr) *cross_slot = true;
        return nullptr;
      }
      slot = key_slot;
    }
  }
  if (slot < 0) {
    // Keyless: where the client's connection state is, else slot 0's node.
    if (dedicated_ != nullptr && dedicated_->node() != nullptr) return dedicated_->node();
    slot = 0;
  }
  const config::Endpoint* node = map->NodeOf(static_cast<uint16_t>(slot));
  if (node == nullptr) {
    *refusal = ErrorReply("CLUSTERDOWN Hash slot not served");
  }
  return node;
}

int ClientSession::SlotOfKeys(const Route& route, const Command& cmd) {
  if (route.spec == nullptr ||
      resp::GetKeys(*route.spec, cmd.argv, &keys_, /*include_not_keys=*/true) !=
          resp::GetKeysOutcome::kKeys) {
    return -1;
  }
  int slot = -1;
  for (const resp::KeyRef& key : keys_) {
    const int key_slot = resp::KeySlot(cmd.argv[key.pos]);
    if (slot >= 0 && key_slot != slot) return -2;
    slot = key_slot;
  }
  return slot;
}

bool ClientSession::PubSubServedLocally() const {
  return io_.server().serve_locally() || (cluster_ && SlotServedLocally(0));
}

bool ClientSession::ClusterServesLocally(const Route& route, const Command& cmd, int* held_slot) {
  *held_slot = -1;
  if (in_multi_ && multi_local_) return true;  // the transaction began in the store
  if (SlotsServedLocally() == 0 || route.kind == RouteKind::kLocal) return false;
  if (route.kind == RouteKind::kRelay) {
    // Subscriptions follow slot 0's master, shard channels too (one place for a client's
    // subscriptions): while it is down, this respite's hub serves them, as for one Redis.
    return !relay_ && SlotServedLocally(0);
  }
  // MULTI waits for its first command (PlaceInCluster), which says where the transaction runs.
  if ((route.begins_multi && !in_multi_) || (multi_deferred_ && route.ends_multi)) return false;
  if (route.spec != nullptr && (ClusterGather::GoesToEveryNode(route.spec->name) ||
                                (ClusterGather::LoadsEverywhere(route.spec->name, cmd.argv) &&
                                 SlotsServedLocally() < resp::kClusterSlots))) {
    return false;  // asked of the live masters (and the store) by PlaceInCluster
  }
  const int slot = SlotOfKeys(route, cmd);
  if (dedicated_ != nullptr && (in_multi_ || watching_ || sticky_ || relay_)) {
    // Connection state held upstream stays there, but a key of a slot served locally must not
    // reach a master before that slot's journal does.
    if (slot >= 0 && SlotServedLocally(static_cast<uint16_t>(slot))) *held_slot = slot;
    return false;
  }
  if (slot == -2) return false;  // split by slot or refused (PlaceInCluster)
  return SlotServedLocally(static_cast<uint16_t>(slot < 0 ? 0 : slot));
}

ClientSession::Step ClientSession::RefuseForHeldState(int slot) {
  if (in_multi_ && dedicated_ != nullptr && !multi_broken_) {
    // EXEC will abort: the transaction upstream is discarded now.
    SendInternal(dedicated_, {"DISCARD"});
    multi_broken_ = true;
  }
  CompleteLocal(ErrorReply("TRYAGAIN slot " + std::to_string(slot) +
                           " is served by respite's local store while its master is down, and "
                           "this connection's transaction, WATCH or subscription is on a master"));
  return Step::kNext;
}

bool ClientSession::ClusterArgvServedLocally(const Command& cmd) {
  const int slot = CommandSlot(cmd.argv);
  return slot != -2 && SlotServedLocally(static_cast<uint16_t>(slot < 0 ? 0 : slot));
}

bool ClientSession::PlaceLocallyInCluster(const Route& route, const Command& cmd) {
  static constexpr std::string_view kCrossSlot =
      "CROSSSLOT Keys in request don't hash to the same slot";
  const int slot = SlotOfKeys(route, cmd);
  if (slot == -2) {
    // The journal replays per slot, as Redis Cluster runs transactions: refused as it would.
    if (in_multi_) multi_abort_ = true;
    CompleteLocal(ErrorReply(kCrossSlot));
    return false;
  }
  if (multi_deferred_ && !route.ends_multi) {
    // The transaction MULTI opened begins here, in the store.
    static constexpr std::string_view kMultiArgv[] = {"MULTI"};
    Command multi;
    multi.argv.assign(std::begin(kMultiArgv), std::end(kMultiArgv));
    SubmitToStore(multi, replies_.Reserve(/*discard=*/true, MetaFor(CommandPath::kLocal, false)));
    multi_deferred_ = false;
    multi_local_ = true;
    multi_slot_ = slot;  // a command without keys leaves it to the next one with keys
    multi_abort_ = false;
  } else if (in_multi_ && multi_local_ && !route.ends_multi && slot >= 0) {
    if (multi_slot_ < 0) {
      multi_slot_ = slot;
    } else if (slot != multi_slot_) {
      multi_abort_ = true;
      CompleteLocal(ErrorReply(kCrossSlot));
      return false;
    }
  }
  // Forwarded again meanwhile: what the transaction queued would reach the journal behind
  // writes already forwarded.
  if (in_multi_ && multi_local_ && multi_slot_ >= 0 &&
      !SlotServedLocally(static_cast<uint16_t>(multi_slot_))) {
    multi_abort_ = true;
  }
  if (!route.ends_multi) return true;
  const bool abort = multi_abort_;
  multi_slot_ = -1;
  multi_abort_ = false;
  if (!abort) return true;
  static constexpr std::string_view kDiscardArgv[] = {"DISCARD"};
  Command discard;
  discard.argv.assign(std::begin(kDiscardArgv), std::end(kDiscardArgv));
  SubmitToStore(discard, replies_.Reserve(/*discard=*/true, MetaFor(CommandPath::kLocal, false)));
  const bool exec = route.spec != nullptr && route.spec->name == "exec";
  in_multi_ = watching_ = multi_local_ = false;
  CompleteLocal(exec ? ErrorReply("EXECABORT Transaction discarded because of previous errors.")
                     : std::string("+OK\r\n"));
  return false;
}

bool ClientSession::PlaceInCluster(const Route& route, const Command& cmd,
                                   const config::Endpoint** node, Step* step) {
  // Outside a transaction or relay: KEYS, DBSIZE, SCAN, ... asked of every master; MGET, MSET,
  // DEL, ... over several slots split by slot.
  const bool gatherable =
      route.spec != nullptr && !in_multi_ && !multi_deferred_ && !watching_ && !relay_ && !sticky_;
  if (gatherable && ClusterGather::GoesToEveryNode(route.spec->name)) {
    return Gather(route, cmd, /*every_node=*/true, step);
  }
  if (gatherable && ClusterGather::LoadsEverywhere(route.spec->name, cmd.argv)) {
    return Gather(route, cmd, /*every_node=*/true, step);
  }
  std::string refusal;
  bool cross_slot = false;
  *node = ClusterNodeOf(route, cmd, &refusal, &cross_slot);
  if (*node == nullptr) {
    if (cross_slot && gatherable && ClusterGather::Splits(route.spec->name)) {
      // Parts in slots served locally run on the store, which serves reads only under
      // fallback.mode read-only.
      if (route.spec->Has(resp::kCmdWrite) && io_.server().failover().WritesRefused()) {
        for (const resp::KeyRef& key : keys_) {
          if (SlotServedLocally(resp::KeySlot(cmd.argv[key.pos]))) {
            CompleteLocal(ErrorReply(errors::kReadOnlyFallback));
            return false;
          }
        }
      }
      return Gather(route, cmd, /*every_node=*/false, step);
    }
    CompleteLocal(refusal);
    return false;
  }
  // MULTI is answered here and sent with the transaction's first command, to that command's node.
  if (route.begins_multi && dedicated_ == nullptr) {
    in_multi_ = true;
    multi_local_ = false;
    multi_deferred_ = true;
    CompleteLocal("+OK\r\n");
    return false;
  }
  if (multi_deferred_) {
    if (route.ends_multi) {
      // Nothing was queued: EXEC runs an empty transaction, DISCARD discards it.
      const bool exec = route.spec != nullptr && route.spec->name == "exec";
      multi_deferred_ = in_multi_ = watching_ = false;
      CompleteLocal(exec ? "*0\r\n" : "+OK\r\n");
      return false;
    }
    if (inflight_ > 0) {  // what the client sent before MULTI is answered first
      *step = Step::kWait;
      return false;
    }
    if (EnsureDedicated(false, *node) == nullptr) {
      CompleteLocal(ErrorReply(errors::kMaxDedicated));
      return false;
    }
    SendInternal(dedicated_, {"MULTI"});
    multi_deferred_ = false;
    return true;
  }
  if (dedicated_ != nullptr && !SameNode(dedicated_->node(), *node)) {
    // Connection state lives on the dedicated link's node: the command goes there, and that
    // node's redirect becomes the client's error (OnRedirect).
    if (in_multi_ || watching_ || sticky_ || relay_) {
      *node = dedicated_->node();
      return true;
    }
    if (route.kind == RouteKind::kShared) return true;
    // A link leased for an earlier command only: lease one at this command's node instead.
    if (inflight_ > 0) {
      *step = Step::kWait;
      return false;
    }
    ReleaseDedicatedLink();
  }
  return true;
}

bool ClientSession::Gather(const Route& route, const Command& cmd, bool every_node, Step* step) {
  // In flight at once with the client's other commands to the nodes' shared links.
  if (inflight_ > 0 && inflight_link_ != &kClusterLinks) {
    *step = Step::kWait;
    return false;
  }
  if (dedicated_ != nullptr) ReleaseDedicatedLink();  // leased for an earlier command only
  const bool discard = reply_mode_ != ReplyMode::kOn;
  if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
  const uint64_t tag = replies_.Reserve(discard, MetaFor(CommandPath::kForward, false));
  ++inflight_;
  inflight_link_ = &kClusterLinks;
  std::string refusal;
  const ClusterMap* map = io_.ClusterMapNow();
  if (map == nullptr) {
    refusal = ErrorReply("CLUSTERDOWN respite has no slot map of the cluster yet");
  } else if (every_node) {
    ClusterGather::SendToEveryNode(io_, *map, route.spec->name, cmd.argv, protocol_, user_, this,
                                   tag, &refusal, LocalParts());
  } else {
    ClusterGather::Send(io_, *map, route.spec->name, cmd.argv, protocol_, user_, this, tag,
                        &refusal, LocalParts());
  }
  if (!refusal.empty()) OnReply(tag, refusal);
  return false;
}

ClusterGather::LocalPart ClientSession::LocalParts() {
  if (SlotsServedLocally() == 0 || io_.server().store() == nullptr) return {};
  return [this](std::span<const std::string_view> argv, ReplySink* sink, uint64_t part) {
    if (!local_session_) local_session_ = std::make_shared<storage::LocalSession>();
    StoreExecutor::Request request;
    request.session = local_session_;
    request.argv.assign(argv.begin(), argv.end());
    request.db = db_;
    request.protocol = protocol_;
    IoThread* io = &io_;
    // On the store thread, after the part's commit: back to this io thread (the sink's ref was
    // taken by the gather for this part).
    request.done = [io, sink, part](std::string reply) {
      boost::asio::post(io->context(), [sink, part, reply = std::move(reply)] {
        sink->OnReply(part, reply);
        sink->Release();
      });
    };
    io_.SubmitToStore(std::move(request));
  };
}

void ClientSession::OnRedirect(uint64_t tag, std::string_view reply, std::string_view request) {
  Redirect redirect;
  if (closed_ || !ParseRedirect(reply, &redirect.ask, &redirect.slot, &redirect.to)) {
    OnReply(tag, reply);
    return;
  }
  const bool own_link = dedicated_ != nullptr && inflight_link_ == dedicated_;
  if (own_link || ++redirects_in_a_row_ > kMaxRedirectsInARow) {
    // A transaction, WATCH, subscription or blocking command is tied to its connection's node:
    // the client retries (the map is current now, so a retry outside MULTI goes to `to`).
    if (!redirect.ask) NoteRedirect(io_, redirect);
    redirects_in_a_row_ = 0;
    const std::string slot = std::to_string(redirect.slot), where = redirect.to.ToString();
    OnReply(tag,
            ErrorReply(in_multi_ ? "TRYAGAIN slot " + slot + " is on " + where +
                                       ", not on the node of this transaction: EXEC will "
                                       "abort"
                                 : "TRYAGAIN slot " + slot + " moved to " + where + "; retry"));
    return;
  }
  // Still in flight (inflight_ unchanged). The client's next command waits until nothing is in
  // flight: one for the same slot must not overtake an older one that is still to be redirected.
  inflight_link_ = &kRedirecting;
  FollowRedirect(io_, redirect, protocol_, user_, request, this, tag);
}

}  // namespace respite::proxy
