#pragma once
// Cluster mode (a redis+cluster:// upstream): which master owns each of the 16384 hash slots.
// A map is immutable once published; the watcher (cluster_watcher.h) publishes a new one when
// the cluster's CLUSTER SLOTS changes, and a -MOVED reply patches one slot at once (NoteMoved).
// Readers on the io threads check a version number (one atomic load) and take the new map only
// when it changed.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "resp/key_slot.h"

namespace respite::proxy {

struct ClusterMap {
  // The masters, in the order CLUSTER SLOTS listed them first; an index names a node in this
  // map only (links are keyed by address, which outlives maps).
  std::vector<config::Endpoint> nodes;
  // Index into nodes of each slot's master; -1: no node serves the slot.
  std::array<int16_t, resp::kClusterSlots> owner;
  uint64_t version = 0;

  ClusterMap() { owner.fill(-1); }
  const config::Endpoint* NodeOf(uint16_t slot) const {
    return owner[slot] < 0 ? nullptr : &nodes[static_cast<size_t>(owner[slot])];
  }
  // The node of `address`, added when new.
  int16_t AddNode(const config::Endpoint& address);
  // Slots no node serves.
  size_t uncovered() const;
  // How many slots each node serves, by index in nodes.
  std::vector<size_t> SlotCounts() const;
  // "127.0.0.1:7000 0-5460, 127.0.0.1:7001 5461-10922, ...", for logs and /status.
  std::string Describe() const;
  bool SameSlotsAs(const ClusterMap& other) const;
};

// Reads a CLUSTER SLOTS reply (RESP2 or RESP3) into *map. A node that names itself with an empty
// address is `asked` (Redis says "" when it does not know its own address). False with *error
// when the reply is not a slot list.
bool ParseClusterSlots(std::string_view reply, const config::Endpoint& asked, ClusterMap* map,
                       std::string* error);

// The map every io thread routes by (null before the first one), and its version (0: none).
std::shared_ptr<const ClusterMap> CurrentClusterMap();
uint64_t ClusterMapVersion();
// Publishes `map` (its version is set here). Returns the version.
uint64_t PublishClusterMap(ClusterMap map);
// A -MOVED reply: `slot` is served by `address` now. Patches the current map (a new version)
// unless it says so already; true when it changed.
bool NoteMoved(uint16_t slot, const config::Endpoint& address);

// Parses the redirect in a "-MOVED <slot> <host:port>" or "-ASK <slot> <host:port>" error reply.
// False for any other reply.
bool ParseRedirect(std::string_view reply, bool* ask, uint16_t* slot, config::Endpoint* address);

// The slot of a command's keys (shard channels included, as Redis Cluster routes them): -1 when
// it has none (or respite does not know the command), -2 when they are in several slots.
int CommandSlot(std::span<const std::string_view> argv);

}  // namespace respite::proxy
