#pragma once
// The HTTP admin endpoint (DESIGN.md "Admin and observability"), on its own thread and
// io_context so that probes and scrapes never touch the client path:
//   GET  /healthz                       200 while the process runs
//   GET  /readyz                        200 while respite can serve in its mode, else 503
//   GET  /status                        JSON status (status_report.h)
//   GET  /metrics                       Prometheus text exposition
//   POST /sync                          replay the journal now if upstream answers
//   POST /mode/{auto,forward,local}     pin or release the mode
// POST routes need `Authorization: Bearer <admin_token>` when admin_token is set.

#include <memory>
#include <string>

#include "config/config.h"

namespace respite::proxy {

class Server;

class AdminServer {
 public:
  explicit AdminServer(Server& server);
  ~AdminServer();

  // Binds and starts serving. Returns an empty string, or why it could not bind.
  std::string Start(const config::Endpoint& at);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace respite::proxy
