#pragma once
// fallback.warm: replica. While respite forwards, it follows upstream as a Redis replica does
// (PSYNC): the RDB of a full resync, then upstream's replication stream, applied to the local
// store in upstream's own execution order and unjournaled. So when upstream dies the local store
// holds what upstream held a moment before: scripts as the effects upstream ran, XADD with
// upstream's ids, expiries as absolute times. Only while FORWARD: at an outage the local store
// takes over from where the stream stopped (its last bytes applied first, see Seal); after the
// drain a fresh full resync starts over.
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
class LocalStore;
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
  // FORWARD ends (called by the failover under its lock, before clients can see the new state):
  // queues a gate on the store thread ahead of every local command. When the stream of
  // `generation` was running, the gate waits (at most kTailWaitMs) for what that stream still
  // held, including what upstream had sent to the socket before it went down, and applies it;
  // nothing of that generation is applied after the gate. So a write upstream acknowledged and
  // replicated just before dying is in the local copy before the outage's first local command.
  void Seal(uint64_t generation);

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
  // After a seal: reads what upstream still sends, until it closes the connection, stays silent
  // for a moment, or kTailReadMs passed.
  void ReadTail(BlockingClient& client, std::string* buffered);
  // The stream of generation_ is over; `tail`: what the seal's gate should apply.
  void EndStream(std::vector<storage::rdb::FileCommand> tail);
  // Runs `commands` on the store thread as one group, unjournaled, unless generation_ is sealed
  // (then false, nothing applied). Queued under tail_mu_, so either before the seal's gate or not
  // at all.
  bool Apply(std::vector<storage::rdb::FileCommand>& commands);
  // On the store thread.
  void ApplyOnStore(storage::LocalStore& store, std::vector<storage::rdb::FileCommand>& commands);
  void RunGate(storage::LocalStore& store, uint64_t generation);
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

  // The handoff at a seal, under tail_mu_.
  std::mutex tail_mu_;
  std::condition_variable tail_cv_;
  uint64_t sealed_below_ = 0;  // generations below this are sealed: Apply queues nothing for them
  uint64_t gated_below_ = 0;   // ... and their gate ran: a tail arriving now is too late
  bool streaming_ = false;     // Stream() runs, for streaming_generation_
  uint64_t streaming_generation_ = 0;
  std::vector<storage::rdb::FileCommand> tail_;
  uint64_t tail_generation_ = 0;
};

}  // namespace respite::proxy
