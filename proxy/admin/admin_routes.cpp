#include "proxy/admin/admin_routes.h"

#include <spdlog/spdlog.h>

#include "proxy/admin/status_report.h"
#include "proxy/failover/failover.h"
#include "proxy/json.h"
#include "proxy/server.h"

namespace respite::proxy {

namespace {

AdminResponse Text(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

AdminResponse Json(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

std::string ResultJson(std::string_view result, Server& server) {
  std::string body = "{\"result\":";
  AppendJsonString(&body, result);
  body += ",\"state\":";
  AppendJsonString(&body, Failover::Name(server.failover().state()));
  body += ",\"mode\":";
  AppendJsonString(&body, Failover::Name(server.failover().mode()));
  body += "}\n";
  return body;
}

}  // namespace

std::string SetModeByName(Server& server, std::string_view name) {
  Failover::Mode mode;
  if (name == "auto") {
    mode = Failover::Mode::kAuto;
  } else if (name == "forward") {
    mode = Failover::Mode::kForward;
  } else if (name == "local") {
    mode = Failover::Mode::kLocal;
    if (server.store() == nullptr) return "the local store is not open; mode local is unavailable";
  } else {
    return "unknown mode '" + std::string(name) + "' (expected auto, forward or local)";
  }
  if (mode == Failover::Mode::kLocal && !server.config().upstream.parsed.cluster_nodes.empty()) {
    return "a redis+cluster:// upstream takes mode auto or forward: respite serves a cluster's "
           "slots locally only while their master is down";
  }
  server.failover().SetMode(mode);
  return {};
}

AdminResponse HandleAdminRequest(Server& server, const AdminRequest& request) {
  if (AdminResponse refused = AdminRequestRefusal(request, server.config().admin_token);
      refused.status != 0) {
    return refused;
  }
  const std::string_view method = request.method;
  const std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = method == "GET" || method == "HEAD";
  auto only = [](const char* allow) {
    AdminResponse r = Text(405, "method not allowed\n");
    r.allow = allow;
    return r;
  };

  if (path == "/healthz") return get ? Text(200, "ok\n") : only("GET, HEAD");
  if (path == "/readyz") {
    if (!get) return only("GET, HEAD");
    std::string why;
    if (Ready(CollectStatus(server), &why)) return Text(200, "ready\n");
    return Text(503, "not ready: " + why + "\n");
  }
  if (path == "/status") {
    if (!get) return only("GET, HEAD");
    return Json(200, RenderStatusJson(CollectStatus(server)));
  }
  if (path == "/metrics") {
    if (!get) return only("GET, HEAD");
    AdminResponse r = Text(200, RenderPrometheus(CollectStatus(server), server));
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return r;
  }
  const bool is_sync = path == "/sync";
  const bool is_mode = path.substr(0, 6) == "/mode/";
  if (!is_sync && !is_mode) return Text(404, "not found\n");
  if (method != "POST") return only("POST");
  if (is_sync) {
    const std::string result = server.failover().RequestSync();
    spdlog::info("admin: sync requested: {}", result);
    return Json(202, ResultJson(result, server));
  }
  const std::string_view name = path.substr(6);
  if (std::string error = SetModeByName(server, name); !error.empty()) {
    return Json(400, ResultJson(error, server));
  }
  return Json(200, ResultJson("mode set to " + std::string(name), server));
}

}  // namespace respite::proxy
