#pragma once
// A real Redis Sentinel setup for tests: a master, one replica and three sentinels (quorum 2), all
// on free 127.0.0.1 ports, with timings short enough for failover tests (down-after 1 s,
// failover-timeout 5 s). Sentinels run as `redis-server <conf> --sentinel` (what Debian's
// redis-sentinel is a link to), so only the redis-server package is needed. Everything is killed
// on destruction, sentinels first. With certificates, every process also serves TLS (tls-port)
// and the group talks TLS among itself (tls-replication): the sentinels then name TLS ports, which
// respite connects to, while the test's own checks use the plain ports.

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

class SentinelGroup {
 public:
  // `data_options` apply to both data nodes (the replica gets --replicaof and, with a password,
  // --masterauth on top); the sentinels get the matching auth-user/auth-pass. `tls`: certificates
  // (server.crt for localhost and 127.0.0.1, signed by ca.crt) for TLS mode; it must outlive
  // the group.
  explicit SentinelGroup(std::string master_name = "mymaster", RedisOptions data_options = {},
                         const Certificates* tls = nullptr);
  ~SentinelGroup();
  SentinelGroup(const SentinelGroup&) = delete;
  SentinelGroup& operator=(const SentinelGroup&) = delete;

  // Starts the master, the replica (waiting for its link to be up), then the sentinels, and waits
  // until every sentinel names the master and knows the replica and the two other sentinels.
  // Returns an empty string on success, otherwise the error and the logs.
  std::string Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  const std::string& master_name() const { return master_name_; }
  std::vector<uint16_t> sentinel_ports() const;
  // "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3", for a redis+sentinel:// URL (TLS ports in TLS
  // mode).
  std::string SentinelAddresses() const;
  // The port the sentinels know data node `i` by: its TLS port in TLS mode, else its port.
  uint16_t announced_port(int i) const;
  // The data nodes, after Start(): 0 is the initial master, 1 the initial replica. Their Restart()
  // reuses the original arguments: node 0 comes back as an empty master and node 1 as a replica
  // of node 0; the sentinels reconfigure either as a replica of the current master (about 10 s
  // after they see it, in 7.0).
  RedisServer& node(int i) { return *nodes_[i]; }

  // The master's (announced) port as the first sentinel that answers names it; 0 when none
  // answers. Ports below are announced ones too.
  uint16_t MasterPort();
  // SENTINEL FAILOVER (forced, no quorum needed) sent to the first sentinel that answers. Empty
  // on success, otherwise the error reply (7.0: "NOGOODSLAVE No suitable replica to promote").
  std::string Failover();
  // Until every sentinel names `port` as the master and that node answers ROLE with "master".
  bool WaitForMaster(uint16_t port, std::chrono::milliseconds timeout);
  // Until the node on `port` replicates the current master with its link up and every sentinel
  // lists it as a replica that is not down: a failover before that finds no replica to promote.
  bool WaitForReplica(uint16_t port, std::chrono::milliseconds timeout);
  // A client of whichever node the sentinels name as master now (authenticated like the node's
  // own Connect()). Check ok().
  Client ConnectToMaster(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // TLS mode: the tls-* arguments every process gets (cert, key, CA, tls-replication).
  std::vector<std::string> TlsArgs() const;

  // The tail of every process's log, for failure messages.
  std::string Logs() const;

 private:
  struct Sentinel {
    uint16_t port = 0;
    uint16_t tls_port = 0;  // TLS mode only
    std::string config_path;
    Process process;
  };

  std::string StartSentinel(Sentinel& sentinel, int index);
  // The node known by `port` (its own or, in TLS mode, its TLS port), or nullptr.
  RedisServer* NodeOnPort(uint16_t port);
  // Whether every sentinel names `master_port` as the master, knows a replica and two sentinels.
  bool SentinelsAgree(uint16_t master_port);

  std::string master_name_;
  RedisOptions data_options_;
  const Certificates* tls_;
  std::unique_ptr<RedisServer> nodes_[2];
  uint16_t tls_ports_[2] = {0, 0};
  TempDir dir_{"respite-sentinel"};
  std::vector<Sentinel> sentinels_;
};

}  // namespace respite::test
