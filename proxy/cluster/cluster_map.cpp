#include "proxy/cluster/cluster_map.h"

#include <atomic>
#include <charconv>
#include <mutex>
#include <vector>

#include "proxy/upstream/blocking_client.h"
#include "resp/command_table.h"
#include "resp/key_slot.h"
#include "resp/key_specs.h"

namespace respite::proxy {
namespace {

std::mutex g_map_mu;
std::shared_ptr<const ClusterMap> g_map;  // guarded by g_map_mu
std::atomic<uint64_t> g_version{0};

bool ToInt(std::string_view text, long long* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// An integer element of a reply (":123\r\n").
bool IntegerOf(std::string_view element, long long* out) {
  return element.size() > 3 && element[0] == ':' &&
         ToInt(element.substr(1, element.size() - 3), out);
}

bool ParseAddress(std::string_view text, config::Endpoint* out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  // "host:port@cport" in some replies: the bus port is not ours.
  std::string_view port_text = text.substr(colon + 1);
  port_text = port_text.substr(0, port_text.find('@'));
  long long port = 0;
  if (!ToInt(port_text, &port) || port <= 0 || port > 65535) return false;
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  out->host = std::string(host);
  out->port = static_cast<uint16_t>(port);
  return true;
}

}  // namespace

int16_t ClusterMap::AddNode(const config::Endpoint& address) {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].host == address.host && nodes[i].port == address.port) {
      return static_cast<int16_t>(i);
    }
  }
  nodes.push_back(address);
  return static_cast<int16_t>(nodes.size() - 1);
}

size_t ClusterMap::uncovered() const {
  size_t n = 0;
  for (const int16_t o : owner) n += o < 0 ? 1 : 0;
  return n;
}

std::vector<size_t> ClusterMap::SlotCounts() const {
  std::vector<size_t> counts(nodes.size(), 0);
  for (const int16_t o : owner) {
    if (o >= 0) ++counts[static_cast<size_t>(o)];
  }
  return counts;
}

std::string ClusterMap::Describe() const {
  std::string out;
  for (size_t s = 0; s < owner.size();) {
    size_t e = s;
    while (e + 1 < owner.size() && owner[e + 1] == owner[s]) ++e;
    if (owner[s] >= 0) {
      out += (out.empty() ? "" : ", ") + nodes[static_cast<size_t>(owner[s])].ToString() + " " +
             std::to_string(s) + (e == s ? "" : "-" + std::to_string(e));
    }
    s = e + 1;
  }
  return out.empty() ? "no slots served" : out;
}

bool ClusterMap::SameSlotsAs(const ClusterMap& other) const {
  for (size_t s = 0; s < owner.size(); ++s) {
    const config::Endpoint* a = NodeOf(static_cast<uint16_t>(s));
    const config::Endpoint* b = other.NodeOf(static_cast<uint16_t>(s));
    if ((a == nullptr) != (b == nullptr)) return false;
    if (a != nullptr && (a->host != b->host || a->port != b->port)) return false;
  }
  return true;
}

bool ParseClusterSlots(std::string_view reply, const config::Endpoint& asked, ClusterMap* map,
                       std::string* error) {
  std::vector<std::string_view> ranges;
  if (!SplitArray(reply, &ranges)) {
    *error = reply.starts_with("-") ? ErrorText(reply) : "CLUSTER SLOTS did not answer a list";
    return false;
  }
  ClusterMap result;
  for (const std::string_view range : ranges) {
    // [start, end, [host, port, id, ...], replicas...]
    std::vector<std::string_view> parts, master;
    long long start = 0, end = 0, port = 0;
    if (!SplitArray(range, &parts) || parts.size() < 3 || !IntegerOf(parts[0], &start) ||
        !IntegerOf(parts[1], &end) || start < 0 || end < start || end >= resp::kClusterSlots ||
        !SplitArray(parts[2], &master) || master.size() < 2 || !IntegerOf(master[1], &port) ||
        port <= 0 || port > 65535) {
      *error = "CLUSTER SLOTS answered a range respite cannot read";
      return false;
    }
    config::Endpoint node{std::string(StringOf(master[0])), static_cast<uint16_t>(port)};
    if (node.host.empty() || node.host == "?") node.host = asked.host;
    const int16_t index = result.AddNode(node);
    for (long long s = start; s <= end; ++s) result.owner[static_cast<size_t>(s)] = index;
  }
  *map = std::move(result);
  return true;
}

std::shared_ptr<const ClusterMap> CurrentClusterMap() {
  std::lock_guard lock(g_map_mu);
  return g_map;
}

uint64_t ClusterMapVersion() { return g_version.load(std::memory_order_acquire); }

uint64_t PublishClusterMap(ClusterMap map) {
  std::lock_guard lock(g_map_mu);
  map.version = g_version.load(std::memory_order_relaxed) + 1;
  const uint64_t version = map.version;
  g_map = std::make_shared<const ClusterMap>(std::move(map));
  g_version.store(version, std::memory_order_release);
  return version;
}

bool NoteMoved(uint16_t slot, const config::Endpoint& address) {
  std::lock_guard lock(g_map_mu);
  ClusterMap map = g_map ? *g_map : ClusterMap();
  const config::Endpoint* now = map.NodeOf(slot);
  if (now != nullptr && now->host == address.host && now->port == address.port) return false;
  map.owner[slot] = map.AddNode(address);
  map.version = g_version.load(std::memory_order_relaxed) + 1;
  const uint64_t version = map.version;
  g_map = std::make_shared<const ClusterMap>(std::move(map));
  g_version.store(version, std::memory_order_release);
  return true;
}

bool ParseRedirect(std::string_view reply, bool* ask, uint16_t* slot, config::Endpoint* address) {
  std::string_view rest;
  if (reply.starts_with("-MOVED ")) {
    *ask = false;
    rest = reply.substr(7);
  } else if (reply.starts_with("-ASK ")) {
    *ask = true;
    rest = reply.substr(5);
  } else {
    return false;
  }
  if (rest.ends_with("\r\n")) rest.remove_suffix(2);
  const size_t space = rest.find(' ');
  long long n = 0;
  if (space == std::string_view::npos || !ToInt(rest.substr(0, space), &n) || n < 0 ||
      n >= resp::kClusterSlots || !ParseAddress(rest.substr(space + 1), address)) {
    return false;
  }
  *slot = static_cast<uint16_t>(n);
  return true;
}

int CommandSlot(std::span<const std::string_view> argv) {
  if (argv.empty()) return -1;
  const resp::CommandTable& table = resp::CommandTable::Instance();
  const resp::CommandSpec* spec = table.Find(argv[0]);
  if (spec != nullptr && spec->Has(resp::kCmdContainer) && argv.size() > 1) {
    spec = table.Find(argv[0], argv[1]);
  }
  std::vector<resp::KeyRef> keys;
  if (spec == nullptr ||
      resp::GetKeys(*spec, argv, &keys, /*include_not_keys=*/true) != resp::GetKeysOutcome::kKeys) {
    return -1;
  }
  int slot = -1;
  for (const resp::KeyRef& key : keys) {
    const int s = resp::KeySlot(argv[key.pos]);
    if (slot >= 0 && s != slot) return -2;
    slot = s;
  }
  return slot;
}

}  // namespace respite::proxy
