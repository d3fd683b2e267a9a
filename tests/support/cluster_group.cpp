#include "tests/support/cluster_group.h"

#include <filesystem>
#include <optional>

#include "tests/support/group_util.h"
#include "tests/support/wait.h"

namespace respite::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kSlots = 16384;
// Nodes are on loopback: anything slower than this is not answering.
constexpr milliseconds kQuickTimeout(500);
// MIGRATE is given 5 s per batch; the client waits a little longer for its reply.
constexpr milliseconds kMigrateTimeout(7000);
// SETSLOT NODE reaches replicas by gossip, which pings each peer at least every node timeout / 2.
constexpr milliseconds kAgreementTimeout(10000);

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A command that must answer +OK; empty on success, otherwise what went wrong.
std::string ExpectOk(Client& c, const std::vector<std::string>& argv) {
  Reply r = c.Command(argv);
  if (r.IsStatus("OK")) return {};
  std::string command;
  for (const std::string& a : argv) command += (command.empty() ? "" : " ") + a;
  return command + ": " + (r ? r.Describe() : c.error());
}

}  // namespace

ClusterGroup::ClusterGroup(int masters, int replicas_per_master, const Certificates* tls,
                           ClusterNodeOptions node_options)
    : masters_(masters),
      replicas_per_master_(replicas_per_master),
      tls_(tls),
      node_options_(node_options) {}

ClusterGroup::~ClusterGroup() {
  for (auto& node : nodes_) {
    if (node) node->Kill();
  }
}

std::string ClusterGroup::StartNode(int i) {
  const std::string config = dir_.File("nodes-" + std::to_string(i) + ".conf");
  std::string last_error;
  for (int attempt = 0; attempt < 3; ++attempt) {
    // The bus port defaults to port + 10000, past 65535 for ports above 55535 (Linux hands out
    // up to 60999), and Redis then refuses to start; so it gets a free port of its own.
    const uint16_t bus_port = FreePort();
    if (bus_port == 0) return "no free port";
    // A node that lost its bus port may have written an id there; start afresh.
    std::error_code ignored;
    std::filesystem::remove(config, ignored);
    RedisOptions options;
    // --repl-diskless-sync-delay 0: a replica's first sync starts at once, not after 5 s of
    // waiting for more replicas to join it.
    options.extra_args = {"--cluster-enabled", "yes", "--cluster-config-file", config};
    options.extra_args.insert(
        options.extra_args.end(),
        {"--cluster-port", std::to_string(bus_port), "--cluster-node-timeout", "2000",
         "--appendonly", "no", "--save", "", "--repl-diskless-sync-delay", "0"});
    if (!node_options_.require_full_coverage) {
      options.extra_args.insert(options.extra_args.end(),
                                {"--cluster-require-full-coverage", "no"});
    }
    // Later arguments win: this overrides the "--appendonly no" above. The AOF lives in the
    // node's own dir, which RedisServer keeps (and repairs) across Restart().
    if (node_options_.persistent) {
      options.extra_args.insert(options.extra_args.end(),
                                {"--appendonly", "yes", "--appendfsync", "always"});
    }
    if (tls_ != nullptr) {
      tls_ports_[i] = FreePort();
      options.extra_args.insert(
          options.extra_args.end(),
          {"--tls-port", std::to_string(tls_ports_[i]), "--tls-cert-file", tls_->File("server.crt"),
           "--tls-key-file", tls_->File("server.key"), "--tls-ca-cert-file", tls_->File("ca.crt"),
           "--tls-auth-clients", "no", "--tls-cluster", "yes", "--tls-replication", "yes"});
    }
    nodes_[i] = std::make_unique<RedisServer>(std::move(options));
    last_error = nodes_[i]->Start();
    if (last_error.empty()) return {};
  }
  return last_error;
}

std::string ClusterGroup::Start(milliseconds timeout) {
  if (dir_.path().empty()) return "could not create a temp dir";
  if (masters_ < 3) return "redis-cli --cluster create needs at least 3 masters";
  const auto deadline = Clock::now() + timeout;

  nodes_.resize(masters_ * (1 + replicas_per_master_));
  tls_ports_.assign(nodes_.size(), 0);
  for (int i = 0; i < size(); ++i) {
    if (std::string err = StartNode(i); !err.empty())
      return "node " + std::to_string(i) + ": " + err;
  }
  std::vector<std::string> create = {"--cluster", "create"};
  for (int i = 0; i < size(); ++i) create.push_back("127.0.0.1:" + std::to_string(port(i)));
  create.insert(create.end(),
                {"--cluster-replicas", std::to_string(replicas_per_master_), "--cluster-yes"});
  if (std::string err = RunCli(create, "create", TimeLeft(deadline)); !err.empty()) {
    return "redis-cli --cluster create: " + err + "\n" + Logs();
  }
  // redis-cli picks the masters; with every node on one address they are the first ones listed,
  // which SeedAddresses() relies on.
  for (int i = 0; i < masters_; ++i) {
    if (!IsMaster(i)) {
      return "node " + std::to_string(i) + " is not a master after create\n" + DescribeState();
    }
  }
  const bool ready = WaitFor(
      [&] {
        return WaitForOk(milliseconds(0)) && WaitForAgreement(milliseconds(0)) && ReplicasLinked();
      },
      TimeLeft(deadline));
  if (!ready) {
    return "the cluster was not ready within " + std::to_string(timeout.count()) + " ms\n" +
           DescribeState() + Logs();
  }
  return {};
}

std::string ClusterGroup::SeedAddresses() const {
  std::string out;
  for (int i = 0; i < masters_ && i < size(); ++i) {
    const uint16_t seed = tls_ != nullptr ? tls_ports_[i] : port(i);
    out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(seed);
  }
  return out;
}

std::string ClusterGroup::NodeId(int i) {
  return ReplyText(nodes_[i]->Connect(kQuickTimeout).Command({"CLUSTER", "MYID"}).get());
}

bool ClusterGroup::IsMaster(int i) {
  Reply role = nodes_[i]->Connect(kQuickTimeout).Command({"ROLE"});
  return role && role->type == REDIS_REPLY_ARRAY && role->elements > 0 &&
         ReplyText(role->element[0]) == "master";
}

int ClusterGroup::IndexOfPort(uint16_t port) const {
  for (int i = 0; i < size(); ++i) {
    if (nodes_[i] && nodes_[i]->port() == port) return i;
  }
  return -1;
}

std::vector<uint16_t> ClusterGroup::SlotMap(int i) {
  Reply r = nodes_[i]->Connect(kQuickTimeout).Command({"CLUSTER", "SLOTS"});
  if (!r || r->type != REDIS_REPLY_ARRAY) return {};
  std::vector<uint16_t> owners(kSlots, 0);
  // Each range: start, end, then the master as [ip, port, id], then its replicas.
  for (size_t e = 0; e < r->elements; ++e) {
    const redisReply* range = r->element[e];
    if (range->type != REDIS_REPLY_ARRAY || range->elements < 3) continue;
    const redisReply* master = range->element[2];
    if (master->type != REDIS_REPLY_ARRAY || master->elements < 2) continue;
    const long long first = range->element[0]->integer;
    const long long last = range->element[1]->integer;
    for (long long slot = first; slot <= last && slot >= 0 && slot < kSlots; ++slot) {
      owners[slot] = static_cast<uint16_t>(master->element[1]->integer);
    }
  }
  return owners;
}

uint16_t ClusterGroup::SlotOf(const std::string& key) {
  for (int i = 0; i < size(); ++i) {
    Reply r = nodes_[i]->Connect(kQuickTimeout).Command({"CLUSTER", "KEYSLOT", key});
    if (r && r->type == REDIS_REPLY_INTEGER) return static_cast<uint16_t>(r->integer);
  }
  return kSlots;
}

int ClusterGroup::NodeForSlot(uint16_t slot) {
  if (slot >= kSlots) return -1;
  for (int i = 0; i < size(); ++i) {
    std::vector<uint16_t> owners = SlotMap(i);
    if (!owners.empty()) return IndexOfPort(owners[slot]);
  }
  return -1;
}

int ClusterGroup::SlotCount(int i) {
  if (i < 0 || i >= size()) return -1;
  for (int n = 0; n < size(); ++n) {
    std::vector<uint16_t> owners = SlotMap(n);
    if (owners.empty()) continue;
    int count = 0;
    for (uint16_t owner : owners) count += owner == port(i) ? 1 : 0;
    return count;
  }
  return -1;
}

Client ClusterGroup::ConnectToKeyOwner(const std::string& key) {
  const int owner = NodeForKey(key);
  // Port 0 refuses, which leaves the client !ok() as promised.
  return owner >= 0 ? nodes_[owner]->Connect() : Client(uint16_t{0}, kQuickTimeout);
}

bool ClusterGroup::WaitForOk(milliseconds timeout) {
  return WaitFor(
      [&] {
        for (auto& node : nodes_) {
          if (!node->process().Running()) continue;
          Reply r = node->Connect(kQuickTimeout).Command({"CLUSTER", "INFO"});
          if (!Contains(ReplyText(r.get()), "cluster_state:ok")) return false;
        }
        return true;
      },
      timeout);
}

bool ClusterGroup::WaitForAgreement(milliseconds timeout) {
  return WaitFor(
      [&] {
        std::vector<uint16_t> first;
        for (int i = 0; i < size(); ++i) {
          if (!nodes_[i]->process().Running()) continue;
          std::vector<uint16_t> owners = SlotMap(i);
          if (owners.empty()) return false;
          for (uint16_t owner : owners) {
            if (owner == 0) return false;
          }
          if (first.empty()) {
            first = std::move(owners);
          } else if (owners != first) {
            return false;
          }
        }
        return true;
      },
      timeout);
}

bool ClusterGroup::ReplicasLinked() {
  for (auto& node : nodes_) {
    std::string info =
        ReplyText(node->Connect(kQuickTimeout).Command({"INFO", "replication"}).get());
    if (Contains(info, "role:slave") && !Contains(info, "master_link_status:up")) return false;
  }
  return true;
}

std::string ClusterGroup::MoveEnds(uint16_t slot, int to_node, int* source) {
  if (slot >= kSlots) return "no slot " + std::to_string(slot);
  if (to_node < 0 || to_node >= size()) return "no node " + std::to_string(to_node);
  *source = NodeForSlot(slot);
  if (*source < 0) return "no node knows who serves slot " + std::to_string(slot);
  if (*source == to_node) {
    return "slot " + std::to_string(slot) + " is already on node " + std::to_string(to_node);
  }
  if (!IsMaster(to_node)) return "node " + std::to_string(to_node) + " is not a master";
  return {};
}

std::string ClusterGroup::MigrateKeys(uint16_t slot, int source, int target) {
  Client c = nodes_[source]->Connect(kMigrateTimeout);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    Reply keys = c.Command({"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"});
    if (!keys || keys->type != REDIS_REPLY_ARRAY) {
      return "CLUSTER GETKEYSINSLOT: " + (keys ? keys.Describe() : c.error());
    }
    if (keys->elements == 0) return {};
    std::vector<std::string> migrate = {
        "MIGRATE", "127.0.0.1", std::to_string(port(target)), "", "0", "5000", "KEYS"};
    for (size_t k = 0; k < keys->elements; ++k) migrate.push_back(ReplyText(keys->element[k]));
    Reply r = c.Command(migrate);
    // NOKEY: the keys expired or were deleted since GETKEYSINSLOT.
    if (!r.IsStatus("OK") && !r.IsStatus("NOKEY")) {
      return "MIGRATE to port " + std::to_string(port(target)) + ": " +
             (r ? r.Describe() : c.error());
    }
  }
  return "slot " + std::to_string(slot) + " still had keys after 60 s of MIGRATE";
}

std::string ClusterGroup::BeginMoveSlot(uint16_t slot, int to_node) {
  int source = -1;
  if (std::string err = MoveEnds(slot, to_node, &source); !err.empty()) return err;
  const std::string source_id = NodeId(source);
  const std::string target_id = NodeId(to_node);
  if (source_id.empty() || target_id.empty()) return "CLUSTER MYID got no answer";
  // The target first: once the source is MIGRATING it answers -ASK for keys it lacks, and the
  // target takes ASKING only for a slot it imports.
  Client target = nodes_[to_node]->Connect(kQuickTimeout);
  const std::string slot_text = std::to_string(slot);
  if (std::string err = ExpectOk(target, {"CLUSTER", "SETSLOT", slot_text, "IMPORTING", source_id});
      !err.empty()) {
    return "target: " + err;
  }
  Client from = nodes_[source]->Connect(kQuickTimeout);
  if (std::string err = ExpectOk(from, {"CLUSTER", "SETSLOT", slot_text, "MIGRATING", target_id});
      !err.empty()) {
    return "source: " + err;
  }
  return MigrateKeys(slot, source, to_node);
}

std::string ClusterGroup::FinishMoveSlot(uint16_t slot, int to_node) {
  int source = -1;
  if (std::string err = MoveEnds(slot, to_node, &source); !err.empty()) return err;
  if (std::string err = MigrateKeys(slot, source, to_node); !err.empty()) return err;
  const std::string target_id = NodeId(to_node);
  if (target_id.empty()) return "CLUSTER MYID got no answer";
  // Target, then source, then the other masters, as CLUSTER SETSLOT's documentation orders it:
  // the target bumps its config epoch, so its claim wins wherever gossip carries it; the rest
  // learn it now rather than a gossip round later.
  std::vector<int> order = {to_node, source};
  for (int i = 0; i < size(); ++i) {
    if (i != to_node && i != source && nodes_[i]->process().Running() && IsMaster(i)) {
      order.push_back(i);
    }
  }
  for (int i : order) {
    Client c = nodes_[i]->Connect(kQuickTimeout);
    if (std::string err =
            ExpectOk(c, {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", target_id});
        !err.empty()) {
      return "node " + std::to_string(i) + ": " + err;
    }
  }
  if (!WaitForAgreement(kAgreementTimeout) || NodeForSlot(slot) != to_node) {
    return "the nodes did not agree that slot " + std::to_string(slot) + " is on node " +
           std::to_string(to_node) + "\n" + DescribeState();
  }
  return {};
}

std::string ClusterGroup::MoveSlot(uint16_t slot, int to_node) {
  if (std::string err = BeginMoveSlot(slot, to_node); !err.empty()) return err;
  return FinishMoveSlot(slot, to_node);
}

std::string ClusterGroup::Reshard(int from, int to, int slots) {
  if (from < 0 || from >= size() || to < 0 || to >= size()) return "no such node";
  const std::string from_id = NodeId(from);
  const std::string to_id = NodeId(to);
  if (from_id.empty() || to_id.empty()) return "CLUSTER MYID got no answer";
  std::string err = RunCli(
      {"--cluster", "reshard", "127.0.0.1:" + std::to_string(port(from)), "--cluster-from", from_id,
       "--cluster-to", to_id, "--cluster-slots", std::to_string(slots), "--cluster-yes"},
      "reshard", std::chrono::seconds(120));
  if (!err.empty()) return "redis-cli --cluster reshard: " + err;
  if (!WaitForAgreement(kAgreementTimeout)) {
    return "the nodes did not agree on the slots after the reshard\n" + DescribeState();
  }
  return {};
}

std::string ClusterGroup::RunCli(const std::vector<std::string>& args, const std::string& log_name,
                                 milliseconds timeout) {
  const std::string log =
      dir_.File("redis-cli-" + std::to_string(++cli_runs_) + "-" + log_name + ".log");
  std::vector<std::string> argv = {"redis-cli"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  std::optional<ExitStatus> status = RunToCompletion(argv, log, timeout, &error);
  if (!status) return error + "; output:\n" + LogTail(ReadFile(log));
  if (!status->Success()) return status->ToString() + "; output:\n" + LogTail(ReadFile(log));
  return {};
}

std::string ClusterGroup::DescribeState() {
  std::string out;
  std::string nodes;
  for (int i = 0; i < size(); ++i) {
    Client c = nodes_[i]->Connect(kQuickTimeout);
    std::string info = ReplyText(c.Command({"CLUSTER", "INFO"}).get());
    out += "node " + std::to_string(i) + " (port " + std::to_string(port(i)) +
           "): " + (c.ok() ? info.substr(0, info.find('\r')) : "no answer: " + c.error()) + ", " +
           (IsMaster(i) ? "master" : "not a master") + "\n";
    if (nodes.empty()) nodes = ReplyText(c.Command({"CLUSTER", "NODES"}).get());
  }
  return out + "CLUSTER NODES:\n" + nodes;
}

std::string ClusterGroup::Logs() const {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    if (!nodes_[i]) continue;
    out += "--- node " + std::to_string(i) + " (port " + std::to_string(nodes_[i]->port()) +
           ") ---\n" + LogTail(ReadFile(nodes_[i]->dir() + "/redis.log")) + "\n";
  }
  return out;
}

}  // namespace respite::test
