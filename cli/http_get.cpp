#include "cli/http_get.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace respite::cli {

namespace {

using Clock = std::chrono::steady_clock;

enum class Parsed { kIncomplete, kComplete, kBad };

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

bool ContainsNoCase(std::string_view text, std::string_view part) {
  for (size_t i = 0; i + part.size() <= text.size(); ++i) {
    if (EqualsNoCase(text.substr(i, part.size()), part)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decodes a chunked body starting at `data`. kComplete once the last chunk and the trailers are
// in; kIncomplete when more bytes are needed.
Parsed DecodeChunked(std::string_view data, std::string* body) {
  body->clear();
  size_t pos = 0;
  for (;;) {
    const size_t line_end = data.find("\r\n", pos);
    if (line_end == std::string_view::npos) return Parsed::kIncomplete;
    std::string_view size_text = data.substr(pos, line_end - pos);
    size_text = Trim(size_text.substr(0, size_text.find(';')));
    if (size_text.empty() || size_text.size() > 15) return Parsed::kBad;
    size_t size = 0;
    for (char c : size_text) {
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (Lower(c) >= 'a' && Lower(c) <= 'f') {
        digit = Lower(c) - 'a' + 10;
      } else {
        return Parsed::kBad;
      }
      size = size * 16 + static_cast<size_t>(digit);
    }
    pos = line_end + 2;
    if (size == 0) {
      // Trailers (ignored), then an empty line.
      for (;;) {
        const size_t end = data.find("\r\n", pos);
        if (end == std::string_view::npos) return Parsed::kIncomplete;
        if (end == pos) return Parsed::kComplete;
        pos = end + 2;
      }
    }
    if (data.size() - pos < size + 2) return Parsed::kIncomplete;
    if (data.substr(pos + size, 2) != "\r\n") return Parsed::kBad;
    body->append(data.substr(pos, size));
    pos += size + 2;
  }
}

// Parses `raw` into *out. `eof`: the peer closed, so a body without framing ends here.
Parsed Parse(std::string_view raw, bool eof, HttpGetResult* out) {
  // Something else answering (a RESP port, say) is known from its first bytes.
  constexpr std::string_view kVersion = "HTTP/";
  if (raw.substr(0, kVersion.size()) != kVersion.substr(0, std::min(raw.size(), kVersion.size()))) {
    return Parsed::kBad;
  }
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return Parsed::kIncomplete;
  const std::string_view head = raw.substr(0, head_end);
  const size_t status_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, status_end);
  // "HTTP/1.1 200 OK"
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return Parsed::kBad;
  }
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') return Parsed::kBad;
    status = status * 10 + (status_line[i] - '0');
  }
  bool chunked = false;
  bool have_length = false;
  size_t content_length = 0;
  size_t line = status_end == std::string_view::npos ? head.size() : status_end + 2;
  while (line < head.size()) {
    size_t end = head.find("\r\n", line);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view header = head.substr(line, end - line);
    line = end + 2;
    const size_t colon = header.find(':');
    if (colon == std::string_view::npos) return Parsed::kBad;
    const std::string_view name = header.substr(0, colon);
    const std::string_view value = Trim(header.substr(colon + 1));
    if (EqualsNoCase(name, "transfer-encoding")) {
      chunked = ContainsNoCase(value, "chunked");
    } else if (EqualsNoCase(name, "content-length")) {
      if (value.empty() || value.size() > 15) return Parsed::kBad;
      content_length = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return Parsed::kBad;
        content_length = content_length * 10 + static_cast<size_t>(c - '0');
      }
      have_length = true;
    }
  }
  out->status = status;
  const std::string_view rest = raw.substr(head_end + 4);
  if (chunked) return DecodeChunked(rest, &out->body);
  if (have_length) {
    if (rest.size() < content_length) return Parsed::kIncomplete;
    out->body.assign(rest.substr(0, content_length));
    return Parsed::kComplete;
  }
  if (status == 204 || status == 304) {
    out->body.clear();
    return Parsed::kComplete;
  }
  out->body.assign(rest);
  return eof ? Parsed::kComplete : Parsed::kIncomplete;
}

int RemainingMs(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

std::string Errno(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

// Waits for `events` on fd until the deadline. Returns an empty string or the error.
std::string WaitFd(int fd, short events, Clock::time_point deadline, const char* what,
                   std::chrono::milliseconds timeout) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return {};
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("poll", errno);
    return std::string(what) + ": timed out after " + std::to_string(timeout.count()) + " ms";
  }
}

// A non-blocking socket connected to one of host's addresses, or -1 with *error set.
int Connect(const std::string& host, uint16_t port, Clock::time_point deadline,
            std::chrono::milliseconds timeout, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* addrs = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &addrs); rc != 0) {
    *error = "resolve " + host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = addrs; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      *error = Errno("socket", errno);
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      *error = WaitFd(fd, POLLOUT, deadline, "connect", timeout);
      if (error->empty()) {
        int so_error = 0;
        socklen_t len = sizeof so_error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error == 0) break;
        *error = Errno("connect", so_error);
      }
    } else if (rc == 0) {
      error->clear();
      break;
    } else {
      *error = Errno("connect", errno);
    }
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(addrs);
  return fd;
}

}  // namespace

void ParseHttpResponse(std::string_view raw, HttpGetResult* out) {
  switch (Parse(raw, /*eof=*/true, out)) {
    case Parsed::kComplete:
      out->error.clear();
      return;
    case Parsed::kIncomplete:
      out->error =
          raw.empty() ? "the connection closed without a response" : "the response ended early";
      return;
    case Parsed::kBad:
      out->error = "not an HTTP response: " +
                   std::string(raw.substr(0, std::min(raw.find_first_of("\r\n"), size_t{80})));
      return;
  }
}

HttpGetResult HttpGet(const std::string& host, uint16_t port, std::string_view target,
                      std::string_view bearer_token, std::chrono::milliseconds timeout) {
  HttpGetResult result;
  const Clock::time_point deadline = Clock::now() + timeout;
  const int fd = Connect(host, port, deadline, timeout, &result.error);
  if (fd < 0) return result;

  std::string request = "GET ";
  request.append(target);
  request += " HTTP/1.1\r\nHost: ";
  request += host.find(':') == std::string::npos ? host : "[" + host + "]";
  request += ":" + std::to_string(port) + "\r\nUser-Agent: respite-top\r\nAccept: */*\r\n";
  if (!bearer_token.empty()) {
    request += "Authorization: Bearer ";
    request.append(bearer_token);
    request += "\r\n";
  }
  request += "Connection: close\r\n\r\n";

  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      result.error = WaitFd(fd, POLLOUT, deadline, "send", timeout);
      if (result.error.empty()) continue;
    } else {
      result.error = Errno("send", errno);
    }
    ::close(fd);
    return result;
  }

  std::string raw;
  char buf[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      raw.append(buf, static_cast<size_t>(n));
      if (raw.size() > kHttpMaxResponseBytes) {
        result.error =
            "the response is larger than " + std::to_string(kHttpMaxResponseBytes >> 20) + " MiB";
        break;
      }
      HttpGetResult partial;
      const Parsed p = Parse(raw, /*eof=*/false, &partial);
      if (p == Parsed::kComplete) {
        result = std::move(partial);
        break;
      }
      if (p == Parsed::kBad) {
        ParseHttpResponse(raw, &result);
        break;
      }
      continue;
    }
    if (n == 0) {
      ParseHttpResponse(raw, &result);
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      result.error = WaitFd(fd, POLLIN, deadline, "read", timeout);
      if (result.error.empty()) continue;
      break;
    }
    // A reset after a complete response still counts as that response.
    const int err = errno;
    ParseHttpResponse(raw, &result);
    if (!result.ok()) result.error = Errno("read", err);
    break;
  }
  ::close(fd);
  if (!result.ok()) {
    result.status = 0;
    result.body.clear();
  }
  return result;
}

std::string SplitAdmin(const std::string& text, std::string* host, uint16_t* port) {
  if (text == "off") return "the admin endpoint is off";
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return "--admin " + text + ": expected HOST:PORT";
  }
  std::string h = text.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = text.substr(colon + 1);
  unsigned long value = 0;
  for (char c : p) {
    if (c < '0' || c > '9' || value > 65535) return "--admin " + text + ": bad port";
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value == 0 || value > 65535) return "--admin " + text + ": port must be 1..65535";
  // An endpoint listening on every address (the image's 0.0.0.0:9121) is reached on loopback,
  // which is also the Host the endpoint accepts from a local client.
  if (h == "0.0.0.0" || h.empty()) h = "127.0.0.1";
  if (h == "::") h = "::1";
  *host = h;
  *port = static_cast<uint16_t>(value);
  return {};
}

}  // namespace respite::cli
