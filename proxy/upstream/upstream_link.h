#pragma once
// One TCP connection to upstream Redis (TLS for a rediss:// URL). Shared links multiplex the
// stateless commands of every client on an io thread: requests are pipelined in one write per
// batch, replies are matched back in order and handed over as bytes. Dedicated links serve one
// client that needs connection state (MULTI/WATCH, blocking commands); in relay mode (pub/sub,
// MONITOR, tracking) every reply and push message goes to the owner as it arrives. Thread: every
// method runs on the owning IoThread's io_context; nothing here is thread-safe.

#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/io_buffer.h"
#include "proxy/ring_queue.h"
#include "proxy/upstream/patience.h"
#include "resp/reply_scanner.h"

namespace respite::proxy {

class IoThread;
class ReplySink;

class UpstreamLink {
 public:
  enum class Kind { kShared, kDedicated };

  // `db` and `protocol` (2 or 3) are set up in the connection handshake (shared links only; a
  // dedicated link's owner sends its own state). `user`: a shared link of an ACL user respite's
  // clients logged in as (user_registry.h) authenticates as that user; 0: with the upstream
  // URL's credentials.
  // `node`: cluster mode, the node this link connects to (null: the upstream, or in Sentinel
  // mode its current master); -MOVED and -ASK replies then go to the sink's OnRedirect.
  UpstreamLink(IoThread& io, Kind kind, int db, int protocol, uint32_t user = 0,
               const config::Endpoint* node = nullptr);
  ~UpstreamLink();
  UpstreamLink(const UpstreamLink&) = delete;
  UpstreamLink& operator=(const UpstreamLink&) = delete;

  // Queues one request (complete RESP bytes). Its reply goes to sink->OnReply(tag, ...), or
  // OnRequestFailed(tag, ...) if the link fails first; `sink` is AddRef'ed until then. A null sink
  // marks an internal request (state restore): an error reply to it fails the link. `patience`
  // other than kNormal exempts the request from the request timeout and the stall watch (while
  // respite forwards). Connects on first use; while the last connect failed recently, fails the
  // request at once instead of hanging.
  void Send(std::string_view request, ReplySink* sink, uint64_t tag,
            Patience patience = Patience::kNormal);
  // A flush ScheduleFlush() posted, or IoThread::DirectFlushScope deferred: runs unless the link
  // reconnected since.
  void FlushScheduled(uint64_t gen);
  // Relay mode: queues a request whose replies (any number) go to the owner's OnRelay.
  void SendUntracked(std::string_view request);
  // Queues `count` requests of respite's own whose replies must not be errors (else the link
  // fails), or, with `any_reply`, whose replies are dropped whatever they are.
  void SendInternalBatch(std::string_view requests, size_t count, bool any_reply = false);

  // Dedicated links: the client that leases it (notified by OnLinkClosed), and relay mode.
  void SetOwner(ReplySink* owner) { owner_ = owner; }
  ReplySink* owner() const { return owner_; }
  void SetRelay(bool relay) { relay_ = relay; }
  bool relay() const { return relay_; }

  Kind kind() const { return kind_; }
  // Dedicated links: the connection state respite set up upstream for its owners. Kept while the
  // link is pooled, so that a next owner in the same state restores nothing (no SELECT upstream
  // counts, none refused with -BUSY while a script runs). Defaults on a new connection.
  struct ConnState {
    int db = 0;
    int protocol = 2;
    uint32_t user = 0;  // user_registry.h; 0: the upstream URL's
    std::string name;
    bool operator==(const ConnState&) const = default;
  };
  ConnState& conn_state() { return conn_state_; }
  // An owner sent something that may change the connection's state in ways not tracked above
  // (SELECT inside MULTI, an unknown command): RESET it before anyone else uses it.
  void SetDirty(bool dirty) { dirty_ = dirty; }
  bool dirty() const { return dirty_; }
  // Dedicated links: upstream's own id for this connection (CLIENT ID at connect), 0 if unknown.
  // CLIENT UNBLOCK of a respite client blocked here names this id upstream.
  uint64_t upstream_client_id() const { return upstream_client_id_; }
  // Cluster mode: the node it connects to (null otherwise). SetNode: a dedicated link leased
  // for another node (closed first if connected elsewhere).
  const config::Endpoint* node() const { return node_.port != 0 ? &node_ : nullptr; }
  void SetNode(const config::Endpoint& node);
  int db() const { return db_; }
  int protocol() const { return protocol_; }
  uint32_t user() const { return user_; }
  size_t pending() const { return pending_.size(); }
  bool connected() const { return state_ == State::kReady; }
  // True when the link failed and has not reconnected; its requests fail fast.
  bool down() const;

  // Called by the io thread's ticker: fails the link if its oldest non-blocking request has waited
  // longer than the request timeout.
  void CheckTimeout(uint64_t now_ms);

  // Closes the connection; pending requests fail with `reason`.
  void Close(std::string_view reason);

 private:
  enum class State { kIdle, kConnecting, kReady, kClosed };
  // What to do with the reply to a request respite sent for itself (sink == nullptr).
  enum class Internal : uint8_t { kExpectOk, kHelloVersion, kLearnCommands, kClientId, kAnyReply };
  struct Pending {
    ReplySink* sink;
    uint64_t tag;
    uint64_t sent_ms;
    Patience patience;
    Internal internal = Internal::kExpectOk;
    uint32_t len = 0;       // request bytes (to hand back requests when the link dies)
    bool retained = false;  // its bytes are in retained_
  };

  void Connect();
  void StartReading();
  void ScheduleFlush();
  void Flush();
  void Deliver(std::string_view reply, char type);
  void HandleInternal(const Pending& p, std::string_view reply);
  void EnsureConnected();
  // Closes the connection and fails what is pending. `upstream_fault`: upstream misbehaved
  // (refused, reset, timed out), which the failover state machine hears about at once.
  void Fail(std::string_view reason, std::string_view client_error, bool upstream_fault = true);

  IoThread& io_;
  Kind kind_;
  config::Endpoint node_;  // port 0: not a cluster node's link
  int db_;
  int protocol_;
  uint32_t user_;
  State state_ = State::kIdle;
  uint64_t generation_ = 0;  // bumped on every close, so stale callbacks can tell
  uint64_t down_until_ms_ = 0;
  // Health evidence (stall_board.h): since when requests have waited here without a reply.
  size_t stall_slot_;
  uint64_t waiting_since_ms_ = 0;
  // Publishes whether requests wait unanswered; `progressed`: a reply (or part of one) just came;
  // `restart`: a long write just ended, so the wait for its reply starts now.
  void UpdateWaiting(bool progressed, bool restart = false);
  // Long-running requests (Patience::kLong) in pending_, published to the stall board while > 0.
  uint32_t long_pending_ = 0;
  uint64_t last_reply_ms_ = 0;  // steady clock, from the io thread's batch stamp
  void CountLong(int delta);
  std::string last_error_;
  boost::asio::ip::tcp::socket socket_;
  // The TLS layer over socket_ on a rediss:// upstream (null otherwise). Shared with the
  // operations in flight, which may complete after the link moved on to a new connection.
  struct TlsStream;
  std::shared_ptr<TlsStream> tls_;
  RingQueue<Pending> pending_;
  std::string out_;      // requests queued while a write is in flight or before connect
  std::string writing_;  // the batch being written
  // Bytes of the requests in pending_ (in order), kept until answered so that, when the link
  // dies, each can be handed back to its client (a read may then run locally). Requests over
  // kRetainLimit are not kept (their `retained` is false).
  std::string retained_;
  size_t retained_begin_ = 0;
  bool write_active_ = false;
  bool flush_posted_ = false;
  IoBuffer in_;
  resp::ReplyScanner scanner_;
  ReplySink* owner_ = nullptr;
  bool relay_ = false;
  uint64_t upstream_client_id_ = 0;
  ConnState conn_state_;
  bool dirty_ = false;
};

}  // namespace respite::proxy
