#include "tests/support/sentinel_group.h"

#include <fstream>
#include <functional>
#include <string_view>
#include <thread>

#include "tests/support/group_util.h"

namespace respite::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Sentinels and nodes are on loopback: anything slower than this is not answering.
constexpr milliseconds kQuickTimeout(500);

// Polls every 50 ms: each poll opens a few connections, and sentinels change state in seconds.
bool Poll(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return done();
}

// How much of each log Logs() shows: five processes' worth has to stay readable.
constexpr size_t kLogTail = 2048;

// A field of a sentinel's RESP2 "map": a flat array of name, value, name, value...
std::string Field(const redisReply* flat, std::string_view name) {
  if (flat == nullptr || flat->type != REDIS_REPLY_ARRAY) return {};
  for (size_t i = 0; i + 1 < flat->elements; i += 2) {
    if (ReplyText(flat->element[i]) == name) return ReplyText(flat->element[i + 1]);
  }
  return {};
}

uint16_t ParsePort(const std::string& text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  int port = std::stoi(text);
  return port <= 65535 ? static_cast<uint16_t>(port) : 0;
}

// The master's port as the sentinel on `sentinel_port` names it; 0 when it does not answer.
uint16_t AskMasterPort(uint16_t sentinel_port, const std::string& name) {
  Client c(sentinel_port, kQuickTimeout);
  if (!c.ok()) return 0;
  Reply r = c.Command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", name});
  if (!r.IsArray(2)) return 0;
  return ParsePort(ReplyText(r->element[1]));
}

}  // namespace

SentinelGroup::SentinelGroup(std::string master_name, RedisOptions data_options,
                             const Certificates* tls)
    : master_name_(std::move(master_name)), data_options_(std::move(data_options)), tls_(tls) {}

std::vector<std::string> SentinelGroup::TlsArgs() const {
  if (tls_ == nullptr) return {};
  return {"--tls-cert-file",    tls_->File("server.crt"),
          "--tls-key-file",     tls_->File("server.key"),
          "--tls-ca-cert-file", tls_->File("ca.crt"),
          "--tls-auth-clients", "no",
          "--tls-replication",  "yes"};
}

uint16_t SentinelGroup::announced_port(int i) const {
  return tls_ != nullptr ? tls_ports_[i] : nodes_[i]->port();
}

SentinelGroup::~SentinelGroup() {
  // Sentinels first: a sentinel that outlives a node would start reconfiguring the other one.
  for (Sentinel& s : sentinels_) s.process.Kill();
  for (auto& node : nodes_) {
    if (node) node->Kill();
  }
}

std::string SentinelGroup::Start(milliseconds timeout) {
  if (dir_.path().empty()) return "could not create a temp dir";
  const auto deadline = Clock::now() + timeout;

  // Both nodes may end up replicas (node 0 after a failover), so both get the master's
  // credentials. A full sync does not wait the 7.0 default of 5 s for more replicas to join.
  auto options_for = [&](const std::vector<std::string>& more) {
    RedisOptions options = data_options_;
    std::vector<std::string> args = {"--repl-diskless-sync-delay", "0"};
    if (!options.acl_user.empty()) {
      args.insert(args.end(),
                  {"--masteruser", options.acl_user, "--masterauth", options.acl_password});
    } else if (!options.requirepass.empty()) {
      args.insert(args.end(), {"--masterauth", options.requirepass});
    }
    args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
    args.insert(args.end(), more.begin(), more.end());
    options.extra_args = std::move(args);
    return options;
  };

  // TLS mode: a TLS port next to the plain one (which only the test uses).
  const auto tls_for = [&](int i) {
    std::vector<std::string> args = TlsArgs();
    if (tls_ != nullptr) {
      tls_ports_[i] = FreePort();
      args.insert(args.end(), {"--tls-port", std::to_string(tls_ports_[i])});
    }
    return args;
  };
  nodes_[0] = std::make_unique<RedisServer>(options_for(tls_for(0)));
  if (std::string err = nodes_[0]->Start(); !err.empty()) return "master: " + err;
  const uint16_t master_port = announced_port(0);
  std::vector<std::string> replica_args = tls_for(1);
  replica_args.insert(replica_args.end(), {"--replicaof", "127.0.0.1", std::to_string(master_port),
                                           "--replica-announce-ip", "127.0.0.1"});
  nodes_[1] = std::make_unique<RedisServer>(options_for(replica_args));
  if (std::string err = nodes_[1]->Start(); !err.empty()) return "replica: " + err;

  // Sentinels learn the replica from the master's INFO, which lists it only once it is linked.
  bool linked = Poll(
      [&] {
        Reply r = nodes_[1]->Connect(kQuickTimeout).Command({"INFO", "replication"});
        return ReplyText(r.get()).find("master_link_status:up") != std::string::npos;
      },
      TimeLeft(deadline));
  if (!linked) {
    return "replica on port " + std::to_string(nodes_[1]->port()) +
           " did not link to the master within " + std::to_string(timeout.count()) + " ms\n" +
           Logs();
  }

  sentinels_.resize(3);
  for (int i = 0; i < 3; ++i) {
    if (std::string err = StartSentinel(sentinels_[i], i); !err.empty()) {
      return "sentinel " + std::to_string(i) + ": " + err;
    }
  }
  // Sentinels find each other through hello messages on the master, every 2 s.
  if (!Poll([&] { return SentinelsAgree(master_port); }, TimeLeft(deadline))) {
    std::string views;
    for (const Sentinel& s : sentinels_) {
      Client c(s.port, kQuickTimeout);
      views += "sentinel " + std::to_string(s.port) + ": master " +
               c.Command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", master_name_}).Describe() +
               ", replicas " + c.Command({"SENTINEL", "REPLICAS", master_name_}).Describe() +
               ", sentinels " + c.Command({"SENTINEL", "SENTINELS", master_name_}).Describe() +
               "\n";
    }
    return "sentinels did not agree on the group within " + std::to_string(timeout.count()) +
           " ms\n" + views + Logs();
  }
  return {};
}

std::string SentinelGroup::StartSentinel(Sentinel& sentinel, int index) {
  const std::string name = "sentinel-" + std::to_string(index);
  sentinel.config_path = dir_.File(name + ".conf");
  const std::string& m = master_name_;
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    sentinel.port = FreePort();
    if (sentinel.port == 0) return "no free port";
    // Written afresh on every attempt: the sentinel rewrites its file (myid, known peers) and
    // refuses to start without write access to it.
    std::string conf;
    auto line = [&](const std::string& text) { conf += text + "\n"; };
    line("port " + std::to_string(sentinel.port));
    if (tls_ != nullptr) {
      sentinel.tls_port = FreePort();
      line("tls-port " + std::to_string(sentinel.tls_port));
      const std::vector<std::string> args = TlsArgs();
      for (size_t a = 0; a + 1 < args.size(); a += 2) line(args[a].substr(2) + " " + args[a + 1]);
    }
    line("bind 127.0.0.1");
    line("daemonize no");
    line("logfile \"\"");  // stdout, which Process sends to the log file
    line("dir " + dir_.path());
    line("sentinel monitor " + m + " 127.0.0.1 " + std::to_string(announced_port(0)) + " 2");
    line("sentinel down-after-milliseconds " + m + " 1000");
    line("sentinel failover-timeout " + m + " 5000");
    line("sentinel parallel-syncs " + m + " 1");
    if (!data_options_.acl_user.empty()) {
      line("sentinel auth-user " + m + " " + data_options_.acl_user);
      line("sentinel auth-pass " + m + " " + data_options_.acl_password);
    } else if (!data_options_.requirepass.empty()) {
      line("sentinel auth-pass " + m + " " + data_options_.requirepass);
    }
    std::ofstream(sentinel.config_path, std::ios::trunc) << conf;
    // redis-server in sentinel mode is what Debian's redis-sentinel links to.
    std::string err = sentinel.process.Start(
        {data_options_.binary, sentinel.config_path, "--sentinel"}, dir_.File(name + ".log"));
    if (!err.empty()) return err;
    bool up = Poll(
        [&] {
          if (!sentinel.process.Running()) return true;
          return Client(sentinel.port, kQuickTimeout).Command({"PING"}).IsStatus("PONG");
        },
        std::chrono::seconds(10));
    if (up && sentinel.process.Running()) return {};
    last_error = "sentinel on port " + std::to_string(sentinel.port) +
                 " did not answer PING; log:\n" + sentinel.process.Log();
    // Lost the port to another process: the sentinel exits at once. Anything else is real.
    if (sentinel.process.Running()) break;
  }
  sentinel.process.Kill();
  return last_error;
}

bool SentinelGroup::SentinelsAgree(uint16_t master_port) {
  for (const Sentinel& s : sentinels_) {
    Client c(s.port, kQuickTimeout);
    if (!c.ok()) return false;
    Reply addr = c.Command({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", master_name_});
    if (!addr.IsArray(2) || ParsePort(ReplyText(addr->element[1])) != master_port) return false;
    Reply replicas = c.Command({"SENTINEL", "REPLICAS", master_name_});
    if (!replicas || replicas->type != REDIS_REPLY_ARRAY || replicas->elements == 0) return false;
    if (!c.Command({"SENTINEL", "SENTINELS", master_name_}).IsArray(2)) return false;
  }
  return true;
}

std::vector<uint16_t> SentinelGroup::sentinel_ports() const {
  std::vector<uint16_t> ports;
  for (const Sentinel& s : sentinels_) ports.push_back(s.port);
  return ports;
}

std::string SentinelGroup::SentinelAddresses() const {
  std::string out;
  for (const Sentinel& s : sentinels_) {
    out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") +
           std::to_string(tls_ != nullptr ? s.tls_port : s.port);
  }
  return out;
}

RedisServer* SentinelGroup::NodeOnPort(uint16_t port) {
  for (int i = 0; i < 2; ++i) {
    if (nodes_[i] && (nodes_[i]->port() == port || (tls_ != nullptr && tls_ports_[i] == port))) {
      return nodes_[i].get();
    }
  }
  return nullptr;
}

uint16_t SentinelGroup::MasterPort() {
  for (const Sentinel& s : sentinels_) {
    if (uint16_t port = AskMasterPort(s.port, master_name_); port != 0) return port;
  }
  return 0;
}

std::string SentinelGroup::Failover() {
  for (const Sentinel& s : sentinels_) {
    Client c(s.port, kQuickTimeout);
    if (!c.ok()) continue;
    Reply r = c.Command({"SENTINEL", "FAILOVER", master_name_});
    if (!r) continue;
    if (r.IsStatus("OK")) return {};
    if (r.IsError()) return std::string(r->str, r->len);
    return "unexpected reply to SENTINEL FAILOVER: " + r.Describe();
  }
  return "no sentinel answered";
}

bool SentinelGroup::WaitForMaster(uint16_t port, milliseconds timeout) {
  return Poll(
      [&] {
        for (const Sentinel& s : sentinels_) {
          if (AskMasterPort(s.port, master_name_) != port) return false;
        }
        RedisServer* node = NodeOnPort(port);
        Client c = node ? node->Connect(kQuickTimeout) : Client(port, kQuickTimeout);
        Reply role = c.Command({"ROLE"});
        return role && role->type == REDIS_REPLY_ARRAY && role->elements > 0 &&
               ReplyText(role->element[0]) == "master";
      },
      timeout);
}

bool SentinelGroup::WaitForReplica(uint16_t port, milliseconds timeout) {
  return Poll(
      [&] {
        const uint16_t master = MasterPort();
        if (master == 0 || master == port) return false;
        RedisServer* node = NodeOnPort(port);
        Client c = node ? node->Connect(kQuickTimeout) : Client(port, kQuickTimeout);
        std::string info = ReplyText(c.Command({"INFO", "replication"}).get());
        if (info.find("master_port:" + std::to_string(master) + "\r\n") == std::string::npos ||
            info.find("master_link_status:up") == std::string::npos) {
          return false;
        }
        // The sentinels refresh a replica's INFO only every 10 s while the master is up, so
        // their master-link-status may lag the node's; a failover refreshes it every second.
        for (const Sentinel& s : sentinels_) {
          Client sc(s.port, kQuickTimeout);
          Reply replicas = sc.Command({"SENTINEL", "REPLICAS", master_name_});
          if (!replicas || replicas->type != REDIS_REPLY_ARRAY) return false;
          bool listed = false;
          for (size_t i = 0; i < replicas->elements; ++i) {
            const redisReply* r = replicas->element[i];
            std::string flags = Field(r, "flags");
            listed |= ParsePort(Field(r, "port")) == port &&
                      flags.find("s_down") == std::string::npos &&
                      flags.find("disconnected") == std::string::npos;
          }
          if (!listed) return false;
        }
        return true;
      },
      timeout);
}

Client SentinelGroup::ConnectToMaster(milliseconds timeout) {
  const uint16_t port = MasterPort();
  RedisServer* node = NodeOnPort(port);
  return node ? node->Connect(timeout) : Client(port, timeout);
}

std::string SentinelGroup::Logs() const {
  std::string out;
  for (int i = 0; i < 2; ++i) {
    if (!nodes_[i]) continue;
    out += "--- node " + std::to_string(i) + " (port " + std::to_string(nodes_[i]->port()) +
           ") ---\n" + LogTail(ReadFile(nodes_[i]->dir() + "/redis.log")) + "\n";
  }
  for (const Sentinel& s : sentinels_) {
    out +=
        "--- sentinel (port " + std::to_string(s.port) + ") ---\n" + s.process.Log(kLogTail) + "\n";
  }
  return out;
}

}  // namespace respite::test
