#pragma once
// Small helpers the multi-process fixtures (sentinel_group, cluster_group) share: log tails for
// failure messages, deadlines, and the text of a hiredis reply.

#include <hiredis/hiredis.h>

#include <chrono>
#include <string>

namespace respite::test {

// The last `limit` bytes of `text`, marked "..." when cut (several processes' logs must stay
// readable in one failure message).
inline std::string LogTail(const std::string& text, size_t limit = 2048) {
  return text.size() > limit ? "..." + text.substr(text.size() - limit) : text;
}

// Time left until `deadline`, never negative.
inline std::chrono::milliseconds TimeLeft(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

// A string or status reply's text; empty for anything else.
inline std::string ReplyText(const redisReply* r) {
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return {};
  return std::string(r->str, r->len);
}

}  // namespace respite::test
