#pragma once
// The per-client state the local store needs: selected db, protocol, transaction, watched keys.
// Owned by the proxy's client session; used only on the store executor.

#include <cstdint>
#include <string>
#include <vector>

namespace respite::storage {

struct LocalSession {
  int db = 0;
  int protocol = 2;
  // MULTI: queued commands (owned copies), and whether queuing failed (EXEC answers EXECABORT).
  bool in_multi = false;
  bool multi_error = false;
  std::vector<std::vector<std::string>> queued;
  // WATCH: the watched keys and whether one was modified since.
  struct WatchedKey {
    std::string key;       // MetaKey bytes (the db it was watched in, then the key)
    bool expired = false;  // present but already expired when watched (Redis ignores its expiry)
  };
  std::vector<WatchedKey> watched;
  bool watch_dirty = false;
  // The command runs again after it was parked on a blocking wait (set by the store executor).
  bool woken = false;
};

}  // namespace respite::storage
