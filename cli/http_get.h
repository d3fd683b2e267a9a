#pragma once
// A tiny blocking HTTP/1.1 GET client for `respite top`: one request per connection
// (Connection: close), the whole response read into memory, every step bounded by one deadline.
// POSIX sockets only (no Asio/Beast in cli/). Not for the Internet: no TLS, no redirects.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace respite::cli {

struct HttpGetResult {
  int status = 0;     // the response's status code; 0 when there is no response (see error)
  std::string body;   // the decoded body (Content-Length, chunked, or up to EOF)
  std::string error;  // empty on success; otherwise what failed, e.g. "connect: Connection refused"
  bool ok() const { return error.empty(); }
};

// Upper bound of a response the client accepts; a larger one is an error.
inline constexpr size_t kHttpMaxResponseBytes = 64u << 20;

// GETs http://host:port<target>. `host` is a name or a literal address (IPv4 or IPv6 without
// brackets). `bearer_token`, when not empty, goes out as "Authorization: Bearer <token>".
// Connecting, sending and reading all end by `timeout` from the call; EINTR is retried until then.
// Name resolution (getaddrinfo) is the system's and not bounded by `timeout`.
// A response with any status code is a success (error empty): callers check status.
HttpGetResult HttpGet(const std::string& host, uint16_t port, std::string_view target,
                      std::string_view bearer_token, std::chrono::milliseconds timeout);

// An admin address "HOST:PORT" or "[V6]:PORT" (as --admin and RESPITE_ADMIN give it) into host
// and port. Returns an empty string, or what is wrong ("off" is the endpoint turned off).
std::string SplitAdmin(const std::string& text, std::string* host, uint16_t* port);

// Decodes an HTTP/1.1 response (status line, headers, body framed by Content-Length, chunked
// transfer coding, or the end of the connection). Pure; exposed for tests. Sets *out->error when
// `raw` is not a complete response.
void ParseHttpResponse(std::string_view raw, HttpGetResult* out);

}  // namespace respite::cli
