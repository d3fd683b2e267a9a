#pragma once
// RESPITE STATUS | MODE [auto|forward|local] | SYNC | JOURNAL LEN | JOURNAL PEEK [n] |
// JOURNAL DEADLETTERS [n] | JOURNAL RETRY | TOKEN token: the admin endpoint's powers over RESP,
// for operators who have redis-cli at hand. Changing respite's state (MODE x, SYNC, JOURNAL
// RETRY) follows the admin endpoint's policy (admin_http.h): the admin token, given once per
// connection with RESPITE TOKEN, or a client on loopback while no token is set.

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

// What one client connection may do with the state-changing subcommands.
struct AdminGrant {
  bool peer_loopback = false;  // connected from 127.0.0.1 or ::1
  bool token_given = false;    // sent RESPITE TOKEN with the admin token (RESET forgets it)
};

// Answers into *reply; or, for subcommands that read the journal, leaves *reply empty and sets
// *query (to be run on the store executor, whose result is the reply).
void RunRespiteCommand(Server& server, std::span<const std::string_view> argv, int protocol,
                       AdminGrant* grant, std::string* reply, StoreQuery* query);

}  // namespace respite::proxy
