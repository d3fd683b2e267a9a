#pragma once
// A real Redis Cluster for tests: `masters` masters with `replicas_per_master` replicas each, every
// node a redis-server on a free 127.0.0.1 port, joined by `redis-cli --cluster create` (Debian's
// redis-tools). Node timeout 2 s, no persistence unless ClusterNodeOptions asks for it. Each node
// has its own dir, cluster config file and bus port, kept across RedisServer::Restart(), so a
// restarted node rejoins as itself (with its data when persistent). Slots move by hand (MoveSlot;
// Begin/FinishMoveSlot hold a slot mid-migration, where clients get -ASK) or by
// `redis-cli --cluster reshard`. Everything is killed on destruction. Used from the test's main
// thread only. With certificates every node also serves TLS (tls-port, tls-cluster): a TLS
// client's CLUSTER SLOTS then names TLS ports, while the test's own checks use the plain ones.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/certificates.h"
#include "tests/support/client.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace respite::test {

// How every node of a ClusterGroup runs, beyond what all of them get (cluster mode, node timeout
// 2 s). The defaults are Redis's own behaviour, as every test had before these options.
struct ClusterNodeOptions {
  // cluster-require-full-coverage: when false, the masters still up keep serving their slots
  // while a dead master's slots have no one to serve them. Default: true.
  bool require_full_coverage = true;
  // appendonly yes, appendfsync always: every write a node acknowledged survives its SIGKILL, and
  // RedisServer::Restart() loads it back. Default: false (no persistence at all).
  bool persistent = false;
};

class ClusterGroup {
 public:
  // Nodes 0..masters-1 start as the masters; the replicas follow them in the node list.
  // `tls`: certificates (server.crt for 127.0.0.1, signed by ca.crt) for TLS mode; it must
  // outlive the group.
  explicit ClusterGroup(int masters = 3, int replicas_per_master = 0,
                        const Certificates* tls = nullptr, ClusterNodeOptions node_options = {});
  ~ClusterGroup();
  ClusterGroup(const ClusterGroup&) = delete;
  ClusterGroup& operator=(const ClusterGroup&) = delete;

  // Starts every node, creates the cluster, and waits until every node says cluster_state:ok,
  // every node's CLUSTER SLOTS covers all 16384 slots with the same owners, and every replica's
  // link to its master is up. Returns an empty string on success, otherwise the error and the
  // logs.
  std::string Start(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  int size() const { return static_cast<int>(nodes_.size()); }
  RedisServer& node(int i) { return *nodes_[i]; }
  uint16_t port(int i) const { return nodes_[i]->port(); }
  // "127.0.0.1:P1,127.0.0.1:P2,..." of the initial masters (their TLS ports in TLS mode).
  std::string SeedAddresses() const;
  // CLUSTER MYID of node `i`; empty when it does not answer.
  std::string NodeId(int i);

  // The key's hash slot as CLUSTER KEYSLOT on the first node that answers says; 16384 (no slot)
  // when none answers.
  uint16_t SlotOf(const std::string& key);
  // The index of the master serving `slot` (a migrating slot is still its source's) as the first
  // node that answers CLUSTER SLOTS sees it; -1 when none answers or the slot is unassigned.
  int NodeForSlot(uint16_t slot);
  int NodeForKey(const std::string& key) { return NodeForSlot(SlotOf(key)); }
  // How many slots node `i` serves as master, as the first node that answers CLUSTER SLOTS sees
  // it; -1 when none answers.
  int SlotCount(int i);
  // A plain client of the key's master (not following redirections). Check ok().
  Client ConnectToKeyOwner(const std::string& key);

  // Moves `slot` and its keys from its master to master `to_node` the documented way (IMPORTING
  // on the target, MIGRATING on the source, MIGRATE in batches of 100, SETSLOT NODE on the
  // target, the source and the other masters), then waits until every running node agrees.
  // Returns an empty string on success, otherwise the error.
  std::string MoveSlot(uint16_t slot, int to_node);
  // The first half: IMPORTING/MIGRATING and migrating the keys there are now. The slot stays
  // migrating: its source answers -ASK for keys it no longer holds.
  std::string BeginMoveSlot(uint16_t slot, int to_node);
  // The second half: migrates the keys left on the source, then SETSLOT NODE everywhere and waits
  // for agreement.
  std::string FinishMoveSlot(uint16_t slot, int to_node);
  // `redis-cli --cluster reshard` of `slots` slots from master `from` to master `to`, then waits
  // for agreement. Returns an empty string on success, otherwise the error and redis-cli's output.
  std::string Reshard(int from, int to, int slots);

  // Until every running node says cluster_state:ok.
  bool WaitForOk(std::chrono::milliseconds timeout);
  // Until every running node's CLUSTER SLOTS covers all slots and names the same masters.
  bool WaitForAgreement(std::chrono::milliseconds timeout);

  // The tail of every node's log, for failure messages.
  std::string Logs() const;

 private:
  std::string StartNode(int i);
  // Per slot, the port of its master as node `i` sees it (0: unassigned); empty when `i` does
  // not answer.
  std::vector<uint16_t> SlotMap(int i);
  int IndexOfPort(uint16_t port) const;
  bool IsMaster(int i);
  bool ReplicasLinked();
  // Each node's cluster_state and role, and one node's CLUSTER NODES, for failure messages.
  std::string DescribeState();
  // MIGRATE every key of `slot` from `source` to `target`, 100 at a time, until none is left.
  std::string MigrateKeys(uint16_t slot, int source, int target);
  // Checks that `slot` can move to `to_node` and finds its source. Empty on success.
  std::string MoveEnds(uint16_t slot, int to_node, int* source);
  // Runs redis-cli with `args` to completion; empty on exit 0, otherwise the error and output.
  std::string RunCli(const std::vector<std::string>& args, const std::string& log_name,
                     std::chrono::milliseconds timeout);

  int masters_;
  int replicas_per_master_;
  const Certificates* tls_;
  ClusterNodeOptions node_options_;
  std::vector<uint16_t> tls_ports_;  // TLS mode: each node's
  TempDir dir_{"respite-cluster"};
  std::vector<std::unique_ptr<RedisServer>> nodes_;
  int cli_runs_ = 0;  // numbers redis-cli's log files
};

}  // namespace respite::test
