#pragma once
// Cluster mode: following a -MOVED or -ASK reply to a request sent on a shared node link. A
// -MOVED patches the slot map at once (and asks the watcher for a fresh one); -ASK leaves the map
// alone and sends ASKING first. The request then goes to the node named, for the same sink and
// tag. Thread: the io thread that owns the links.

#include <cstdint>
#include <string_view>

#include "config/config.h"

namespace respite::proxy {

class IoThread;
class ReplySink;

struct Redirect {
  bool ask = false;
  uint16_t slot = 0;
  config::Endpoint to;
};

// Notes a -MOVED in the map (a -ASK changes nothing).
void NoteRedirect(IoThread& io, const Redirect& redirect);
// Counts the redirect as followed, NoteRedirect, then sends `request` again where `redirect` says,
// on the shared link for `protocol` and `user` there; its reply goes to sink->OnReply(tag, ...).
void FollowRedirect(IoThread& io, const Redirect& redirect, int protocol, uint32_t user,
                    std::string_view request, ReplySink* sink, uint64_t tag);

}  // namespace respite::proxy
