#pragma once
// Commands about every client of this respite (CLIENT LIST, KILL, UNBLOCK): each io thread looks
// at its own sessions, on its own thread, and the asking session gets the results on its thread.
// No locks: sessions are only ever touched by the thread that owns them.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace respite::storage {
class LocalSession;
}

namespace respite::proxy {

class IoThread;
class Server;

// What one io thread found.
struct DirectoryVisit {
  std::string text;      // CLIENT LIST lines
  uint64_t matched = 0;  // sessions matched (killed, found)
  // CLIENT UNBLOCK: the target blocked upstream (the upstream connection's own client id), or on
  // the local store (its store session).
  uint64_t upstream_client_id = 0;
  std::shared_ptr<storage::LocalSession> blocked_locally;
};

// Runs `visit` on every io thread (each on its own thread), then `done` on `origin`'s thread
// with the results in thread order. `done` must keep alive what it needs (the caller AddRefs).
void VisitAllIoThreads(Server& server, IoThread& origin,
                       std::function<DirectoryVisit(IoThread&)> visit,
                       std::function<void(std::vector<DirectoryVisit>)> done);

}  // namespace respite::proxy
