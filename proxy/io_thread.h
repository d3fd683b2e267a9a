#pragma once
// One io thread: its io_context, its listening socket (SO_REUSEPORT, so the kernel spreads
// connections over threads), the clients it accepted, and their upstream links (one shared link
// per db and protocol, and a pool of dedicated links). Nothing is shared between io threads except
// the Server's counters. Thread: everything but the constructor, Run and Post* runs on this
// thread.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "proxy/store_executor.h"
#include "proxy/time_util.h"
#include "proxy/upstream/upstream_link.h"

namespace respite::proxy {

class ClientSession;
struct ClusterMap;
class CommandMetrics;
class ReplySink;
class Server;
class UpstreamLink;

class IoThread {
 public:
  IoThread(Server& server, const config::Config& config, int index);
  ~IoThread();

  // Binds the listening socket (with `tls`: the TLS listener's). Throws std::system_error
  // (start-up edge) when it cannot.
  void Listen(const boost::asio::ip::tcp::endpoint& endpoint, bool tls = false);
  // Runs the event loop until Stop(); call on the thread that owns this object.
  void Run();
  // From any thread: stop accepting, let clients finish the replies in flight (bounded by the
  // shutdown timeout), then stop the loop.
  void PostShutdown();

  boost::asio::io_context& context() { return context_; }
  const config::Config& config() const { return config_; }
  Server& server() { return server_; }
  // This thread's command counters and latency histograms (written only by this thread).
  CommandMetrics& metrics() { return *metrics_; }
  // A monotonic timestamp taken once per batch of completions (an upstream read, a batch of
  // store replies), so that a pipeline of replies costs one clock read, not one per reply.
  uint64_t batch_now_ns() const { return batch_now_ns_; }
  void StampBatch() { batch_now_ns_ = MonotonicNs(); }
  int index() const { return index_; }
  // Monotonic milliseconds (steady clock).
  uint64_t NowMs() const;
  // The same, as of the last tick (100 ms granularity): cheap enough to stamp every request.
  uint64_t CoarseNowMs();

  // The shared link for clients of `db` speaking `protocol` (and logged in upstream as ACL user
  // `user`, 0: the upstream URL's user); created on first use.
  UpstreamLink& SharedLink(int db, int protocol, uint32_t user = 0);
  // Cluster mode: the slot map now (null before the first), taken anew only when a newer one was
  // published; valid until the next call.
  const ClusterMap* ClusterMapNow();
  // Cluster mode: the shared link to cluster node `node` (db 0), created on first use.
  UpstreamLink& NodeLink(const config::Endpoint& node, int protocol, uint32_t user = 0);
  // Leases a dedicated link to `owner`: a pooled idle one already in state `wanted` when there is
  // one, else another pooled one, else a new one. The owner brings it to its own connection state
  // (its conn_state()) before its own requests. nullptr when upstream.max_dedicated links are in
  // use (counted server-wide; ReleaseDedicated gives one back).
  // In cluster mode `node` says which node it must connect to (only idle links to it are reused).
  UpstreamLink* AcquireDedicated(ReplySink* owner, const UpstreamLink::ConnState& wanted = {},
                                 const config::Endpoint* node = nullptr);
  // Gives a lease back. A link with no requests in flight is pooled in the state it is in (RESET
  // first when dirty), or closed when the pool is full; one with requests in flight (a blocked
  // BLPOP) is closed.
  void ReleaseDedicated(UpstreamLink* link);
  // Queues RESET (and respite's own AUTH) on `link`: its connection state is the default again.
  void ResetLink(UpstreamLink* link);

  // Queues a client whose replies are ready; every queued client is flushed once at the end of
  // this turn of the event loop (one post for all of them). The caller holds a reference that
  // the flush releases.
  void ScheduleClientFlush(ClientSession* session);

  // Queues a request for the local store; the requests queued during one turn of the event loop
  // reach the store together (one lock and one wake-up for the batch, and a bigger group commit).
  // Order is kept: a session's requests reach the store in the order it queued them.
  void SubmitToStore(StoreExecutor::Request request);

  // A script body forwarded upstream (EVAL, SCRIPT LOAD; with `library`, FUNCTION LOAD's code):
  // handed to the local store once, to be remembered there so EVALSHA (FCALL) of it works
  // during an outage.
  void RememberScript(std::string_view body, bool library = false);

  // From any thread: closes every upstream link of this thread (their requests fail or, when
  // never sent, run locally).
  void PostCloseUpstreamLinks(std::string reason);
  // Cluster mode: the same for the links to one node (a master marked down).
  void PostCloseNodeLinks(config::Endpoint node, std::string reason);
  // From any thread: a future that is ready once this thread ran everything posted before it,
  // its queued store requests submitted.
  std::future<void> PostAndSignal();
  // From any thread: wakes every session (the cutover pause ended).
  void PostWakeAllSessions();

  void AddSession(ClientSession* session);
  void RemoveSession(ClientSession* session);
  size_t session_count() const { return sessions_.size(); }
  // This thread's clients (on this thread only; a session removes itself when it ends).
  const std::vector<ClientSession*>& sessions() const { return sessions_; }

  // Held while handling one read (a client's requests, a batch of upstream replies, a batch of
  // store replies). With one client on this thread there is nothing to batch with, so the
  // upstream writes, store requests and reply flushes that read asked for run when the scope
  // closes instead of in posted handlers, each of which would cost a turn of the event loop (an
  // extra epoll_wait) per request. With more clients it does nothing.
  class DirectFlushScope {
   public:
    explicit DirectFlushScope(IoThread& io);
    ~DirectFlushScope();
    DirectFlushScope(const DirectFlushScope&) = delete;
    DirectFlushScope& operator=(const DirectFlushScope&) = delete;

   private:
    IoThread& io_;
    bool active_;
  };
  bool direct_flush() const { return direct_flush_; }
  // In a direct-flush scope: flush `link` (of generation `gen`) when the scope closes.
  void DeferLinkFlush(UpstreamLink* link, uint64_t gen);
  bool shutting_down() const { return shutting_down_; }
  // Whether a failed client TLS handshake may be logged now (at most one a second per thread).
  bool MayLogTlsFailure();

 private:
  void Accept(boost::asio::ip::tcp::acceptor& acceptor, bool tls);
  // Answers and closes a connection refused at accept (protected mode, max_clients); false when
  // it is taken (and counted in the server's clients). On the TLS listener the refusal closes
  // without an answer (plain text there would only be a TLS error to the client).
  bool Refused(boost::asio::ip::tcp::socket& socket, bool tls);
  void Tick();
  // Every upstream link of this thread: shared, ACL users' shared, dedicated.
  void ForEachLink(const std::function<void(UpstreamLink&)>& f);
  void Shutdown();
  void FlushStoreOutbox();
  void EndDirectFlush();
  // Flushes every client in dirty_, moved to *scratch first: a posted flush and a direct one
  // each use their own, so neither empties the list the other is walking.
  void FlushDirtyClients(std::vector<ClientSession*>* scratch);

  Server& server_;
  const config::Config& config_;
  int index_;
  boost::asio::io_context context_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::acceptor tls_acceptor_;
  boost::asio::steady_timer ticker_;
  uint64_t tls_failure_logged_ms_ = 0;
  CommandMetrics* metrics_;
  uint64_t batch_now_ns_ = 0;
  std::array<std::array<std::unique_ptr<UpstreamLink>, 2>, 16> shared_;
  std::vector<std::unique_ptr<UpstreamLink>> user_shared_;
  std::vector<std::unique_ptr<UpstreamLink>> node_shared_;  // cluster mode
  std::shared_ptr<const ClusterMap> cluster_map_;
  uint64_t cluster_map_version_ = 0;
  // Every dedicated link ever made here; links are reused, never destroyed while running, because
  // their coroutines may still hold them after a close.
  std::vector<std::unique_ptr<UpstreamLink>> dedicated_;
  std::vector<UpstreamLink*> idle_dedicated_;
  std::vector<ClientSession*> sessions_;
  std::vector<ClientSession*> dirty_;
  std::vector<ClientSession*> flushing_;
  bool dirty_posted_ = false;
  bool direct_flush_ = false;
  std::vector<std::pair<UpstreamLink*, uint64_t>> deferred_links_;
  std::vector<ClientSession*> direct_flushing_;
  std::vector<StoreExecutor::Request> store_outbox_;
  bool store_flush_posted_ = false;
  // Hashes of the script bodies this thread already handed to the store (bounded: cleared when
  // full, which only costs the store a lookup per script seen again).
  std::unordered_set<size_t> remembered_scripts_;
  bool shutting_down_ = false;
  uint64_t coarse_now_ms_ = 0;
  uint64_t shutdown_deadline_ms_ = 0;
};

}  // namespace respite::proxy
