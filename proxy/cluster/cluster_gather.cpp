#include "proxy/cluster/cluster_gather.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>

#include "proxy/cluster/cluster_map.h"
#include "proxy/cluster/cluster_redirect.h"
#include "proxy/cluster/shard_failover.h"
#include "proxy/io_thread.h"
#include "proxy/upstream/blocking_client.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/ascii.h"
#include "resp/command_encoder.h"
#include "resp/key_slot.h"

namespace respite::proxy {
namespace {

// Redirects followed for one command's parts: past this the slot map is taken as unsettled.
constexpr uint32_t kMaxRedirects = 64;

// SCAN's cursor: the master's index in the low bits, its own cursor above (Redis' cursors stay
// far below 2^54: they index hash tables).
constexpr int kScanNodeBits = 10;
constexpr uint64_t kScanNodeMask = (1u << kScanNodeBits) - 1;

bool ParseCursor(std::string_view text, uint64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool ClusterGather::Splits(std::string_view name) {
  return name == "mget" || name == "mset" || name == "del" || name == "unlink" ||
         name == "exists" || name == "touch";
}

bool ClusterGather::GoesToEveryNode(std::string_view name) {
  return name == "keys" || name == "dbsize" || name == "flushall" || name == "flushdb" ||
         name == "randomkey" || name == "scan";
}

bool ClusterGather::LoadsEverywhere(std::string_view name, std::span<const std::string_view> argv) {
  if (argv.size() < 2 || (name != "script" && name != "function")) return false;
  const auto is = [&](std::string_view sub) { return resp::EqualsIgnoreCase(argv[1], sub); };
  return is("load") || is("flush") || (name == "function" && (is("delete") || is("restore")));
}

void ClusterGather::SendPart(const config::Endpoint& node, std::span<const std::string_view> argv) {
  std::string request;
  resp::AppendCommandRange(&request, argv);
  positions_.emplace_back();
  ++waiting_;
  io_.NodeLink(node, protocol_, user_).Send(request, this, positions_.size() - 1);
}

namespace {

// Per master of `map`: whether the local store serves all its slots (it is down). One that
// serves only some (its slots still being replayed) is asked itself.
std::vector<bool> LocalMasters(const ClusterMap& map) {
  std::vector<bool> local(map.nodes.size(), false);
  if (SlotsServedLocally() == 0) return local;
  std::vector<size_t> owned(map.nodes.size(), 0), served(map.nodes.size(), 0);
  for (uint16_t slot = 0; slot < resp::kClusterSlots; ++slot) {
    if (map.owner[slot] < 0) continue;
    const size_t owner = static_cast<size_t>(map.owner[slot]);
    ++owned[owner];
    served[owner] += SlotServedLocally(slot) ? 1 : 0;
  }
  for (size_t i = 0; i < local.size(); ++i) local[i] = owned[i] > 0 && served[i] == owned[i];
  return local;
}

constexpr std::string_view kNoLocalParts =
    "-CLUSTERDOWN some slots are served by respite's local store while their master is down\r\n";

}  // namespace

void ClusterGather::SendLocalPart(const LocalPart& local, std::span<const std::string_view> argv) {
  positions_.emplace_back();
  ++waiting_;
  AddRef();  // until the store's reply is back (LocalPart's contract)
  local(argv, this, positions_.size() - 1);
}

void ClusterGather::SendToEveryNode(IoThread& io, const ClusterMap& map, std::string_view command,
                                    std::span<const std::string_view> argv, int protocol,
                                    uint32_t user, ReplySink* owner, uint64_t tag,
                                    std::string* refusal, const LocalPart& local) {
  if (map.nodes.empty() || map.nodes.size() > kScanNodeMask + 1) {
    *refusal = "-CLUSTERDOWN respite has no usable slot map\r\n";
    return;
  }
  const bool loads = LoadsEverywhere(command, argv);
  const std::vector<bool> local_masters = LocalMasters(map);
  const bool any_local =
      std::find(local_masters.begin(), local_masters.end(), true) != local_masters.end();
  const bool flush = command == "flushall" || command == "flushdb";
  if ((any_local && !loads && !local) || (flush && SlotsServedLocally() > 0)) {
    *refusal = kNoLocalParts;
    return;
  }
  if (command == "scan") {
    uint64_t cursor = 0;
    if (argv.size() < 2 || !ParseCursor(argv[1], &cursor) ||
        (cursor & kScanNodeMask) >= map.nodes.size()) {
      *refusal = "-ERR invalid cursor\r\n";
      return;
    }
    auto* gather = new ClusterGather(io, protocol, user, owner, tag, Merge::kScan, 0);
    gather->scan_node_ = cursor & kScanNodeMask;
    gather->scan_nodes_ = map.nodes.size();
    const std::string node_cursor = std::to_string(cursor >> kScanNodeBits);
    std::vector<std::string_view> part(argv.begin(), argv.end());
    part[1] = node_cursor;
    const size_t first_local =
        std::find(local_masters.begin(), local_masters.end(), true) - local_masters.begin();
    if (!local_masters[gather->scan_node_]) {
      gather->SendPart(map.nodes[gather->scan_node_], part);
    } else if (gather->scan_node_ == first_local) {
      gather->SendLocalPart(local, part);  // the store holds every local slot's keys
    } else {
      // Another master served locally: its keys were in the first one's turn.
      gather->positions_.emplace_back();
      ++gather->waiting_;
      gather->OnReply(0, "*2\r\n$1\r\n0\r\n*0\r\n");
    }
    gather->Release();
    return;
  }
  const Merge merge = loads                    ? Merge::kFirst
                      : command == "keys"      ? Merge::kConcat
                      : command == "dbsize"    ? Merge::kSum
                      : command == "randomkey" ? Merge::kAnyValue
                                               : Merge::kOk;
  auto* gather = new ClusterGather(io, protocol, user, owner, tag, merge, 0);
  for (size_t i = 0; i < map.nodes.size(); ++i) {
    if (!local_masters[i]) gather->SendPart(map.nodes[i], argv);
  }
  // The masters served locally: once, together, from the store (scripts wait for the replay,
  // which loads them there).
  if (any_local && !loads) gather->SendLocalPart(local, argv);
  if (gather->waiting_ == 0) {
    *refusal = "-CLUSTERDOWN every master is down\r\n";
    gather->owner_->Release();  // never answered through the gather
    gather->owner_ = nullptr;
  }
  gather->Release();
}

ClusterGather::ClusterGather(IoThread& io, int protocol, uint32_t user, ReplySink* owner,
                             uint64_t tag, Merge merge, size_t keys)
    : io_(io), protocol_(protocol), user_(user), owner_(owner), tag_(tag), merge_(merge) {
  owner_->AddRef();
  if (merge_ == Merge::kValuesByKey) values_.resize(keys);
}

void ClusterGather::Send(IoThread& io, const ClusterMap& map, std::string_view command,
                         std::span<const std::string_view> argv, int protocol, uint32_t user,
                         ReplySink* owner, uint64_t tag, std::string* refusal,
                         const LocalPart& local) {
  const bool pairs = command == "mset";  // key value pairs
  const size_t step = pairs ? 2 : 1;
  const size_t keys = (argv.size() - 1) / step;
  const Merge merge = command == "mget" ? Merge::kValuesByKey : pairs ? Merge::kOk : Merge::kSum;
  const std::string_view name = argv[0];
  // The keys' positions by slot, in the command's order within each slot.
  std::map<uint16_t, std::vector<size_t>> by_slot;
  for (size_t k = 0; k < keys; ++k) by_slot[resp::KeySlot(argv[1 + k * step])].push_back(k);
  // Read once: a slot may go local meanwhile (the health thread), and its part must go where
  // this check said.
  std::map<uint16_t, bool> served_locally;
  for (const auto& [slot, positions] : by_slot) {
    if (map.NodeOf(slot) == nullptr) {
      *refusal = "-CLUSTERDOWN Hash slot not served\r\n";
      return;
    }
    served_locally[slot] = SlotServedLocally(slot);
    if (!local && served_locally[slot]) {
      *refusal = kNoLocalParts;
      return;
    }
  }
  auto* gather = new ClusterGather(io, protocol, user, owner, tag, merge, keys);
  std::vector<std::string_view> part;
  std::string request;
  for (const auto& [slot, positions] : by_slot) {
    part.assign(1, name);
    for (const size_t k : positions) {
      part.push_back(argv[1 + k * step]);
      if (pairs) part.push_back(argv[2 + k * step]);
    }
    if (served_locally[slot]) {
      // One part per slot here too: the journal replays each entry in its own slot.
      gather->SendLocalPart(local, part);
      gather->positions_.back() = positions;
      continue;
    }
    request.clear();
    resp::AppendCommandRange(&request, part);
    gather->positions_.push_back(positions);
    ++gather->waiting_;
    io.NodeLink(*map.NodeOf(slot), protocol, user)
        .Send(request, gather, gather->positions_.size() - 1);
  }
  gather->Release();  // the links hold it now
}

void ClusterGather::Release() {
  if (--refs_ == 0) delete this;
}

void ClusterGather::OnReply(uint64_t part, std::string_view reply) {
  if (!reply.empty() && (reply[0] == '-' || reply[0] == '!')) {
    if (error_.empty()) error_ = std::string(reply);
  } else if (merge_ == Merge::kSum) {
    long long n = 0;
    if (reply.size() > 3 && reply[0] == ':') {
      std::from_chars(reply.data() + 1, reply.data() + reply.size() - 2, n);
    }
    sum_ += n;
  } else if (merge_ == Merge::kConcat) {
    std::vector<std::string_view> names;
    if (SplitArray(reply, &names)) {
      concat_count_ += names.size();
      for (const std::string_view name : names) concat_.append(name);
    }
  } else if (merge_ == Merge::kFirst) {
    if (first_.empty()) first_ = std::string(reply);
  } else if (merge_ == Merge::kAnyValue) {
    if (!reply.empty() && reply[0] == '$' && reply != "$-1\r\n") any_.emplace_back(reply);
  } else if (merge_ == Merge::kScan) {
    // [cursor, [keys]]: the cursor rewritten to say which master comes next.
    std::vector<std::string_view> parts;
    uint64_t next = 0;
    if (SplitArray(reply, &parts) && parts.size() == 2 && ParseCursor(StringOf(parts[0]), &next) &&
        next <= (UINT64_MAX >> kScanNodeBits)) {
      uint64_t cursor = 0;
      if (next != 0) {
        cursor = (next << kScanNodeBits) | scan_node_;
      } else if (scan_node_ + 1 < scan_nodes_) {
        cursor = scan_node_ + 1;  // this master is done: the next one from its start
      }
      const std::string text = std::to_string(cursor);
      scan_reply_ =
          "*2\r\n$" + std::to_string(text.size()) + "\r\n" + text + "\r\n" + std::string(parts[1]);
    } else if (error_.empty()) {
      error_ = "-ERR unexpected reply to SCAN from a cluster node\r\n";
    }
  } else if (merge_ == Merge::kValuesByKey) {
    std::vector<std::string_view> values;
    const std::vector<size_t>& positions = positions_[part];
    if (SplitArray(reply, &values) && values.size() == positions.size()) {
      for (size_t i = 0; i < values.size(); ++i) values_[positions[i]] = std::string(values[i]);
    } else if (error_.empty()) {
      error_ = "-ERR unexpected reply to a part of MGET\r\n";
    }
  }
  PartDone();
}

void ClusterGather::OnRequestFailed(uint64_t, std::string_view error, std::string_view, bool) {
  if (error_.empty()) error_ = "-" + std::string(error) + "\r\n";
  PartDone();
}

void ClusterGather::OnRedirect(uint64_t part, std::string_view reply, std::string_view request) {
  Redirect redirect;
  if (++redirects_ > kMaxRedirects ||
      !ParseRedirect(reply, &redirect.ask, &redirect.slot, &redirect.to)) {
    OnReply(part, reply);
    return;
  }
  FollowRedirect(io_, redirect, protocol_, user_, request, this, part);
}

void ClusterGather::PartDone() {
  if (--waiting_ != 0) return;
  owner_->OnReply(tag_, Merged());
  owner_->Release();
  owner_ = nullptr;
}

std::string ClusterGather::Merged() const {
  if (!error_.empty()) return error_;
  switch (merge_) {
    case Merge::kOk:
      return "+OK\r\n";
    case Merge::kSum:
      return ":" + std::to_string(sum_) + "\r\n";
    case Merge::kConcat:
      return "*" + std::to_string(concat_count_) + "\r\n" + concat_;
    case Merge::kAnyValue:
      // One of the nodes' random keys, picked at random: a random key of the whole keyspace
      // when the nodes hold about as many keys each.
      return any_.empty() ? (protocol_ == 3 ? "_\r\n" : "$-1\r\n")
                          : any_[static_cast<size_t>(std::rand()) % any_.size()];
    case Merge::kScan:
      return scan_reply_;
    case Merge::kFirst:
      return first_;
    case Merge::kValuesByKey:
      break;
  }
  std::string out = "*" + std::to_string(values_.size()) + "\r\n";
  for (const std::string& value : values_) out += value;
  return out;
}

}  // namespace respite::proxy
