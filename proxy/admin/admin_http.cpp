#include "proxy/admin/admin_http.h"

#include <openssl/crypto.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

namespace respite::proxy {

namespace http = boost::beast::http;

long ParseAdminRequest(std::string_view bytes, AdminRequest* out) {
  // Nothing to parse before the header is complete (and no quadratic re-parsing while a slow
  // client sends it a byte at a time); the caller bounds what it buffers.
  if (bytes.find("\r\n\r\n") == std::string_view::npos) return 0;
  http::request_parser<http::string_body> parser;
  parser.header_limit(kMaxAdminRequest);
  parser.body_limit(kMaxAdminRequest);
  parser.eager(true);
  size_t used = 0;
  while (!parser.is_done()) {
    boost::beast::error_code ec;
    const size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == http::error::need_more) {
      if (n == 0 || used == bytes.size()) return 0;
      continue;
    }
    if (ec) return -1;
    if (!parser.is_done() && used == bytes.size()) return 0;
  }
  const auto& request = parser.get();
  out->method = std::string(request.method_string());
  out->target = std::string(request.target());
  out->authorization = std::string(request[http::field::authorization]);
  out->has_host = request.find(http::field::host) != request.end();
  out->host = std::string(request[http::field::host]);
  out->origin = std::string(request[http::field::origin]);
  out->keep_alive = request.keep_alive();
  out->version = request.version();
  return static_cast<long>(used);
}

std::string RenderAdminResponse(const AdminRequest& request, const AdminResponse& response) {
  std::string out = request.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(response.status);
  out += ' ';
  out += std::string_view(http::obsolete_reason(static_cast<http::status>(response.status)));
  out += "\r\nServer: respite\r\nContent-Type: " + response.content_type;
  out += "\r\nCache-Control: no-store\r\n";
  if (!response.allow.empty()) out += "Allow: " + response.allow + "\r\n";
  if (response.status == 401) out += "WWW-Authenticate: Bearer\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += request.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (request.method != "HEAD") out += response.body;
  return out;
}

bool AdminTokenMatches(const std::string& token, std::string_view given) {
  // Constant time: the comparison must not tell how much of the token matched.
  return !token.empty() && given.size() == token.size() &&
         CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

std::string AdminActionRefusal(const std::string& token, bool token_given, bool peer_loopback) {
  if (!token.empty()) return token_given ? "" : "the admin token is needed";
  if (peer_loopback) return "";
  return "no admin_token is set, so only clients on loopback (127.0.0.1, ::1) may change "
         "respite's state; set admin_token (RESPITE_ADMIN_TOKEN) to allow others with it";
}

namespace {

AdminResponse Refuse(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.body = std::move(body) + "\n";
  return r;
}

// The host part of a Host header ("name", "name:port", "[v6]:port"), lower-cased.
std::string HostName(std::string_view host) {
  std::string name;
  if (!host.empty() && host.front() == '[') {
    const size_t end = host.find(']');
    name = std::string(host.substr(0, end == std::string_view::npos ? host.size() : end + 1));
  } else {
    name = std::string(host.substr(0, host.find(':')));
  }
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return name;
}

// localhost, 127.x.y.z (decimal dotted quad) or [::1].
bool NamesLoopback(std::string_view host) {
  const std::string name = HostName(host);
  if (name == "localhost" || name == "[::1]") return true;
  if (!name.starts_with("127.")) return false;
  int dots = 0, digits = 0;  // after "127.": three numbers and two dots
  for (size_t i = 4; i < name.size(); ++i) {
    if (name[i] == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (name[i] >= '0' && name[i] <= '9' && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return dots == 2 && digits > 0;
}

}  // namespace

AdminResponse AdminRequestRefusal(const AdminRequest& request, const std::string& token) {
  AdminResponse none;
  none.status = 0;
  if (request.peer_loopback && request.has_host && !NamesLoopback(request.host)) {
    return Refuse(403, "forbidden: a client on loopback asked for host '" + HostName(request.host) +
                           "'; the admin endpoint answers only requests for localhost, 127.0.0.1 "
                           "or [::1] from this machine");
  }
  if (request.method != "POST") return none;
  if (!request.origin.empty()) {
    return Refuse(403, "forbidden: cross-origin requests (with an Origin header) are refused");
  }
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view auth = request.authorization;
  const bool token_given =
      auth.starts_with(kBearer) && AdminTokenMatches(token, auth.substr(kBearer.size()));
  const std::string why = AdminActionRefusal(token, token_given, request.peer_loopback);
  if (why.empty()) return none;
  if (!token.empty()) return Refuse(401, "missing or wrong bearer token");
  return Refuse(403, "forbidden: " + why);
}

}  // namespace respite::proxy
