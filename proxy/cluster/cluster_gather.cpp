#include "proxy/cluster/cluster_gather.h"

#include <charconv>
#include <map>

#include "proxy/cluster/cluster_map.h"
#include "proxy/cluster/cluster_redirect.h"
#include "proxy/io_thread.h"
#include "proxy/upstream/blocking_client.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/command_encoder.h"
#include "resp/key_slot.h"

namespace respite::proxy {
namespace {

// Redirects followed for one command's parts: past this the slot map is taken as unsettled.
constexpr uint32_t kMaxRedirects = 64;

}  // namespace

bool ClusterGather::Splits(std::string_view name) {
  return name == "mget" || name == "mset" || name == "del" || name == "unlink" ||
         name == "exists" || name == "touch";
}

ClusterGather::ClusterGather(IoThread& io, int protocol, uint32_t user, ReplySink* owner,
                             uint64_t tag, Merge merge, size_t keys)
    : io_(io), protocol_(protocol), user_(user), owner_(owner), tag_(tag), merge_(merge) {
  owner_->AddRef();
  if (merge_ == Merge::kValuesByKey) values_.resize(keys);
}

void ClusterGather::Send(IoThread& io, const ClusterMap& map, std::string_view command,
                         std::span<const std::string_view> argv, int protocol, uint32_t user,
                         ReplySink* owner, uint64_t tag, std::string* refusal) {
  const bool pairs = command == "mset";  // key value pairs
  const size_t step = pairs ? 2 : 1;
  const size_t keys = (argv.size() - 1) / step;
  const Merge merge = command == "mget" ? Merge::kValuesByKey : pairs ? Merge::kOk : Merge::kSum;
  const std::string_view name = argv[0];
  // The keys' positions by slot, in the command's order within each slot.
  std::map<uint16_t, std::vector<size_t>> by_slot;
  for (size_t k = 0; k < keys; ++k) by_slot[resp::KeySlot(argv[1 + k * step])].push_back(k);
  for (const auto& [slot, positions] : by_slot) {
    if (map.NodeOf(slot) == nullptr) {
      *refusal = "-CLUSTERDOWN Hash slot not served\r\n";
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
    case Merge::kValuesByKey:
      break;
  }
  std::string out = "*" + std::to_string(values_.size()) + "\r\n";
  for (const std::string& value : values_) out += value;
  return out;
}

}  // namespace respite::proxy
