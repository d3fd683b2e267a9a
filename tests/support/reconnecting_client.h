#pragma once
// A client of a respite under test that reconnects after an I/O failure, as an app's client
// library would across an outage. Not thread-safe.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/respite_process.h"

namespace respite::test {

class ReconnectingClient {
 public:
  explicit ReconnectingClient(RespiteProcess& respite) : respite_(respite) {}
  // The reply, or an empty Reply after an I/O error (the connection is then dropped).
  Reply Command(const std::vector<std::string>& argv) {
    if (!client_ || !client_->ok()) {
      client_ = std::make_unique<Client>(respite_.Connect(std::chrono::seconds(5)));
    }
    if (!client_->ok()) {
      client_.reset();
      return Reply();
    }
    Reply r = client_->Command(argv);
    if (!r) client_.reset();
    return r;
  }

 private:
  RespiteProcess& respite_;
  std::unique_ptr<Client> client_;
};

}  // namespace respite::test
