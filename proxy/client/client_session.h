#pragma once
// One client connection. Reads requests, parses them in place, routes each (router.h), and writes
// the replies back in request order, one write per batch. Tracks the connection state respite
// owns (db, protocol, name, authentication, transaction) so it can be restored on any upstream
// connection. Thread: runs entirely on its IoThread. Lifetime: reference counted; the read
// coroutine holds one reference and every request in flight on an upstream link holds one.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/admin/admin_commands.h"
#include "proxy/client/pubsub_hub.h"
#include "proxy/client/reply_queue.h"
#include "proxy/client/router.h"
#include "proxy/client/subscriptions.h"
#include "proxy/io_buffer.h"
#include "proxy/metrics.h"
#include "proxy/upstream/patience.h"
#include "proxy/upstream/reply_sink.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/key_specs.h"
#include "resp/request_parser.h"
#include "storage/local_session.h"

namespace respite::storage {
class LocalStore;
}
namespace respite::tls {
class ServerContext;
class ServerConnection;
}  // namespace respite::tls

namespace respite::proxy {

class IoThread;
struct DirectoryVisit;

class ClientSession final : public ReplySink {
 public:
  // Creates a session for an accepted socket and starts serving it; over TLS with `tls` (the
  // handshake comes first).
  static void Start(IoThread& io, boost::asio::ip::tcp::socket socket, uint64_t id,
                    std::shared_ptr<tls::ServerContext> tls = nullptr);

  // ReplySink (client_upstream.cpp).
  void OnReply(uint64_t tag, std::string_view reply) override;
  void OnRequestFailed(uint64_t tag, std::string_view error, std::string_view request,
                       bool sent) override;
  void OnLinkClosed(UpstreamLink* link) override;
  void OnRelay(std::string_view reply) override;
  // Cluster mode: a -MOVED or -ASK reply, followed (client_cluster.cpp).
  void OnRedirect(uint64_t tag, std::string_view reply, std::string_view request) override;
  // A message published on the local store to one of this session's subscriptions (PubSubHub):
  // kind is "message", "pmessage" (with its pattern) or "smessage".
  void OnLocalMessage(std::string_view kind, std::string_view pattern, std::string_view channel,
                      std::string_view message);
  void AddRef() override { ++refs_; }
  void Release() override;

  // Stops reading; replies in flight are still delivered, then the connection closes.
  void BeginShutdown();
  // Forces the connection closed now (shutdown deadline passed, idle timeout).
  void ForceClose();
  // A reply from the local store (on this session's io thread); empty when the store dropped the
  // request (the session was forgotten or the store stopped).
  void OnStoreReply(uint64_t tag, std::string_view reply);
  // Instead of a reply: a command that blocked on the local store, handed back at the cutover
  // (StoreExecutor::ReleaseParkedClients), to be sent upstream.
  void ReissueUpstream(uint64_t tag, std::string_view request);
  // The cutover pause is over: dispatch what was held.
  void ResumeAfterPause() { Wake(); }
  // Writes the replies queued since ScheduleFlush (the io thread calls this once per loop turn).
  void FlushNow();
  // Closes the connection if it has been idle longer than the idle timeout.
  // Every tick: closes an idle client; resubscribes a kept subscriber once upstream is back.
  void CheckIdle(uint64_t now_ms);

 private:
  ClientSession(IoThread& io, boost::asio::ip::tcp::socket socket, uint64_t id,
                std::shared_ptr<tls::ServerContext> tls);
  ~ClientSession();

  // kWait: hold until the requests in flight on another link are answered; kPaused: hold until
  // the cutover pause ends.
  enum class Step { kNext, kWait, kPaused, kHeld, kStop };

  boost::asio::awaitable<void> Run();
  void ProcessInput();
  Step Dispatch(const resp::Command& cmd);
  // While a local script runs past busy-reply-threshold: -BUSY, or SCRIPT KILL done at once.
  // False when the command goes to the store as usual.
  bool ScriptBusyReply(const resp::Command& cmd, std::string* reply);
  // Scripts forwarded upstream are remembered by the local store (EVALSHA during an outage).
  void RememberScript(const resp::CommandSpec& spec, const resp::Command& cmd);
  Step Forward(const Route& route, const resp::Command& cmd);
  // Cluster mode (client_cluster.cpp): the node `cmd` goes to, or null with *refusal (the error
  // to answer: keys in several slots, a slot no node serves, a command needing every node).
  // *cross_slot: refused because the keys span slots.
  const config::Endpoint* ClusterNodeOf(const Route& route, const resp::Command& cmd,
                                        std::string* refusal, bool* cross_slot = nullptr);
  // One reply from several nodes (cluster_gather.h): MGET, MSET, DEL, ... over several slots,
  // one command per slot; or with `every_node`, KEYS, DBSIZE, SCAN, ... of every master. False
  // (answered later, or *step says wait).
  bool Gather(const Route& route, const resp::Command& cmd, bool every_node, Step* step);
  // What runs a gathered command's parts for slots served locally on the store (empty when none
  // is): with this client's store session, db and protocol.
  std::function<void(std::span<const std::string_view>, ReplySink*, uint64_t)> LocalParts();
  // Before Forward sends `cmd` in cluster mode: sets *node; false when the command was answered
  // here (refused, or MULTI taken for later) or must wait (*step).
  bool PlaceInCluster(const Route& route, const resp::Command& cmd, const config::Endpoint** node,
                      Step* step);
  // Cluster mode with slots served locally (shard_failover.h): whether the store runs `cmd`
  // (its slot's master is down, or it belongs to a transaction that began in the store).
  // *held_slot: when the client's connection state is upstream (a transaction, WATCH, a
  // subscription) and `cmd`'s slot is served locally, that slot (else -1): refused.
  bool ClusterServesLocally(const Route& route, const resp::Command& cmd, int* held_slot);
  Step RefuseForHeldState(int slot);
  // Whether pub/sub is served by this respite's hub: serving locally, or in cluster mode while
  // slot 0 (where subscriptions live upstream) is served locally.
  bool PubSubServedLocally() const;
  // The same for a request that failed on its way upstream (no route at hand).
  bool ClusterArgvServedLocally(const resp::Command& cmd);
  // The slot of `cmd`'s keys: -1 without keys, -2 over several slots.
  int SlotOfKeys(const Route& route, const resp::Command& cmd);
  // Before a command goes to the store in cluster mode: opens the deferred MULTI there, and
  // keeps a local transaction to one slot that is still served locally. False when `cmd` was
  // answered here.
  bool PlaceLocallyInCluster(const Route& route, const resp::Command& cmd);
  void RunLocal(const Route& route, const resp::Command& cmd);
  // AUTH and HELLO (client_login.cpp). False when the reply comes later: an ACL user's login
  // goes to upstream first. `login_done`: upstream (or, while it is down, respite) accepted it.
  bool Auth(const resp::Command& cmd, std::string* reply);
  bool Hello(const resp::Command& cmd, std::string* reply, bool login_done = false);
  // Whether `cmd` (AUTH or HELLO) logs in as an ACL user other than default.
  static bool NeedsUpstreamLogin(const resp::Command& cmd);
  void StartLogin(const resp::Command& cmd, std::string_view user, std::string_view password,
                  bool hello);
  // The reply to the login's AUTH upstream.
  void FinishLogin(std::string_view reply);
  // The ACL user this client runs as (user_registry.h); 0: default.
  void SetUser(uint32_t user);
  void Select(const resp::Command& cmd, std::string* reply, bool forward_too);
  void ClientReply(const resp::Command& cmd, std::string* reply);

  // CLIENT LIST, INFO, KILL and UNBLOCK about respite's own clients (client_commands.cpp).
  void ClientList(const resp::Command& cmd);
  void ClientKill(const resp::Command& cmd);
  void ClientUnblock(const resp::Command& cmd);
  // This client as one CLIENT LIST line (with its newline), in Redis' format.
  std::string DescribeForList(uint64_t now_ms) const;
  // Runs a command about every client: `visit` on each io thread, then the reply `done` builds
  // (empty: `done` forwarded or submitted the request as `tag` itself) on this session's thread.
  void RunOnAllClients(std::function<DirectoryVisit(IoThread&)> visit,
                       std::function<std::string(std::vector<DirectoryVisit>&, uint64_t tag)> done);
  void ResetState();
  Step BrokenTransaction(const Route& route);
  boost::asio::awaitable<void> WaitWake();

  // Sends `cmd` on `link`, tracked as request `tag`.
  void SendOn(UpstreamLink* link, const resp::Command& cmd, uint64_t tag, Patience patience);
  // Sends a state-restoring request whose reply respite consumes.
  void SendInternal(UpstreamLink* link, std::initializer_list<std::string_view> argv);
  // Completes `tag` with `reply`: records its latency, adds respite's INFO section if asked.
  void Finish(uint64_t tag, std::string_view reply);
  // Meta for the reply of a command read in this turn (see ReplyQueue).
  ReplyMeta MetaFor(CommandPath path, bool info) const {
    return ReplyMeta{read_started_ns_, static_cast<uint8_t>(path), info};
  }
  // A RESPITE subcommand that reads the journal: runs `query` on the store thread.
  void SubmitStoreQuery(std::function<std::string(storage::LocalStore&)> query, uint64_t tag);
  // Runs `cmd` on the local store, tracked as request `tag`.
  // `waited_ms`: how long a blocking command already waited upstream (see StoreExecutor).
  void SubmitToStore(const resp::Command& cmd, uint64_t tag, int64_t waited_ms = 0);

  // The dedicated link (client_upstream.cpp).
  // `select_in_multi`: for a MULTI, a db to restore goes inside the transaction, not before it.
  // `node`: cluster mode, the node it connects to (null: slot 0's).
  UpstreamLink* EnsureDedicated(bool select_in_multi = false,
                                const config::Endpoint* node = nullptr);
  // The connection state this client wants on a dedicated link, and sending what differs.
  UpstreamLink::ConnState WantedConnState() const;
  void SyncDedicated();
  void MaybeReleaseDedicated();
  // Gives the dedicated link back (marked dirty when a transaction or WATCH is open on it).
  void ReleaseDedicatedLink();
  void CompleteLocal(std::string_view reply);
  void Deliver(uint64_t tag, std::string_view reply);
  bool OutputBacklogged() const;
  void ScheduleFlush();
  void Flush();
  void Wake();
  void CloseSocket();
  void Resubscribe();
  // The end of an asynchronous write of writing_: close on failure, else write what came since.
  void WriteDone(bool failed);

  // A TLS client (client_tls.cpp): the handshake, bounded by tls.handshake_timeout_ms (CheckIdle);
  // false when it failed. Reads and writes go through OpenSSL on the same non-blocking socket;
  // `ec` is would_block when the socket must be ready first (tls_read_wait_ says for what).
  boost::asio::awaitable<bool> HandshakeTls();
  size_t ReadTls(char* p, size_t room, boost::system::error_code& ec);
  size_t WriteTls(const char* p, size_t len, boost::system::error_code& ec);
  // Writes writing_ from tls_written_ on, waiting for readiness as OpenSSL asks.
  void ContinueTlsWrite();

  // Local pub/sub (client_pubsub.cpp). Subscriptions live where the commands are served: on the
  // relay link upstream while forwarding, in the PubSubHub while serving locally; they move with
  // the mode (a tick or the next command), and the client sees no confirmation for a move.
  // kWait: requests still in flight on the other side.
  Step PlaceSubscriptions(bool serve_locally);
  void SubscribeLocally();
  void MoveSubscriptionsUpstream();
  void LeaveLocalPubSub();
  // (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE while serving locally.
  void LocalPubSub(const resp::Command& cmd);
  // A RESP2 client subscribed locally may only run what Redis allows in that context; PING
  // answers in its pub/sub form. True when `reply` is that answer.
  bool PubSubContextReply(const resp::Command& cmd, std::string* reply);
  // Where a push goes among the replies still owed: kReply, in its command's place (a
  // subscription confirmation); kAfterReplies, after them (relayed from upstream); kNow, before
  // them (a local message: the store delivers it in order with its replies, so those still owed
  // are of commands that ran after its PUBLISH, and Redis writes it first too).
  enum class PushPlace { kReply, kAfterReplies, kNow };
  // A push: written even under CLIENT REPLY OFF. False when the output buffer limit closed the
  // connection.
  bool AppendPush(std::string_view push, PushPlace place);
  bool Subscribed() const { return subscriptions_.count() > 0; }
  // Mirrors the forwarded write answered by `tag` (if one waits) when `reply` is no error.
  void MirrorIfPending(uint64_t tag, std::string_view reply);

  IoThread& io_;
  boost::asio::ip::tcp::socket socket_;
  // Over TLS: the connection, when its handshake must be done by, which readiness the next read
  // and write wait for, and how much of writing_ went.
  std::unique_ptr<tls::ServerConnection> tls_;
  uint64_t tls_deadline_ms_ = 0;
  boost::asio::socket_base::wait_type tls_read_wait_ = boost::asio::socket_base::wait_read;
  boost::asio::socket_base::wait_type tls_write_wait_ = boost::asio::socket_base::wait_write;
  size_t tls_written_ = 0;
  boost::asio::steady_timer wake_;
  uint64_t id_;
  int refs_ = 1;
  Router router_;
  resp::RequestParser parser_;
  resp::Command cmd_;
  IoBuffer in_;
  std::string out_;
  std::string writing_;
  bool write_active_ = false;
  bool flush_posted_ = false;
  ReplyQueue replies_;

  // Connection state respite owns.
  int db_ = 0;
  int protocol_ = 2;
  std::string name_;
  bool authenticated_ = true;
  AdminGrant admin_grant_;  // what RESPITE's state-changing subcommands need
  uint32_t user_ = 0;       // an ACL user logged in upstream (user_registry.h); 0: default
  struct PendingLogin {
    uint64_t tag = 0;
    std::string user, password;
    std::vector<std::string> hello;  // the HELLO to answer once logged in (empty: AUTH)
  };
  std::optional<PendingLogin> pending_login_;
  bool in_multi_ = false;
  bool watching_ = false;
  // Cluster mode: whether upstream is a cluster; a MULTI respite answered and has not sent yet
  // (it goes with the transaction's first command); redirects followed since the last reply;
  // the keys of the command being placed.
  bool cluster_ = false;
  bool multi_deferred_ = false;
  // A transaction in the store (its slot's master down): its slot (-1 before its first command)
  // and whether EXEC must abort it (a command of another slot, or the slot forwarded again).
  int multi_slot_ = -1;
  bool multi_abort_ = false;
  uint32_t redirects_in_a_row_ = 0;
  std::vector<resp::KeyRef> keys_;
  uint64_t multi_tag_ = 0;    // the reply slot of the MULTI that opened the transaction
  bool multi_local_ = false;  // that MULTI went to the local store
  bool paused_ = false;       // holding commands for the cutover pause
  // The dedicated link died inside MULTI (EXEC answers EXECABORT) or after WATCH (EXEC answers
  // a null array, as if a watched key was touched).
  bool multi_broken_ = false;
  bool watch_broken_ = false;
  bool sticky_ = false;
  // The transaction's db was restored by a SELECT respite queued right after MULTI, so EXEC's
  // reply (the tag) carries its reply first.
  bool select_in_multi_ = false;
  static constexpr uint64_t kNoTag = UINT64_MAX;
  uint64_t exec_strip_tag_ = kNoTag;
  enum class ReplyMode { kOn, kOff, kSkip } reply_mode_ = ReplyMode::kOn;

  // Forwarded requests without a reply yet, and the link they went to. A session never has
  // requests in flight on two links at once: switching links waits (a barrier), so upstream runs
  // one client's commands in the order the client sent them.
  const void* inflight_link_ = nullptr;  // an UpstreamLink, or &kStoreTarget
  // Cluster mode: the per-node shared links, as one target (a client's commands to different
  // nodes, so different slots, may be in flight at once, as from a cluster client; each node
  // gets its commands in the order sent); and a target no command has, so that after a redirect
  // the next command waits until everything in flight was answered (a command must not reach
  // the new node ahead of an older one still to be redirected there).
  static constexpr char kClusterLinks = 0;
  static constexpr char kRedirecting = 0;
  uint64_t inflight_ = 0;
  UpstreamLink* dedicated_ = nullptr;
  bool relay_ = false;
  // A subscriber whose upstream connection died: kept, its commands held, until it is
  // subscribed again on a new connection (once respite forwards again).
  Subscriptions subscriptions_;
  bool resubscribe_pending_ = false;
  std::shared_ptr<LocalSubscriber> local_subscriber_;  // registered in the PubSubHub
  bool held_ = false;
  size_t swallow_confirmations_ = 0;  // the resubscribe's confirmations: the client had its own
  // The client's state in the local store (shared with the store executor thread).
  std::shared_ptr<storage::LocalSession> local_session_;
  // fallback.warm: writes. Forwarded writes waiting for upstream's reply, to be mirrored on the
  // local store once it succeeded: (tag, db, argv), in send order.
  struct MirrorPending {
    uint64_t tag;
    int db;
    std::vector<std::string> argv;
  };
  bool warm_writes_ = false;
  std::deque<MirrorPending> mirror_pending_;
  std::shared_ptr<storage::LocalSession> mirror_session_;

  bool waiting_barrier_ = false;
  bool close_after_replies_ = false;  // QUIT, protocol error
  bool closed_ = false;
  bool stopping_ = false;         // shutdown: read no more
  bool waiting_ = false;          // the read coroutine waits on wake_
  bool maybe_readable_ = true;    // false: the last read drained the socket and nothing ran since
  std::string scratch_;           // re-encoded inline commands and internal requests
  std::string info_reply_;        // an INFO reply with respite's section added
  uint64_t read_started_ns_ = 0;  // when the commands being dispatched were read
  uint64_t last_active_ms_ = 0;

  // For CLIENT LIST and INFO: when it connected, from where, and the last command it sent.
  uint64_t created_ms_ = 0;
  std::string addr_, laddr_;
  int fd_ = -1;
  const resp::CommandSpec* last_spec_ = nullptr;
  std::string last_sub_;  // a container's subcommand ("list" of "client|list"), lower case
  int multi_queued_ = 0;  // commands queued since MULTI
  // The reply slot of a blocking command waiting now (upstream or on the local store), kNoTag:
  // none; CLIENT UNBLOCK ends its wait.
  uint64_t blocked_tag_ = UINT64_MAX;
  bool blocked_locally_ = false;
};

}  // namespace respite::proxy
