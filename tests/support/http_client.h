#pragma once
// A minimal HTTP/1.1 client for the admin endpoint: one request per connection
// (Connection: close), the whole response read into memory.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace respite::test {

struct HttpResponse {
  int status = 0;                              // 0: no response (error says why)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;
};

HttpResponse HttpRequest(uint16_t port, const std::string& method, const std::string& target,
                         const std::string& authorization = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace respite::test
