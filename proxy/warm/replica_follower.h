#pragma once
// fallback.warm: replica. While respite forwards, it follows upstream as a Redis replica does
// (PSYNC): the RDB of a full resync, then upstream's replication stream, applied to the local
// store in upstream's own execution order and unjournaled. So when upstream dies the local store
// holds what upstream held a moment before: scripts as the effects upstream ran, XADD with
// upstream's ids, expiries as absolute times. Only while FORWARD: at an outage the local store
// takes over from where the stream stopped; after the drain a fresh full resync starts over.
// Thread: its own, with its own upstream connection. Public methods from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"

namespace respite::storage {
struct LocalSession;
namespace rdb {
struct FileCommand;
}
}  // namespace respite::storage

namespace respite::proxy {

class BlockingClient;
class Failover;
class StoreExecutor;

class ReplicaFollower {
 public:
  ReplicaFollower(const config::Config& config, Failover& failover, StoreExecutor& store);
  ~ReplicaFollower();
  void Start();
  void Stop();
  // The failover state changed: stop or start following without waiting for the next poll.
  void Wake();

  // For /status and metrics.
  struct Snapshot {
    std::string state;  // idle, syncing, loading, streaming, retrying
    std::string last_error;
    uint64_t offset = 0;  // upstream's replication offset applied so far
    uint64_t full_syncs = 0;
    uint64_t keys_loaded = 0;  // by the last full resync
    uint64_t commands_applied = 0;
    uint64_t apply_errors = 0;  // commands the local store refused (the copy may have diverged)
  };
  Snapshot Read() const;

 private:
  void Loop();
  // One connection: handshake, RDB, stream, until an error, a state change or Stop().
  bool Follow(BlockingClient& client, std::string* error);
  bool ReceiveRdb(BlockingClient& client, std::string* buffered, std::string* path,
                  std::string* error);
  bool LoadRdb(const std::string& path, std::string* error);
  bool Stream(BlockingClient& client, std::string buffered, std::string* error);
  // Runs `commands` on the store thread as one group, unjournaled, if respite is still forwarding
  // in the same failover generation. False when it was not (nothing applied).
  bool Apply(std::vector<storage::rdb::FileCommand>& commands);
  bool StillFollowing() const;
  void SetState(std::string state, std::string error = {});
  void SleepMs(uint64_t ms);

  const config::Config& config_;
  Failover& failover_;
  StoreExecutor& store_;
  std::shared_ptr<storage::LocalSession> session_;  // used on the store thread only
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  uint64_t generation_ = 0;  // the failover transition count this connection started in
  uint64_t offset_ = 0;

  mutable std::mutex mu_;  // guards snapshot_'s strings and wake
  std::condition_variable wake_cv_;
  bool woken_ = false;
  Snapshot snapshot_;
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> apply_errors_{0};
};

}  // namespace respite::proxy
