#pragma once
// What each admin HTTP route answers, apart from the HTTP transport (admin_server.cpp), so the
// routes stay small and testable.

#include <string>
#include <string_view>

#include "proxy/admin/admin_http.h"

namespace respite::proxy {

class Server;

// The answer to `request`, after the refusals of AdminRequestRefusal (admin_http.h).
AdminResponse HandleAdminRequest(Server& server, const AdminRequest& request);

// Pins or releases the mode by name (auto, forward, local). Returns an error text, or empty.
std::string SetModeByName(Server& server, std::string_view name);

}  // namespace respite::proxy
