#pragma once
// The admin endpoint's HTTP, apart from sockets (admin_server.cpp) and from what each route
// answers (admin_routes.cpp): parsing a request with the endpoint's limits, who may do what (one
// policy with RESPITE's subcommands), and rendering the response. No Server here, so the fuzz
// target runs exactly this code on arbitrary bytes.

#include <cstddef>
#include <string>
#include <string_view>

namespace respite::proxy {

// Admin requests carry no header or body worth more than this.
inline constexpr size_t kMaxAdminRequest = 16 * 1024;

struct AdminRequest {
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // "/mode/local?x=1"
  std::string authorization, host, origin;
  bool has_host = false;
  bool keep_alive = false;
  unsigned version = 11;       // 10 or 11
  bool peer_loopback = false;  // set by the caller: the client connected from 127.0.0.1 or ::1
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // for 405: the methods the route accepts
};

// Parses one request from the front of `bytes`. Returns the bytes it took, 0 when `bytes` holds
// only part of one, or -1 when they are not an HTTP/1.x request within the limits.
long ParseAdminRequest(std::string_view bytes, AdminRequest* out);

// The response bytes for `response` to `request` (HEAD: headers only).
std::string RenderAdminResponse(const AdminRequest& request, const AdminResponse& response);

// True when `given` is the admin token (compared in constant time); false when no token is set.
bool AdminTokenMatches(const std::string& token, std::string_view given);

// One policy for both admin planes (the POST routes and RESPITE's state-changing subcommands):
// with admin_token set, the token is needed; without one, only clients on loopback may act.
// Returns "" when allowed, or why not.
std::string AdminActionRefusal(const std::string& token, bool token_given, bool peer_loopback);

// Refusals every request meets before its route, as a response with status != 0:
//   - a client on loopback whose Host header names something else: what a page that rebinds its
//     DNS name to 127.0.0.1 sends (403);
//   - a POST with an Origin header: only browsers send one, and no page may drive respite (403);
//   - a POST (an action) the policy above refuses (401 without the right token when one is set,
//     403 from outside loopback when none is).
// status 0: go on to the route.
AdminResponse AdminRequestRefusal(const AdminRequest& request, const std::string& token);

}  // namespace respite::proxy
