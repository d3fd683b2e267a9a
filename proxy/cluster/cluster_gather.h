#pragma once
// Cluster mode: one client command answered from several nodes.
// - Split: a multi-key command whose keys are in several slots (MGET, MSET, DEL, UNLINK, EXISTS,
//   TOUCH), one command per slot to each slot's master: MGET's values put back in the order of
//   its keys, MSET's OK, the others' counts added up.
// - Fan-out: a command about the whole keyspace (KEYS, DBSIZE, FLUSHALL, FLUSHDB, RANDOMKEY) to
//   every master: KEYS' names concatenated, DBSIZE's counts added up, FLUSH*'s OK, one of the
//   RANDOMKEY answers that is not nil.
// - Scripts and functions loaded (or flushed) on every master; the first answer is the reply.
// - SCAN walks the masters one after another: the client's cursor carries the master's index in
//   its low 10 bits and that master's own cursor above them.
// Parts go over the shared node links; a part's -MOVED or -ASK is followed like any redirect. The
// first error a part gets is the reply (the other parts may have run: as with a cluster client
// that splits the command itself). Thread: the io thread of the client that sent it.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/upstream/reply_sink.h"

namespace respite::proxy {

class IoThread;
struct ClusterMap;

class ClusterGather final : public ReplySink {
 public:
  // Whether `name` (a command's lower-case name) can be split by slot, or goes to every master
  // (SCAN included).
  static bool Splits(std::string_view name);
  static bool GoesToEveryNode(std::string_view name);
  // Script and function management (SCRIPT LOAD, SCRIPT FLUSH, FUNCTION LOAD, ...: `name` the
  // command's lower-case name, `argv` the whole command), sent to every master outside a
  // transaction so that EVALSHA and FCALL find them on any node; the first master's answer is
  // the reply. Masters whose slots are served locally are skipped: the replay loads the local
  // store's scripts there before the cutover.
  static bool LoadsEverywhere(std::string_view name, std::span<const std::string_view> argv);

  // Runs one part on the local store, for slots whose master is down (shard_failover.h); its
  // reply comes back through sink->OnReply(part, ...) on the io thread. Supplied by the client
  // session (its store session and db); empty: such parts are refused.
  using LocalPart =
      std::function<void(std::span<const std::string_view> argv, ReplySink* sink, uint64_t part)>;

  // Splits `argv` (`command`, lower case, which Splits() accepts; keys in several slots) by slot
  // and sends the parts
  // on `io`'s links to the nodes of `map`, for the client `owner`, whose reply `tag` gets the
  // merged reply through owner->OnReply. `protocol` and `user` pick the links, as for the client's
  // other commands. Null `refusal`: sent; otherwise the error to answer instead (a slot no node
  // serves).
  // A slot served locally is asked of the store through `local`.
  static void Send(IoThread& io, const ClusterMap& map, std::string_view command,
                   std::span<const std::string_view> argv, int protocol, uint32_t user,
                   ReplySink* owner, uint64_t tag, std::string* refusal,
                   const LocalPart& local = {});

  // Sends `argv` (`command`, which GoesToEveryNode() accepts) to the masters of `map`, as Send.
  // Masters whose slots are served locally are asked through `local` once, together: the store
  // holds only those slots' keys (FLUSHALL and FLUSHDB are refused then: the journal cannot
  // replay a flush of one master).
  static void SendToEveryNode(IoThread& io, const ClusterMap& map, std::string_view command,
                              std::span<const std::string_view> argv, int protocol, uint32_t user,
                              ReplySink* owner, uint64_t tag, std::string* refusal,
                              const LocalPart& local = {});

  void OnReply(uint64_t part, std::string_view reply) override;
  void OnRequestFailed(uint64_t part, std::string_view error, std::string_view request,
                       bool sent) override;
  void OnRedirect(uint64_t part, std::string_view reply, std::string_view request) override;
  void OnLinkClosed(UpstreamLink*) override {}
  void OnRelay(std::string_view) override {}
  void AddRef() override { ++refs_; }
  void Release() override;

 private:
  enum class Merge { kValuesByKey, kOk, kSum, kConcat, kAnyValue, kScan, kFirst };
  ClusterGather(IoThread& io, int protocol, uint32_t user, ReplySink* owner, uint64_t tag,
                Merge merge, size_t keys);
  ~ClusterGather() = default;
  void PartDone();
  // Queues `argv` to `node`'s shared link as part `part` (positions_ grows to match).
  void SendPart(const config::Endpoint& node, std::span<const std::string_view> argv);
  // The same through the local store.
  void SendLocalPart(const LocalPart& local, std::span<const std::string_view> argv);
  std::string Merged() const;

  IoThread& io_;
  int protocol_;
  uint32_t user_;
  ReplySink* owner_;
  uint64_t tag_;
  Merge merge_;
  int refs_ = 1;
  size_t waiting_ = 0;  // parts not answered yet
  uint32_t redirects_ = 0;
  std::string first_;  // kFirst: the first part's reply
  // MGET: each key's value (RESP bytes), by the key's position in the command.
  std::vector<std::string> values_;
  // Per part: the positions (0-based, among the keys) of its keys.
  std::vector<std::vector<size_t>> positions_;
  long long sum_ = 0;
  // KEYS: the names (RESP bytes) and how many; RANDOMKEY: the answers that are not nil.
  std::string concat_;
  size_t concat_count_ = 0;
  std::vector<std::string> any_;
  // SCAN: the master asked (its index in the map) and how many masters there are.
  size_t scan_node_ = 0, scan_nodes_ = 0;
  std::string scan_reply_;
  std::string error_;  // the first error reply a part got
};

}  // namespace respite::proxy
