#pragma once
// Cluster mode: one multi-key command whose keys are in several slots (MGET, MSET, DEL, UNLINK,
// EXISTS, TOUCH), split into one command per slot, sent to each slot's master over the shared
// links, and answered to the client as one reply: MGET's values put back in the order of its keys,
// MSET's OK, the others' counts added up. A part's -MOVED or -ASK is followed like any redirect.
// The first error a part gets is the reply (the other parts may have run: as with a cluster
// client that splits the command itself). Thread: the io thread of the client that sent it.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/upstream/reply_sink.h"

namespace respite::proxy {

class IoThread;
struct ClusterMap;

class ClusterGather final : public ReplySink {
 public:
  // Whether `name` (a command's lower-case name) can be split this way.
  static bool Splits(std::string_view name);

  // Splits `argv` (`command`, lower case, which Splits() accepts; keys in several slots) by slot
  // and sends the parts
  // on `io`'s links to the nodes of `map`, for the client `owner`, whose reply `tag` gets the
  // merged reply through owner->OnReply. `protocol` and `user` pick the links, as for the client's
  // other commands. Null `refusal`: sent; otherwise the error to answer instead (a slot no node
  // serves).
  static void Send(IoThread& io, const ClusterMap& map, std::string_view command,
                   std::span<const std::string_view> argv, int protocol, uint32_t user,
                   ReplySink* owner, uint64_t tag, std::string* refusal);

  void OnReply(uint64_t part, std::string_view reply) override;
  void OnRequestFailed(uint64_t part, std::string_view error, std::string_view request,
                       bool sent) override;
  void OnRedirect(uint64_t part, std::string_view reply, std::string_view request) override;
  void OnLinkClosed(UpstreamLink*) override {}
  void OnRelay(std::string_view) override {}
  void AddRef() override { ++refs_; }
  void Release() override;

 private:
  enum class Merge { kValuesByKey, kOk, kSum };
  ClusterGather(IoThread& io, int protocol, uint32_t user, ReplySink* owner, uint64_t tag,
                Merge merge, size_t keys);
  ~ClusterGather() = default;
  void PartDone();
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
  // MGET: each key's value (RESP bytes), by the key's position in the command.
  std::vector<std::string> values_;
  // Per part: the positions (0-based, among the keys) of its keys.
  std::vector<std::vector<size_t>> positions_;
  long long sum_ = 0;
  std::string error_;  // the first error reply a part got
};

}  // namespace respite::proxy
