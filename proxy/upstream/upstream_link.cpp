#include "proxy/upstream/upstream_link.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>

#include "proxy/errors.h"
#include "proxy/failover/failover.h"
#include "proxy/io_thread.h"
#include "proxy/server.h"
#include "proxy/upstream/reply_sink.h"
#include "proxy/upstream/sentinel_watcher.h"
#include "proxy/upstream/stall_board.h"
#include "resp/command_encoder.h"
#include "resp/command_table.h"
#include "tls/client_context.h"

namespace respite::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {
// After a failed connect, requests fail at once for this long instead of reconnecting each time.
constexpr uint64_t kReconnectBackoffMs = 100;
// Requests up to this size are kept until answered (to run them locally if the link dies).
constexpr size_t kRetainLimit = 64 * 1024;

// Errors to respite's own setup (AUTH, HELLO, SELECT, ...) that mean upstream cannot serve
// (DESIGN.md "Health and failure detection"); any other error is a sign of life.
bool SetupErrorMeansDown(std::string_view error) {
  for (std::string_view prefix : {"LOADING", "MASTERDOWN", "NOAUTH", "WRONGPASS", "READONLY"}) {
    if (error.starts_with(prefix)) return true;
  }
  return false;
}
}  // namespace

struct UpstreamLink::TlsStream {
  TlsStream(tcp::socket socket, SSL* ssl, std::shared_ptr<tls::ClientContext> context_in)
      : stream(std::move(socket), ssl), context(std::move(context_in)) {}
  // The connection's own socket (moved out of the link's): an operation of this stream still
  // completing after the link reconnected can never touch the next connection.
  asio::ssl::stream<tcp::socket> stream;
  // The context this connection's SSL calls back into (session tickets arrive after the
  // handshake), kept alive even when a SIGHUP has replaced it.
  std::shared_ptr<tls::ClientContext> context;
  // TLS reads land here, not in the link's buffer: the stream decrypts into the caller's buffer
  // only when its read completes, which may be after the link closed and dropped that buffer.
  std::array<char, 16 * 1024> buffer;
};

UpstreamLink::UpstreamLink(IoThread& io, Kind kind, int db, int protocol, uint32_t user,
                           const config::Endpoint* node)
    : io_(io),
      kind_(kind),
      node_(node != nullptr ? *node : config::Endpoint{}),
      db_(db),
      protocol_(protocol),
      user_(user),
      stall_slot_(io.server().stall_board().Claim()),
      socket_(io.context()) {}

UpstreamLink::~UpstreamLink() = default;

void UpstreamLink::SetNode(const config::Endpoint& node) {
  if (node_.host == node.host && node_.port == node.port) return;
  if (state_ != State::kIdle) Close("moved to another cluster node");
  node_ = node;
}

bool UpstreamLink::down() const {
  return state_ == State::kIdle && down_until_ms_ != 0 && io_.NowMs() < down_until_ms_;
}

void UpstreamLink::Send(std::string_view request, ReplySink* sink, uint64_t tag,
                        Patience patience) {
  if (down()) {
    if (sink) {
      std::string error(errors::kUpstreamUnavailable);
      error += last_error_;
      sink->OnRequestFailed(tag, error, request, /*sent=*/false);
    }
    return;
  }
  if (sink) sink->AddRef();
  const bool retain = sink != nullptr && request.size() <= kRetainLimit;
  pending_.push_back(Pending{sink, tag, io_.CoarseNowMs(), patience, Internal::kExpectOk,
                             static_cast<uint32_t>(request.size()), retain});
  if (patience == Patience::kLong) CountLong(+1);
  if (retain) retained_.append(request);
  out_.append(request);
  EnsureConnected();
  if (waiting_since_ms_ == 0) UpdateWaiting(false);
}

void UpstreamLink::SendUntracked(std::string_view request) {
  out_.append(request);
  EnsureConnected();
}

void UpstreamLink::SendInternalBatch(std::string_view requests, size_t count, bool any_reply) {
  const uint64_t now = io_.CoarseNowMs();
  // Only the first carries the length: the requests are handed back whole, never split.
  for (size_t i = 0; i < count; ++i) {
    pending_.push_back(Pending{nullptr, 0, now, Patience::kNormal,
                               any_reply ? Internal::kAnyReply : Internal::kExpectOk,
                               i == 0 ? static_cast<uint32_t>(requests.size()) : 0u});
  }
  out_.append(requests);
  EnsureConnected();
}

void UpstreamLink::EnsureConnected() {
  if (state_ == State::kIdle) {
    Connect();
  } else if (state_ == State::kReady) {
    ScheduleFlush();
  }
}

void UpstreamLink::Connect() {
  state_ = State::kConnecting;
  const uint64_t gen = generation_;
  asio::co_spawn(
      io_.context(),
      [this, gen]() -> asio::awaitable<void> {
        const auto& up = io_.config().upstream;
        // Sentinel mode: the master the sentinels named last; cluster mode: this link's node.
        config::UpstreamUrl target = CurrentUpstream(up.parsed);
        if (node_.port != 0) {
          target.host = node_.host;
          target.port = node_.port;
        }
        if (target.host.empty()) {
          Fail("no master known: the sentinels have named none yet", {});
          co_return;
        }
        tcp::resolver resolver(io_.context());
        auto [rec, endpoints] = co_await resolver.async_resolve(
            target.host, std::to_string(target.port), asio::as_tuple(asio::use_awaitable));
        if (gen != generation_) co_return;
        if (rec) {
          Fail("cannot resolve " + target.host + ": " + rec.message(), {});
          co_return;
        }
        asio::steady_timer timer(io_.context());
        timer.expires_after(std::chrono::milliseconds(up.connect_timeout_ms));
        auto result = co_await (
            asio::async_connect(socket_, endpoints, asio::as_tuple(asio::use_awaitable)) ||
            timer.async_wait(asio::as_tuple(asio::use_awaitable)));
        if (gen != generation_) co_return;
        if (result.index() == 1) {
          Fail("connect timed out after " + std::to_string(up.connect_timeout_ms) + " ms", {});
          co_return;
        }
        auto [cec, ep] = std::get<0>(result);
        if (cec) {
          Fail(cec.message(), {});
          co_return;
        }
        if (node_.port == 0) {  // a cluster's nodes are many: /status shows the slot map
          const asio::ip::address address = ep.address();
          const std::string host = address.to_string();
          io_.server().SetUpstreamAddress((address.is_v6() ? "[" + host + "]" : host) + ":" +
                                          std::to_string(ep.port()));
        }
        boost::system::error_code ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        if (up.parsed.tls) {
          std::shared_ptr<tls::ClientContext> context = tls::UpstreamContext();
          std::string error = "no TLS context";
          SSL* ssl = context != nullptr ? context->NewConnection(target.host, &error) : nullptr;
          if (ssl == nullptr) {
            Fail("TLS: " + error, {});
            co_return;
          }
          auto stream = std::make_shared<TlsStream>(std::move(socket_), ssl, context);
          socket_ = tcp::socket(io_.context());
          tls_ = stream;
          timer.expires_after(std::chrono::milliseconds(up.connect_timeout_ms));
          auto shake =
              co_await (stream->stream.async_handshake(asio::ssl::stream_base::client,
                                                       asio::as_tuple(asio::use_awaitable)) ||
                        timer.async_wait(asio::as_tuple(asio::use_awaitable)));
          if (gen != generation_) co_return;
          if (shake.index() == 1) {
            context->HandshakeTimedOut();
            Fail("TLS handshake timed out after " + std::to_string(up.connect_timeout_ms) +
                     " ms (does upstream serve TLS on this port?)",
                 {});
            co_return;
          }
          if (auto [hec] = std::get<0>(shake); hec) {
            Fail("TLS handshake failed: " + context->HandshakeFailed(stream->stream.native_handle(),
                                                                     target.host, hec.message()),
                 {});
            co_return;
          }
          context->Completed(stream->stream.native_handle());
        } else {
          socket_.non_blocking(true, ignored);  // Flush writes directly first; never block
        }

        // The handshake goes ahead of the requests queued while connecting.
        std::string hello;
        std::vector<Pending> internal;
        const uint64_t now = io_.NowMs();
        std::string user_name, user_password;
        if (user_ != 0 && !io_.server().users().Credentials(user_, &user_name, &user_password)) {
          Fail("no client of ACL user " + io_.server().users().Name(user_) + " is connected", {},
               /*upstream_fault=*/false);
          co_return;
        }
        if (!up.parsed.password.empty()) {
          if (up.parsed.user.empty()) {
            resp::AppendCommand(&hello, {"AUTH", up.parsed.password});
          } else {
            resp::AppendCommand(&hello, {"AUTH", up.parsed.user, up.parsed.password});
          }
          internal.push_back({nullptr, 0, now, Patience::kNormal});
        }
        if (kind_ == Kind::kShared) {
          // HELLO also tells which Redis version respite fronts (for clients' own HELLO).
          resp::AppendCommand(&hello, {"HELLO", protocol_ == 3 ? "3" : "2"});
          internal.push_back({nullptr, 0, now, Patience::kNormal, Internal::kHelloVersion});
          if (db_ != 0) {
            resp::AppendCommand(&hello, {"SELECT", std::to_string(db_)});
            internal.push_back({nullptr, 0, now, Patience::kNormal});
          }
          if (protocol_ == 2 && io_.server().ClaimCommandLearning()) {
            resp::AppendCommand(&hello, {"COMMAND"});
            internal.push_back({nullptr, 0, now, Patience::kNormal, Internal::kLearnCommands});
          }
        }
        if (kind_ == Kind::kDedicated) {
          resp::AppendCommand(&hello, {"CLIENT", "ID"});
          internal.push_back({nullptr, 0, now, Patience::kNormal, Internal::kClientId});
        }
        if (user_ != 0) {
          // A user's link, set up as respite's own user first: its clients logged in upstream as
          // that user, which need not be allowed HELLO or SELECT (as in Redis, where a client
          // keeps its db when it logs in).
          resp::AppendCommand(&hello, {"AUTH", user_name, user_password});
          internal.push_back({nullptr, 0, now, Patience::kNormal});
        }
        out_.insert(0, hello);
        for (auto it = internal.rbegin(); it != internal.rend(); ++it) pending_.push_front(*it);
        state_ = State::kReady;
        down_until_ms_ = 0;
        UpdateWaiting(false);
        StartReading();
        ScheduleFlush();
      },
      asio::detached);
}

void UpstreamLink::StartReading() {
  const uint64_t gen = generation_;
  asio::co_spawn(
      io_.context(),
      [this, gen]() -> asio::awaitable<void> {
        // Holds the TLS layer until this read returns, even if the link closed meanwhile.
        const std::shared_ptr<TlsStream> tls = tls_;
        for (;;) {
          char* p = tls != nullptr ? nullptr : in_.WritePtr(16 * 1024);
          auto [ec, n] =
              tls != nullptr
                  ? co_await tls->stream.async_read_some(asio::buffer(tls->buffer),
                                                         asio::as_tuple(asio::use_awaitable))
                  : co_await socket_.async_read_some(asio::buffer(p, in_.WritableBytes()),
                                                     asio::as_tuple(asio::use_awaitable));
          if (gen != generation_) co_return;
          if (ec) {
            Fail(ec == asio::error::eof ? "connection closed by upstream" : ec.message(),
                 errors::kUpstreamLost);
            co_return;
          }
          if (tls != nullptr) std::memcpy(in_.WritePtr(n), tls->buffer.data(), n);
          in_.Commit(n);
          io_.StampBatch();
          // Bytes of a reply still coming in (a 64 MB GET) are signs of life too.
          if (waiting_since_ms_ != 0) UpdateWaiting(true);
          IoThread::DirectFlushScope direct(io_);
          for (;;) {
            auto status = scanner_.Scan(in_.Data());
            if (status == resp::ScanStatus::kNeedMore) break;
            if (status == resp::ScanStatus::kError) {
              Fail("protocol error from upstream: " + scanner_.error(), errors::kUpstreamLost);
              co_return;
            }
            const size_t len = scanner_.reply_len();
            Deliver(in_.Data().substr(0, len), scanner_.reply_type());
            if (gen != generation_) co_return;
            in_.Consume(len);
          }
          if (in_.size() == 0) in_.ShrinkIfIdle();
        }
      },
      asio::detached);
}

void UpstreamLink::Deliver(std::string_view reply, char type) {
  if (pending_.empty() || (type == '>' && relay_)) {
    if (relay_ && owner_) {
      owner_->OnRelay(reply);
    } else {
      SPDLOG_DEBUG("dropping unsolicited upstream message ({} bytes)", reply.size());
    }
    return;
  }
  if (type == '>') {
    // A push on a link that is not relaying (cannot happen with the routing rules); it does not
    // answer any request.
    SPDLOG_DEBUG("dropping push message on a non-relay link");
    return;
  }
  Pending p = pending_.front();
  pending_.pop_front();
  // Cluster mode: a redirect takes the request's bytes along, to be sent again elsewhere.
  std::string redirected;
  const bool redirect = node_.port != 0 && p.sink != nullptr && p.retained && reply.size() > 5 &&
                        reply[0] == '-' &&
                        (reply.starts_with("-MOVED ") || reply.starts_with("-ASK "));
  // The node says the cluster is down where it stands: it ran nothing and serves none of its
  // slots (a master without a replica died and cluster-require-full-coverage is yes).
  const bool cluster_down = node_.port != 0 && p.sink != nullptr && p.retained &&
                            reply.starts_with("-CLUSTERDOWN The cluster is down");
  if (redirect || cluster_down) redirected.assign(retained_, retained_begin_, p.len);
  if (p.patience == Patience::kLong) CountLong(-1);
  last_reply_ms_ = io_.batch_now_ns() / 1'000'000;
  UpdateWaiting(true);
  if (p.retained) {
    retained_begin_ += p.len;
    if (retained_begin_ == retained_.size()) {
      retained_.clear();
      retained_begin_ = 0;
    } else if (retained_begin_ > 64 * 1024 && retained_begin_ * 2 > retained_.size()) {
      retained_.erase(0, retained_begin_);
      retained_begin_ = 0;
    }
  }
  if (p.sink == nullptr) {
    HandleInternal(p, reply);
    return;
  }
  if (redirect) {
    p.sink->OnRedirect(p.tag, reply, redirected);
  } else if (cluster_down) {
    // Its slots go local at once, and the request runs there as one that never reached
    // upstream. What this link has in flight behind it could still run should the node recover
    // meanwhile, overtaking it: failed now, with an unknown outcome (other links of the node
    // close themselves on their own -CLUSTERDOWN).
    io_.server().failover().ReportNodeFailure(node_, "-CLUSTERDOWN", /*close_links=*/false);
    const std::string error(reply.substr(1, reply.size() - 3));
    p.sink->OnRequestFailed(p.tag, error, redirected, /*sent=*/false);
    p.sink->Release();
    Fail("the cluster is down at this node", errors::kUpstreamLost, /*upstream_fault=*/false);
    return;
  } else {
    p.sink->OnReply(p.tag, reply);
  }
  p.sink->Release();
}

void UpstreamLink::HandleInternal(const Pending& p, std::string_view reply) {
  if (p.internal == Internal::kAnyReply) return;
  if (!reply.empty() && reply[0] == '-') {
    if (p.internal == Internal::kLearnCommands) {
      io_.server().ReleaseCommandLearning();
      return;  // COMMAND may be renamed or denied by ACL: the built-in table is enough
    }
    if (p.internal == Internal::kClientId) {
      upstream_client_id_ = 0;  // denied by an ACL, renamed, or -BUSY: CLIENT UNBLOCK cannot reach
      return;
    }
    std::string text(reply.substr(1, reply.size() - 3));
    // A user's link refused (its password changed upstream): that user's problem, not upstream's.
    if (!SetupErrorMeansDown(text) || user_ != 0) {
      // Upstream is alive and said no (-BUSY while a script runs, an out-of-range SELECT): the
      // requests behind the setup get what upstream said, as they would from Redis, and the next
      // request connects again. Redis read them in the same turn and answered each the same way.
      SPDLOG_DEBUG("upstream refused connection setup: {}", text);
      Fail("upstream refused connection setup: " + text, text, /*upstream_fault=*/false);
      return;
    }
    spdlog::error("upstream rejected connection setup: {}", text);
    Fail("upstream rejected connection setup: " + text,
         std::string(errors::kUpstreamUnavailable) + text);
    return;
  }
  if (p.internal == Internal::kClientId) {
    uint64_t id = 0;
    if (reply.size() > 3 && reply[0] == ':') {
      std::from_chars(reply.data() + 1, reply.data() + reply.size() - 2, id);
    }
    upstream_client_id_ = id;
    return;
  }
  if (p.internal == Internal::kHelloVersion) {
    // The reply is a map (RESP3) or flat array (RESP2) with "version" followed by a bulk string.
    constexpr std::string_view kKey = "$7\r\nversion\r\n$";
    const size_t at = reply.find(kKey);
    if (at == std::string_view::npos) return;
    const size_t len_at = at + kKey.size();
    const size_t crlf = reply.find("\r\n", len_at);
    if (crlf == std::string_view::npos) return;
    size_t len = 0;
    for (size_t i = len_at; i < crlf; ++i) len = len * 10 + static_cast<size_t>(reply[i] - '0');
    if (crlf + 2 + len <= reply.size()) {
      io_.server().SetUpstreamVersion(std::string(reply.substr(crlf + 2, len)));
    }
  } else if (p.internal == Internal::kLearnCommands) {
    std::vector<resp::CommandSpec> specs;
    std::vector<std::unique_ptr<std::string>> names;
    if (!resp::ParseCommandReply(reply, &specs, &names)) {
      spdlog::warn("could not parse upstream's COMMAND reply; using the built-in table only");
      return;
    }
    size_t learned = 0;
    for (const resp::CommandSpec& spec : specs) {
      if (resp::CommandTable::Instance().Learn(spec)) ++learned;
    }
    if (learned > 0) spdlog::info("learned {} commands from upstream", learned);
  }
}

void UpstreamLink::ScheduleFlush() {
  if (flush_posted_ || write_active_ || out_.empty()) return;
  flush_posted_ = true;
  if (io_.direct_flush()) {
    io_.DeferLinkFlush(this, generation_);
    return;
  }
  // Posting lets every client served in this turn of the event loop join one write.
  asio::post(io_.context(), [this, gen = generation_] { FlushScheduled(gen); });
}

void UpstreamLink::FlushScheduled(uint64_t gen) {
  flush_posted_ = false;
  if (gen != generation_ || state_ != State::kReady) return;
  Flush();
}

void UpstreamLink::Flush() {
  if (write_active_ || out_.empty()) return;
  // Try the write now; only what the socket does not take waits for an asynchronous write. A TLS
  // record cannot be half written by a non-blocking call and resumed later: always asynchronous.
  boost::system::error_code ec = asio::error::would_block;
  size_t n = 0;
  if (tls_ == nullptr) n = socket_.write_some(asio::buffer(out_), ec);
  if (!ec && n == out_.size()) {
    out_.clear();
    return;
  }
  if (ec && ec != asio::error::would_block) {
    Fail(ec.message(), errors::kUpstreamLost);
    return;
  }
  write_active_ = true;
  writing_.assign(out_, ec ? 0 : n);
  out_.clear();
  const uint64_t gen = generation_;
  auto done = [this, gen, tls = tls_](boost::system::error_code ec, size_t) {
    (void)tls;  // the TLS layer lives until its write returns
    if (gen != generation_) return;
    write_active_ = false;
    writing_.clear();
    if (ec) {
      Fail(ec.message(), errors::kUpstreamLost);
      return;
    }
    // Upstream took a long write (a 64 MB SET): its reply can only start now.
    if (waiting_since_ms_ != 0) UpdateWaiting(false, /*restart=*/true);
    Flush();
  };
  if (tls_ != nullptr) {
    asio::async_write(tls_->stream, asio::buffer(writing_), std::move(done));
  } else {
    asio::async_write(socket_, asio::buffer(writing_), std::move(done));
  }
}

void UpstreamLink::UpdateWaiting(bool progressed, bool restart) {
  // Only requests written to a ready connection count (a connect has its own timeout), and not
  // blocking ones, which may wait as long as the client asked.
  const bool waiting = state_ == State::kReady && !pending_.empty() &&
                       pending_.front().patience == Patience::kNormal;
  if (!waiting) {
    if (waiting_since_ms_ != 0) {
      waiting_since_ms_ = 0;
      io_.server().stall_board().Set(stall_slot_, 0);
    }
    return;
  }
  if (waiting_since_ms_ != 0 && !progressed && !restart) return;
  // A reply just came: the read that brought it stamped the io thread's batch clock, so a
  // pipeline of replies costs no clock read each. A wait that begins now (the first request
  // on an idle link) reads the clock: an older stamp would make the wait look longer.
  const uint64_t since = progressed ? io_.batch_now_ns() / 1'000'000 : io_.NowMs();
  if (since == waiting_since_ms_) return;  // most replies of a pipeline: nothing to publish
  waiting_since_ms_ = since;
  io_.server().stall_board().Set(stall_slot_, waiting_since_ms_);
}

void UpstreamLink::CountLong(int delta) {
  const uint32_t before = long_pending_;
  long_pending_ = static_cast<uint32_t>(static_cast<int64_t>(long_pending_) + delta);
  if ((before == 0) != (long_pending_ == 0)) {
    io_.server().stall_board().SetLong(stall_slot_, long_pending_ == 0 ? 0 : io_.NowMs());
  }
}

void UpstreamLink::CheckTimeout(uint64_t now_ms) {
  if (pending_.empty() || state_ == State::kIdle) return;
  const Pending& front = pending_.front();
  const uint64_t limit = io_.config().upstream.request_timeout_ms;
  // Counted from the later of its sending and the last reply: a request that waited behind a
  // long one has its own time once that one is answered.
  const uint64_t since = std::max(front.sent_ms, last_reply_ms_);
  if (now_ms - std::min(now_ms, since) <= limit || front.patience == Patience::kBlocking) return;
  // Slow is not dead: a long command may run as long as it runs while respite forwards (the
  // health checks tell a dead upstream), and so may what waits beside it meanwhile.
  if (front.patience == Patience::kLong && !io_.server().serve_locally()) return;
  if (front.patience == Patience::kNormal && io_.server().stall_board().SilenceExplained(now_ms)) {
    return;
  }
  spdlog::warn("upstream request timed out after {} ms; closing the connection", limit);
  Fail("request timed out after " + std::to_string(limit) + " ms", errors::kUpstreamLost);
}

void UpstreamLink::Close(std::string_view reason) {
  Fail(reason, errors::kUpstreamLost, /*upstream_fault=*/false);
}

void UpstreamLink::Fail(std::string_view reason, std::string_view client_error,
                        bool upstream_fault) {
  const bool connecting = state_ == State::kConnecting;
  // Before connecting nothing was written: out_ holds the pending requests, in order.
  std::string unsent;
  if (connecting || state_ == State::kIdle) unsent.swap(out_);
  ++generation_;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  if (tls_ != nullptr) {
    tls_->stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    tls_->stream.lowest_layer().close(ignored);
  }
  tls_.reset();  // operations still in flight hold their own reference
  state_ = State::kIdle;
  write_active_ = false;
  flush_posted_ = false;
  out_.clear();
  in_ = IoBuffer();
  scanner_.Reset();
  relay_ = false;
  upstream_client_id_ = 0;
  conn_state_ = ConnState{};
  dirty_ = false;
  last_error_ = std::string(reason);
  std::string error(client_error);
  if (connecting) {
    // Nothing was sent: say plainly that upstream cannot be reached, and fail fast for a while.
    down_until_ms_ = io_.NowMs() + kReconnectBackoffMs;
    error = std::string(errors::kUpstreamUnavailable) + last_error_;
    SPDLOG_DEBUG("upstream connect failed: {}", last_error_);
  } else if (!pending_.empty() && upstream_fault) {
    spdlog::warn("upstream connection lost ({}), {} requests failed", reason, pending_.size());
  } else if (!pending_.empty()) {
    SPDLOG_DEBUG("upstream connection closed ({}), {} requests failed", reason, pending_.size());
  }
  // Let the failover state machine switch first, so that the requests failing below can run
  // locally when it does.
  if (upstream_fault && node_.port != 0) {
    io_.server().failover().ReportNodeFailure(node_, reason);
  } else if (upstream_fault) {
    io_.server().failover().ReportUpstreamFailure(reason);
  }
  RingQueue<Pending> failed;
  failed.swap(pending_);
  if (long_pending_ != 0) CountLong(-static_cast<int>(long_pending_));
  UpdateWaiting(false);
  std::string retained;
  retained.swap(retained_);
  size_t kept = retained_begin_;
  retained_begin_ = 0;
  size_t offset = 0;
  for (size_t i = 0; i < failed.size(); ++i) {
    const Pending& p = failed[i];
    std::string_view bytes;
    bool sent = true;
    if (!unsent.empty() && offset + p.len <= unsent.size()) {
      bytes = std::string_view(unsent).substr(offset, p.len);
      sent = false;
    } else if (p.retained && kept + p.len <= retained.size()) {
      bytes = std::string_view(retained).substr(kept, p.len);
    }
    offset += p.len;
    if (p.retained) kept += p.len;
    if (p.sink == nullptr) continue;
    p.sink->OnRequestFailed(p.tag, error, bytes, sent);
    p.sink->Release();
  }
  if (owner_) owner_->OnLinkClosed(this);
}

}  // namespace respite::proxy
