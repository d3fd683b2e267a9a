#pragma once
// RESPITE STATUS | MODE [auto|forward|local] | SYNC | JOURNAL LEN | JOURNAL PEEK [n] |
// JOURNAL DEADLETTERS [n] | JOURNAL RETRY: the admin endpoint's powers over RESP, for operators
// who have redis-cli at hand.

#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace respite::storage {
class LocalStore;
}

namespace respite::proxy {

class Server;

// Work a RESPITE command needs done on the store thread; returns the reply.
using StoreQuery = std::function<std::string(storage::LocalStore&)>;

// Answers into *reply; or, for subcommands that read the journal, leaves *reply empty and sets
// *query (to be run on the store executor, whose result is the reply).
void RunRespiteCommand(Server& server, std::span<const std::string_view> argv, int protocol,
                       std::string* reply, StoreQuery* query);

}  // namespace respite::proxy
