// CLIENT LIST, INFO, KILL and UNBLOCK as Redis 7.0 answers them, about respite's own clients and
// with respite's client ids (those CLIENT ID gives), in Redis' formats and error texts. The
// commands that see every client visit each io thread (client_directory.h). CLIENT UNBLOCK ends
// the target's wait where it waits: upstream (CLIENT UNBLOCK of its dedicated connection's id)
// or on the local store.

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <cctype>
#include <charconv>
#include <optional>

#include "proxy/client/client_directory.h"
#include "proxy/client/client_session.h"
#include "proxy/client/session_text.h"
#include "proxy/io_thread.h"
#include "proxy/server.h"
#include "proxy/store_executor.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/command_encoder.h"
#include "resp/reply_writer.h"

namespace respite::proxy {

using namespace session_text;

namespace {

// Marks requests in flight on the client directory (the barrier compares targets).
const char kDirectoryTarget = 0;

// Redis' client types; respite's clients are "normal" or "pubsub".
enum class ClientType { kAny, kNormal, kPubSub, kNone };

std::optional<ClientType> ParseType(std::string_view name) {
  if (IEquals(name, "normal")) return ClientType::kNormal;
  if (IEquals(name, "pubsub")) return ClientType::kPubSub;
  if (IEquals(name, "master") || IEquals(name, "replica") || IEquals(name, "slave")) {
    return ClientType::kNone;  // none of respite's clients is one
  }
  return std::nullopt;
}

// The filters of CLIENT KILL and CLIENT LIST, as parsed on the asking session's thread.
struct Filter {
  ClientType type = ClientType::kAny;
  std::vector<uint64_t> ids;  // any of them (empty: any id)
  std::optional<std::string> addr, laddr, user;
  uint64_t skip_id = 0;  // SKIPME yes: the asking client
};

}  // namespace

std::string ClientSession::DescribeForList(uint64_t now_ms) const {
  std::string flags;
  if (blocked_tag_ != kNoTag) flags += 'b';
  if (Subscribed()) flags += 'P';
  if (in_multi_) flags += 'x';
  if (flags.empty()) flags = "N";
  std::string cmd = "NULL";
  if (last_spec_ != nullptr) {
    cmd.assign(last_spec_->name);
    if (last_spec_->Has(resp::kCmdContainer) && !last_sub_.empty()) cmd += "|" + last_sub_;
  }
  const size_t out_bytes = out_.size() + writing_.size();
  std::string line;
  line.reserve(384);
  line += "id=" + std::to_string(id_);
  line += " addr=" + addr_;
  line += " laddr=" + laddr_;
  line += " fd=" + std::to_string(closed_ ? -1 : fd_);
  line += " name=" + name_;
  line += " age=" + std::to_string((now_ms - std::min(now_ms, created_ms_)) / 1000);
  line += " idle=" + std::to_string((now_ms - std::min(now_ms, last_active_ms_)) / 1000);
  line += " flags=" + flags;
  line += " db=" + std::to_string(db_);
  line += " sub=" + std::to_string(subscriptions_.channels());
  line += " psub=" + std::to_string(subscriptions_.patterns());
  line += " ssub=" + std::to_string(subscriptions_.shard_channels());
  line += " multi=" + std::to_string(in_multi_ ? multi_queued_ : -1);
  line += " qbuf=" + std::to_string(in_.size());
  line += " qbuf-free=" + std::to_string(in_.WritableBytes());
  line += " argv-mem=0 multi-mem=0";
  line += " rbs=" + std::to_string(in_.size() + in_.WritableBytes());
  line += " rbp=0 obl=0 oll=0";
  line += " omem=" + std::to_string(out_bytes);
  line += " tot-mem=" + std::to_string(in_.size() + in_.WritableBytes() + out_bytes);
  line += out_bytes > 0 ? " events=rw" : " events=r";
  line += " cmd=" + cmd;
  line += " user=" + io_.server().users().Name(user_) + " redir=-1";
  line += " resp=" + std::to_string(protocol_);
  line += '\n';
  return line;
}

void ClientSession::RunOnAllClients(
    std::function<DirectoryVisit(IoThread&)> visit,
    std::function<std::string(std::vector<DirectoryVisit>&, uint64_t tag)> done) {
  const bool discard = reply_mode_ != ReplyMode::kOn;
  if (reply_mode_ == ReplyMode::kSkip) reply_mode_ = ReplyMode::kOn;
  const uint64_t tag = replies_.Reserve(discard, MetaFor(CommandPath::kProxy, false));
  ++inflight_;
  inflight_link_ = &kDirectoryTarget;
  AddRef();  // released once the answer is back on this thread
  VisitAllIoThreads(io_.server(), io_, std::move(visit),
                    [this, tag, done = std::move(done)](std::vector<DirectoryVisit> results) {
                      --inflight_;
                      if (!closed_) {
                        const std::string reply = done(results, tag);
                        if (!reply.empty()) Finish(tag, reply);
                        ScheduleFlush();
                      }
                      Wake();
                      Release();
                    });
}

void ClientSession::ClientList(const resp::Command& cmd) {
  auto filter = std::make_shared<Filter>();
  const auto& argv = cmd.argv;
  if (argv.size() == 4 && IEquals(argv[2], "type")) {
    const std::optional<ClientType> type = ParseType(argv[3]);
    if (!type) {
      CompleteLocal(ErrorReply("ERR Unknown client type '" + std::string(argv[3]) + "'"));
      return;
    }
    filter->type = *type;
  } else if (argv.size() > 3 && IEquals(argv[2], "id")) {
    for (size_t i = 3; i < argv.size(); ++i) {
      long long id = 0;
      if (!ParseInt(argv[i], &id)) {
        CompleteLocal(ErrorReply("ERR Invalid client ID"));
        return;
      }
      if (id > 0) filter->ids.push_back(static_cast<uint64_t>(id));
    }
    if (filter->ids.empty()) filter->type = ClientType::kNone;
  } else if (argv.size() != 2) {
    CompleteLocal(ErrorReply("ERR syntax error"));
    return;
  }
  const int protocol = protocol_;
  RunOnAllClients(
      [filter](IoThread& io) {
        DirectoryVisit visit;
        const uint64_t now = io.NowMs();
        for (ClientSession* s : io.sessions()) {
          if (filter->type == ClientType::kNone) break;
          const bool pubsub = s->Subscribed();
          if (filter->type == ClientType::kNormal && pubsub) continue;
          if (filter->type == ClientType::kPubSub && !pubsub) continue;
          if (!filter->ids.empty() &&
              std::find(filter->ids.begin(), filter->ids.end(), s->id_) == filter->ids.end()) {
            continue;
          }
          visit.text += s->DescribeForList(now);
        }
        return visit;
      },
      [protocol](std::vector<DirectoryVisit>& results, uint64_t) {
        std::string text;
        for (const DirectoryVisit& v : results) text += v.text;
        std::string reply;
        resp::ReplyWriter(&reply, protocol).Verbatim("txt", text);
        return reply;
      });
}

void ClientSession::ClientKill(const resp::Command& cmd) {
  auto filter = std::make_shared<Filter>();
  const auto& argv = cmd.argv;
  const bool old_form = argv.size() == 3;
  if (old_form) {
    filter->addr.emplace(argv[2]);
  } else {
    bool skipme = true;
    for (size_t i = 2; i < argv.size(); i += 2) {
      if (i + 1 >= argv.size()) {
        CompleteLocal(ErrorReply("ERR syntax error"));
        return;
      }
      const std::string_view option = argv[i], value = argv[i + 1];
      if (IEquals(option, "id")) {
        long long id = 0;
        if (!ParseInt(value, &id) || id < 1) {
          CompleteLocal(ErrorReply("ERR client-id should be greater than 0"));
          return;
        }
        filter->ids = {static_cast<uint64_t>(id)};
      } else if (IEquals(option, "type")) {
        const std::optional<ClientType> type = ParseType(value);
        if (!type) {
          CompleteLocal(ErrorReply("ERR Unknown client type '" + std::string(value) + "'"));
          return;
        }
        filter->type = *type;
      } else if (IEquals(option, "addr")) {
        filter->addr.emplace(value);
      } else if (IEquals(option, "laddr")) {
        filter->laddr.emplace(value);
      } else if (IEquals(option, "user")) {
        filter->user.emplace(value);
      } else if (IEquals(option, "skipme")) {
        if (IEquals(value, "yes")) {
          skipme = true;
        } else if (IEquals(value, "no")) {
          skipme = false;
        } else {
          CompleteLocal(ErrorReply("ERR syntax error"));
          return;
        }
      } else {
        CompleteLocal(ErrorReply("ERR syntax error"));
        return;
      }
    }
    if (skipme) filter->skip_id = id_;
  }
  const uint64_t self = id_;
  RunOnAllClients(
      [filter, self](IoThread& io) {
        DirectoryVisit visit;
        // Copy: a closing session removes itself from the list.
        const std::vector<ClientSession*> sessions = io.sessions();
        for (ClientSession* s : sessions) {
          if (s->closed_ || (filter->skip_id != 0 && s->id_ == filter->skip_id)) continue;
          const bool pubsub = s->Subscribed();
          if (filter->type == ClientType::kNone ||
              (filter->type == ClientType::kNormal && pubsub) ||
              (filter->type == ClientType::kPubSub && !pubsub)) {
            continue;
          }
          if (!filter->ids.empty() && s->id_ != filter->ids[0]) continue;
          if (filter->addr && s->addr_ != *filter->addr) continue;
          if (filter->laddr && s->laddr_ != *filter->laddr) continue;
          if (filter->user && *filter->user != io.server().users().Name(s->user_)) continue;
          ++visit.matched;
          if (s->id_ == self) {
            s->close_after_replies_ = true;  // Redis answers first, then closes
          } else {
            s->CloseSocket();
          }
        }
        return visit;
      },
      [old_form](std::vector<DirectoryVisit>& results, uint64_t) {
        uint64_t killed = 0;
        for (const DirectoryVisit& v : results) killed += v.matched;
        if (old_form)
          return killed == 0 ? ErrorReply("ERR No such client") : std::string("+OK\r\n");
        return ":" + std::to_string(killed) + "\r\n";
      });
}

void ClientSession::ClientUnblock(const resp::Command& cmd) {
  const auto& argv = cmd.argv;
  bool with_error = false;
  if (argv.size() == 4) {
    if (IEquals(argv[3], "error")) {
      with_error = true;
    } else if (!IEquals(argv[3], "timeout")) {
      CompleteLocal(ErrorReply("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
      return;
    }
  }
  long long target = 0;
  if (!ParseInt(argv[2], &target)) {
    CompleteLocal(ErrorReply("ERR value is not an integer or out of range"));
    return;
  }
  const auto id = static_cast<uint64_t>(target);
  RunOnAllClients(
      [id](IoThread& io) {
        DirectoryVisit visit;
        for (ClientSession* s : io.sessions()) {
          if (s->id_ != id || s->closed_ || s->blocked_tag_ == kNoTag) continue;
          if (s->blocked_locally_) {
            visit.blocked_locally = s->local_session_;
          } else if (s->dedicated_ != nullptr) {
            visit.upstream_client_id = s->dedicated_->upstream_client_id();
          }
        }
        return visit;
      },
      [this, with_error](std::vector<DirectoryVisit>& results, uint64_t tag) -> std::string {
        for (DirectoryVisit& v : results) {
          if (v.upstream_client_id != 0) {
            // Upstream unblocks the connection the client waits on and answers :1 or :0.
            scratch_.clear();
            resp::AppendCommand(&scratch_,
                                {"CLIENT", "UNBLOCK", std::to_string(v.upstream_client_id),
                                 with_error ? "ERROR" : "TIMEOUT"});
            UpstreamLink& link = io_.SharedLink(0, protocol_, user_);
            ++inflight_;
            inflight_link_ = &link;
            link.Send(scratch_, this, tag);
            return {};
          }
          if (v.blocked_locally != nullptr && io_.server().store() != nullptr) {
            StoreExecutor::Request request;
            request.unblock = std::move(v.blocked_locally);
            request.unblock_with_error = with_error;
            ++inflight_;
            inflight_link_ = nullptr;  // replies of the store and of upstream keep their order
            AddRef();                  // released when the store's reply comes back
            request.client = this;
            request.io = &io_;
            request.tag = tag;
            io_.SubmitToStore(std::move(request));
            return {};
          }
        }
        return ":0\r\n";
      });
}

}  // namespace respite::proxy
