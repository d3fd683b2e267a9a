#pragma once
// What each admin HTTP route answers, apart from the HTTP transport (admin_server.cpp), so the
// routes stay small and testable.

#include <string>
#include <string_view>

namespace respite::proxy {

class Server;

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // for 405: the methods the route accepts
};

// `authorization` is the request's Authorization header (may be empty).
AdminResponse HandleAdminRequest(Server& server, std::string_view method, std::string_view target,
                                 std::string_view authorization);

// Pins or releases the mode by name (auto, forward, local). Returns an error text, or empty.
std::string SetModeByName(Server& server, std::string_view name);

}  // namespace respite::proxy
