#include "proxy/cluster/cluster_replayer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <set>

#include "proxy/cluster/cluster_map.h"
#include "proxy/cluster/cluster_watcher.h"
#include "proxy/cluster/shard_failover.h"
#include "proxy/failover/circuit_breaker.h"
#include "proxy/failover/failover.h"
#include "proxy/server.h"
#include "proxy/store_executor.h"
#include "proxy/time_util.h"
#include "proxy/upstream/blocking_client.h"
#include "resp/command_encoder.h"
#include "resp/key_slot.h"
#include "storage/journal.h"
#include "storage/keyspace.h"
#include "storage/local_store.h"
#include "storage/scripting/script_runner.h"

namespace respite::proxy {

namespace {

using storage::JournalEntry;
using storage::LocalStore;

constexpr std::string_view kMulti = "*1\r\n$5\r\nMULTI\r\n";
constexpr uint64_t kIdleMs = 200;

uint64_t SteadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// -1: no keys; -2: keys in several slots.
int EntrySlot(const std::vector<std::string>& argv) {
  const std::vector<std::string_view> views(argv.begin(), argv.end());
  return CommandSlot(views);
}

// Errors that say the batch never ran and may run later, here or on the slot's new master.
bool Transient(std::string_view reply) {
  for (std::string_view e : {"-MOVED", "-ASK", "-CLUSTERDOWN", "-TRYAGAIN", "-LOADING",
                             "-MASTERDOWN", "-BUSY", "-OOM", "-READONLY", "-NOAUTH", "-NOPERM"}) {
    if (reply.starts_with(e)) return true;
  }
  return false;
}

}  // namespace

int GroupSlot(const std::vector<JournalEntry>& entries, size_t begin, size_t end) {
  int slot = -1;
  for (size_t i = begin; i < end; ++i) {
    const int s = EntrySlot(entries[i].argv);
    if (s == -2 || (s >= 0 && slot >= 0 && s != slot)) return -1;
    if (s >= 0) slot = s;
  }
  return slot < 0 ? 0 : slot;
}

struct ClusterReplayer::Conn {
  Conn(const config::Endpoint& at, CircuitBreaker b) : node(at), breaker(std::move(b)) {}
  config::Endpoint node;
  BlockingClient client;
  uint64_t generation = 0;
  uint64_t previous_id = 0;  // upstream's id of the previous replay connection to this node
  CircuitBreaker breaker;
};

ClusterReplayer::ClusterReplayer(const config::Config& config, ShardFailover& shards,
                                 Failover& failover, Server& server, StoreExecutor& store)
    : config_(config),
      shards_(shards),
      failover_(failover),
      server_(server),
      store_(store),
      rng_(std::random_device{}()),
      cursors_(resp::kClusterSlots) {
  journal_id_ = store_.Call([](LocalStore& s) { return s.journal().id(); });
}

ClusterReplayer::~ClusterReplayer() { Stop(); }

void ClusterReplayer::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ClusterReplayer::Stop() {
  stopping_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
}

void ClusterReplayer::Wake() { wake_.Wake(); }

std::string ClusterReplayer::CursorKey(uint16_t slot) const {
  return "respite:cursor:{" + std::string(resp::SlotTag(slot)) + "}:" + journal_id_;
}

std::vector<uint16_t> ClusterReplayer::PendingSlots() {
  std::set<uint16_t> slots;
  ForEachGroup([&](std::vector<JournalEntry>&, size_t, size_t, int slot) {
    if (slot >= 0) slots.insert(static_cast<uint16_t>(slot));
    return true;
  });
  return {slots.begin(), slots.end()};
}

bool ClusterReplayer::ForEachGroup(
    const std::function<bool(std::vector<JournalEntry>&, size_t, size_t, int)>& visit) {
  uint64_t from = 0;
  for (;;) {
    std::vector<JournalEntry> entries = ReadFrom(from);
    if (entries.empty()) return true;
    from = entries.back().seq + 1;
    for (size_t i = 0; i < entries.size();) {
      size_t end = i + 1;
      if (entries[i].group != 0) {
        while (end < entries.size() && entries[end].group == entries[i].group) ++end;
      }
      if (!visit(entries, i, end, GroupSlot(entries, i, end))) return false;
      i = end;
    }
  }
}

std::vector<JournalEntry> ClusterReplayer::ReadFrom(uint64_t from) {
  return store_.Call([&](LocalStore& s) {
    std::vector<JournalEntry> out;
    size_t corrupt = 0;
    storage::Status st = s.journal().Read(from, config_.journal.batch_entries,
                                          config_.journal.batch_bytes, &out, &corrupt);
    if (!st.ok()) spdlog::error("reading the journal: {}", st.ToString());
    if (corrupt > 0) {
      spdlog::error("{} journal entries failed their integrity check; moved to dead letters",
                    corrupt);
    }
    return out;
  });
}

std::vector<bool> ClusterReplayer::ReadySlots(const ClusterMap& map) const {
  // Local slots whose master answers: drained, then forwarded again.
  std::vector<int8_t> up(map.nodes.size(), -1);
  std::vector<bool> ready(resp::kClusterSlots, false);
  for (uint16_t slot = 0; slot < resp::kClusterSlots; ++slot) {
    if (!SlotServedLocally(slot) || map.owner[slot] < 0) continue;
    int8_t& u = up[static_cast<size_t>(map.owner[slot])];
    if (u < 0) u = shards_.NodeUp(map.nodes[static_cast<size_t>(map.owner[slot])]) ? 1 : 0;
    ready[slot] = u == 1;
  }
  return ready;
}

void ClusterReplayer::DrainBeforeExit(uint64_t budget_ms) {
  const auto pending = [this] {
    return store_.Call([](LocalStore& s) { return s.journal().pending_entries(); });
  };
  const uint64_t before = pending();
  if (before == 0) return;
  const std::shared_ptr<const ClusterMap> map = CurrentClusterMap();
  uint64_t replayed = 0;
  if (map != nullptr && budget_ms > 0) {
    spdlog::info(
        "shutdown: {} journal entries pending; replaying those whose master answers (up "
        "to {} ms)",
        before, budget_ms);
    stopping_ = false;  // the thread is gone: this one replays
    deadline_ms_ = SteadyMs() + budget_ms;
    Pass pass;
    RunPass(*map, std::vector<bool>(resp::kClusterSlots, false), nullptr, &pass);
    replayed = pass.replayed;
    stopping_ = true;
  }
  const uint64_t after = pending();
  if (after == 0) {
    spdlog::info("shutdown: replayed all {} journal entries to the cluster", replayed);
    return;
  }
  spdlog::warn(
      "shutdown: {} journal entries left in {} ({} replayed; their masters did not answer in "
      "time); their slots are served locally after the next start until they are replayed",
      after, config_.data_dir, replayed);
}

void ClusterReplayer::Loop() {
  while (!stopping_) {
    const bool woken = wake_.Sleep(kIdleMs, stopping_);
    if (stopping_) break;
    const std::shared_ptr<const ClusterMap> map = CurrentClusterMap();
    if (map == nullptr) continue;
    const std::vector<bool> ready = ReadySlots(*map);
    const bool any_ready = std::find(ready.begin(), ready.end(), true) != ready.end();
    // Entries of forwarded slots (put back from the dead letters) replay when asked.
    if (!any_ready && !woken) continue;
    Pass pass;
    if (!RunPass(*map, ready, nullptr, &pass)) continue;
    if (any_ready && pass.left_ready < config_.journal.batch_entries) Cutover(pass);
  }
}

bool ClusterReplayer::RunPass(const ClusterMap& map, const std::vector<bool>& ready,
                              const std::vector<bool>* only, Pass* pass) {
  pass->ready = ready;
  pass->failed.assign(resp::kClusterSlots, false);
  std::vector<int8_t> up(map.nodes.size(), -1);
  std::map<uint16_t, std::vector<JournalEntry>> batches;
  size_t held = 0;
  std::vector<uint64_t> done;  // upstream has them already (at or below their slot's cursor)
  const size_t batch_entries = std::max<size_t>(1, config_.journal.batch_entries);
  const auto flush = [&](uint16_t slot) {
    std::vector<JournalEntry>& batch = batches[slot];
    if (batch.empty()) return;
    std::string error;
    if (!pass->failed[slot] && SendBatch(*map.NodeOf(slot), slot, batch, &error)) {
      pass->replayed += batch.size();
    } else {
      pass->failed[slot] = true;
      if (pass->ready[slot]) pass->left_ready += batch.size();
    }
    held -= batch.size();
    batch.clear();
  };
  const bool finished =
      ForEachGroup([&](std::vector<JournalEntry>& entries, size_t begin, size_t end, int found) {
        if (stopping_ || (deadline_ms_ != 0 && SteadyMs() >= deadline_ms_)) return false;
        if (found < 0) {
          DeadLetter(entries, begin, end,
                     "its keys are in several slots: Redis Cluster cannot apply it");
          return true;
        }
        const uint16_t slot = static_cast<uint16_t>(found);
        const int16_t owner = map.owner[slot];
        bool replayable = owner >= 0 && !pass->failed[slot] && (only == nullptr || (*only)[slot]);
        if (replayable) {
          int8_t& u = up[static_cast<size_t>(owner)];
          if (u < 0) u = shards_.NodeUp(map.nodes[static_cast<size_t>(owner)]) ? 1 : 0;
          replayable = u == 1;
        }
        uint64_t cursor = 0;
        std::string error;
        Conn* conn = replayable ? Connect(*map.NodeOf(slot), &error) : nullptr;
        if (conn == nullptr || !Cursor(*conn, slot, &cursor, &error)) {
          if (replayable) pass->failed[slot] = true;
          if (pass->ready[slot]) pass->left_ready += end - begin;
          return true;
        }
        if (entries[end - 1].seq <= cursor) {
          for (size_t k = begin; k < end; ++k) done.push_back(entries[k].seq);
          return true;
        }
        std::vector<JournalEntry>& batch = batches[slot];
        if (!batch.empty() && batch.size() + (end - begin) > batch_entries) flush(slot);
        for (size_t k = begin; k < end; ++k) batch.push_back(std::move(entries[k]));
        held += end - begin;
        if (batch.size() >= batch_entries) flush(slot);
        if (held >= 8 * batch_entries) {
          for (auto& [s, b] : batches) flush(s);
        }
        return true;
      });
  if (!finished) return false;
  for (auto& [s, b] : batches) flush(s);
  if (!done.empty()) {
    storage::Status s =
        store_.Call([&](LocalStore& st) { return st.journal().RemoveEntries(done); });
    if (!s.ok()) spdlog::warn("cluster: trimming replayed journal entries: {}", s.ToString());
  }
  return true;
}

void ClusterReplayer::DeadLetter(const std::vector<JournalEntry>& entries, size_t begin, size_t end,
                                 const std::string& why) {
  const int64_t now = WallMs();
  for (size_t i = begin; i < end; ++i) {
    storage::Status s =
        store_.Call([&](LocalStore& st) { return st.journal().RejectEntry(entries[i], why, now); });
    if (!s.ok()) {
      spdlog::error("cluster: dead-lettering journal entry {}: {}", entries[i].seq, s.ToString());
      return;
    }
    ++dead_lettered_;
    spdlog::warn("journal entry {} ({}) not replayed: {}; moved to dead letters", entries[i].seq,
                 entries[i].argv.empty() ? "" : entries[i].argv[0], why);
  }
}

ClusterReplayer::Conn* ClusterReplayer::Connect(const config::Endpoint& node, std::string* error) {
  std::unique_ptr<Conn>& conn = conns_[node.ToString()];
  if (conn == nullptr) {
    conn = std::make_unique<Conn>(
        node,
        CircuitBreaker(CircuitBreaker::Options{config_.breaker.failures, config_.breaker.successes,
                                               config_.breaker.backoff_base_ms,
                                               config_.breaker.backoff_max_ms},
                       [this](uint64_t bound) {
                         return std::uniform_int_distribution<uint64_t>(0, bound)(rng_);
                       }));
  }
  if (conn->client.connected()) return conn.get();
  if (!conn->breaker.Allow(SteadyMs())) {
    *error = "backing off after failures";
    return nullptr;
  }
  config::UpstreamUrl url = config_.upstream.parsed;
  url.cluster_nodes.clear();
  url.host = node.host;
  url.port = node.port;
  const uint32_t timeout = config_.upstream.request_timeout_ms;
  std::string request, reply;
  if (!conn->client.Connect(url, config_.upstream.connect_timeout_ms, error)) {
    Failed(*conn, *error);
    return nullptr;
  }
  conn->generation = ++generations_;
  // Fence the previous replay connection: a batch it sent may still sit in the node's buffers.
  // Once it is killed, that batch either applied (and the slot's cursor says so) or never will.
  if (conn->previous_id != 0) {
    resp::AppendCommand(&request, {"CLIENT", "KILL", "ID", std::to_string(conn->previous_id)});
    if (!conn->client.Call(request, timeout, &reply, error)) {
      Failed(*conn, *error);
      return nullptr;
    }
    request.clear();
  }
  resp::AppendCommand(&request, {"CLIENT", "ID"});
  if (!conn->client.Call(request, timeout, &reply, error)) {
    Failed(*conn, *error);
    return nullptr;
  }
  if (reply[0] == ':') {
    std::from_chars(reply.data() + 1, reply.data() + reply.size() - 2, conn->previous_id);
  }
  return conn.get();
}

void ClusterReplayer::Failed(Conn& conn, const std::string& error) {
  conn.client.Close();
  conn.breaker.OnFailure(SteadyMs());
  spdlog::warn("cluster: replay to {} failed: {} (breaker {})", conn.node.ToString(), error,
               CircuitBreaker::Name(conn.breaker.state()));
}

bool ClusterReplayer::Cursor(Conn& conn, uint16_t slot, uint64_t* cursor, std::string* error) {
  Known& known = cursors_[slot];
  if (known.generation == conn.generation && known.conn == &conn) {
    *cursor = known.cursor;
    return true;
  }
  std::string request, reply;
  resp::AppendCommand(&request, {"GET", CursorKey(slot)});
  if (!conn.client.Call(request, config_.upstream.request_timeout_ms, &reply, error)) {
    Failed(conn, *error);
    return false;
  }
  if (reply[0] == '-') {
    *error = "reading the replay cursor of slot " + std::to_string(slot) + ": " + ErrorText(reply);
    if (reply.starts_with("-MOVED") || reply.starts_with("-ASK")) {
      if (ClusterWatcher* watcher = server_.cluster()) watcher->RequestRefresh();
    }
    Failed(conn, *error);
    return false;
  }
  uint64_t value = 0;
  if (reply[0] == '$' && reply[1] != '-') {
    const size_t start = reply.find("\r\n") + 2;
    std::from_chars(reply.data() + start, reply.data() + reply.size() - 2, value);
  }
  known = Known{value, conn.generation, &conn};
  *cursor = value;
  return true;
}

bool ClusterReplayer::SendBatch(const config::Endpoint& node, uint16_t slot,
                                const std::vector<JournalEntry>& batch, std::string* error) {
  Conn* conn = Connect(node, error);
  if (conn == nullptr) return false;
  const uint32_t timeout = config_.upstream.request_timeout_ms;
  std::string request;
  for (const JournalEntry& entry : batch) resp::AppendCommandRange(&request, entry.argv);
  resp::AppendCommand(&request, {"SET", CursorKey(slot), std::to_string(batch.back().seq)});
  resp::AppendCommand(&request, {"EXEC"});
  // MULTI alone first: were it refused, the entries behind it would run outside a transaction.
  std::string reply;
  if (!conn->client.Call(kMulti, timeout, &reply, error)) {
    Failed(*conn, *error);
    return false;
  }
  if (reply[0] == '-') {
    *error = "MULTI refused: " + ErrorText(reply);
    Failed(*conn, *error);
    return false;
  }
  if (!conn->client.Send(request, timeout, error)) {
    Failed(*conn, *error);
    return false;
  }
  std::vector<std::pair<size_t, std::string>> rejected;  // refused at queue time
  std::string transient;
  for (size_t i = 0; i <= batch.size(); ++i) {
    if (!conn->client.Read(timeout, &reply, error)) {
      Failed(*conn, *error);
      return false;
    }
    if (reply[0] != '-') continue;
    if (Transient(reply) || i == batch.size()) {
      if (transient.empty()) transient = ErrorText(reply);
    } else {
      rejected.emplace_back(i, ErrorText(reply));
    }
  }
  std::string exec;
  if (!conn->client.Read(timeout, &exec, error)) {
    Failed(*conn, *error);
    return false;
  }
  if (!transient.empty()) {
    // Nothing ran (EXECABORT). A slot that moved is replayed where the next map says.
    if (transient.starts_with("MOVED") || transient.starts_with("ASK")) {
      if (ClusterWatcher* watcher = server_.cluster()) watcher->RequestRefresh();
    }
    *error = "slot " + std::to_string(slot) + ": " + transient;
    Failed(*conn, *error);
    return false;
  }
  const int64_t now = WallMs();
  if (exec[0] == '-') {
    if (rejected.empty()) {
      *error = "EXEC refused: " + ErrorText(exec);
      Failed(*conn, *error);
      return false;
    }
    // Entries the node refused to queue (unknown command, arity) can never apply: dead letters;
    // the rest of the batch goes again in the next pass.
    for (const auto& [index, text] : rejected) {
      const JournalEntry& entry = batch[index];
      storage::Status s =
          store_.Call([&](LocalStore& st) { return st.journal().RejectEntry(entry, text, now); });
      if (!s.ok()) spdlog::error("cluster: dead-lettering an entry: {}", s.ToString());
      ++dead_lettered_;
      spdlog::warn("journal entry {} ({}) refused by {}: {}; moved to dead letters", entry.seq,
                   entry.argv[0], node.ToString(), text);
    }
    *error = "entries refused";
    return false;
  }
  std::vector<std::string_view> results;
  if (!SplitArray(exec, &results) || results.size() != batch.size() + 1) {
    *error = "unexpected EXEC reply";
    Failed(*conn, *error);
    return false;
  }
  // Applied, cursor included. Runtime errors of single entries (WRONGTYPE: another writer
  // changed the key) keep their entry in the dead letters.
  std::vector<uint64_t> seqs;
  std::vector<std::pair<size_t, std::string>> failed;
  for (size_t i = 0; i < batch.size(); ++i) {
    seqs.push_back(batch[i].seq);
    if (results[i][0] == '-') failed.emplace_back(i, ErrorText(results[i]));
  }
  cursors_[slot] = Known{batch.back().seq, conn->generation, conn};
  storage::Status s = store_.Call([&](LocalStore& st) {
    for (const auto& [index, text] : failed) st.journal().DeadLetterEntry(batch[index], text, now);
    return st.journal().RemoveEntries(seqs);
  });
  for (const auto& [index, text] : failed) {
    spdlog::warn("journal entry {} ({}) failed on {}: {}; kept in dead letters", batch[index].seq,
                 batch[index].argv[0], node.ToString(), text);
  }
  dead_lettered_ += failed.size();
  replayed_ += batch.size();
  conn->breaker.OnSuccess();
  // Upstream has the batch (its cursor says so); a failed trim is redone by the next pass.
  if (!s.ok()) spdlog::warn("cluster: trimming replayed journal entries: {}", s.ToString());
  return true;
}

void ClusterReplayer::Cutover(const Pass& pass) {
  std::vector<bool> only(resp::kClusterSlots, false);
  bool any = false;
  for (uint16_t slot = 0; slot < resp::kClusterSlots; ++slot) {
    only[slot] = pass.ready[slot] && !pass.failed[slot];
    any = any || only[slot];
  }
  if (!any) return;
  const auto started = std::chrono::steady_clock::now();
  // No client may write to these slots locally between the tail and the switch.
  failover_.BeginPause();
  const std::shared_ptr<const ClusterMap> map = CurrentClusterMap();
  Pass tail;
  std::vector<uint16_t> drained;
  if (map != nullptr && RunPass(*map, ReadySlots(*map), &only, &tail)) {
    for (uint16_t slot = 0; slot < resp::kClusterSlots; ++slot) {
      if (only[slot] && tail.ready[slot] && !tail.failed[slot]) drained.push_back(slot);
    }
  }
  std::set<std::string> masters, failed;
  if (!drained.empty()) {
    // Scripts loaded during the outage reach the masters before their slots are forwarded.
    const std::vector<std::string> bodies =
        store_.Call([](LocalStore& s) { return s.scripts().Bodies(); });
    std::vector<uint16_t> loaded;
    for (const uint16_t slot : drained) {
      const config::Endpoint* node = map->NodeOf(slot);
      if (node == nullptr) continue;
      const std::string name = node->ToString();
      if (failed.count(name) > 0) continue;
      if (masters.count(name) == 0) {
        if (!LoadScripts(*node, bodies)) {
          failed.insert(name);  // its slots wait for the next cutover
          continue;
        }
        masters.insert(name);
      }
      loaded.push_back(slot);
    }
    drained = shards_.ForwardAgain(loaded);
  }
  if (!drained.empty()) {
    DropLocalKeys(drained);
    if (SlotsServedLocally() == 0) store_.ReleaseParkedClients();
    ++cutovers_;
  }
  const auto pause_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
  failover_.EndPause();
  if (!drained.empty()) {
    std::string names;
    for (const std::string& m : masters) names += (names.empty() ? "" : ", ") + m;
    spdlog::info(
        "cluster: replayed the journal of {} slots to {} ({} entries in the last pass, cutover "
        "pause {} ms); forwarding them",
        drained.size(), names, tail.replayed, pause_ms);
  }
}

bool ClusterReplayer::LoadScripts(const config::Endpoint& node,
                                  const std::vector<std::string>& bodies) {
  if (bodies.empty()) return true;
  std::string error, reply;
  Conn* conn = Connect(node, &error);
  if (conn == nullptr) return false;
  const uint32_t timeout = config_.upstream.request_timeout_ms;
  std::string request;
  for (const std::string& body : bodies) resp::AppendCommand(&request, {"SCRIPT", "LOAD", body});
  if (!conn->client.Send(request, timeout, &error)) {
    Failed(*conn, error);
    return false;
  }
  for (size_t i = 0; i < bodies.size(); ++i) {
    if (!conn->client.Read(timeout, &reply, &error)) {
      Failed(*conn, error);
      return false;
    }
  }
  return true;
}

void ClusterReplayer::DropLocalKeys(const std::vector<uint16_t>& slots) {
  std::vector<bool> drop(resp::kClusterSlots, false);
  for (const uint16_t slot : slots) drop[slot] = true;
  store_.Call([&](LocalStore& s) {
    if (SlotsServedLocally() == 0) {
      storage::Status cleared = s.keyspace().Flush(-1);
      if (!cleared.ok()) spdlog::warn("clearing local data after replay: {}", cleared.ToString());
      return;
    }
    std::vector<std::string> keys;
    auto it = s.keyspace().IterateKeys(0);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = it->key().substr(1);
      if (drop[resp::KeySlot(key)]) keys.emplace_back(key);
    }
    it.reset();
    for (const std::string& key : keys) s.keyspace().DeleteKey(0, key);
  });
}

}  // namespace respite::proxy
