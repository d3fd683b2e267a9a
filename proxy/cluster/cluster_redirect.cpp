#include "proxy/cluster/cluster_redirect.h"

#include <string>

#include "proxy/cluster/cluster_map.h"
#include "proxy/cluster/cluster_watcher.h"
#include "proxy/io_thread.h"
#include "proxy/server.h"
#include "proxy/upstream/upstream_link.h"
#include "resp/command_encoder.h"

namespace respite::proxy {

void NoteRedirect(IoThread& io, const Redirect& redirect) {
  if (!redirect.ask && NoteMoved(redirect.slot, redirect.to)) {
    if (ClusterWatcher* watcher = io.server().cluster()) watcher->RequestRefresh();
  }
}

void FollowRedirect(IoThread& io, const Redirect& redirect, int protocol, uint32_t user,
                    std::string_view request, ReplySink* sink, uint64_t tag) {
  ClusterWatcher::CountRedirect();
  NoteRedirect(io, redirect);
  UpstreamLink& link = io.NodeLink(redirect.to, protocol, user);
  if (redirect.ask) {
    // ASKING lets the importing node serve the slot for the one command that follows it.
    std::string asking;
    resp::AppendCommand(&asking, {"ASKING"});
    link.SendInternalBatch(asking, 1, /*any_reply=*/true);
  }
  link.Send(request, sink, tag);
}

}  // namespace respite::proxy
