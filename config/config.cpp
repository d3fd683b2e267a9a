#include "config/config.h"

#include <boost/url.hpp>
#include <cctype>
#include <string_view>

namespace respite::config {
namespace {

namespace urls = boost::urls;

constexpr std::string_view kUrlForm =
    "expected redis://[user[:password]@]host[:port][/db] or rediss://... (db 0..15, port "
    "1..65535), or "
    "redis+sentinel://[user[:password]@]host[:port][,host[:port]...]/master-name[/db], or "
    "redis+cluster://[user[:password]@]host[:port][,host[:port]...]";
constexpr std::string_view kEndpointForm =
    "expected HOST:PORT with port 1..65535 (IPv6 as [ADDR]:PORT)";

// Hostnames are restricted to what a resolver accepts; Boost.URL's reg-name also allows
// percent escapes and sub-delims, which are never meant here.
bool IsPlainHostName(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Extracts the host of a parsed authority or URL: addresses without brackets, names as given.
// Returns false for an empty, IPvFuture or unusual host.
template <typename View>
bool ExtractHost(const View& view, std::string* host) {
  switch (view.host_type()) {
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:
      *host = view.host_address();
      return true;
    case urls::host_type::name:
      *host = std::string(view.encoded_host());
      return IsPlainHostName(*host);
    default:
      return false;
  }
}

// Parses a port given as digits. Returns false unless it is 1..65535.
bool ParsePort(std::string_view text, uint16_t* port) {
  if (text.empty() || text.size() > 5) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value < 1 || value > 65535) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

std::string BracketIfV6(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

bool Fail(std::string* error, std::string_view reason, std::string_view form) {
  if (error != nullptr) {
    *error = std::string(reason);
    if (!reason.empty()) *error += "; ";
    *error += form;
  }
  return false;
}

}  // namespace

std::string Endpoint::ToString() const { return BracketIfV6(host) + ":" + std::to_string(port); }

std::string UpstreamUrl::Redacted() const {
  std::string out = tls ? "rediss" : "redis";
  out += !sentinels.empty() ? "+sentinel://" : !cluster_nodes.empty() ? "+cluster://" : "://";
  if (!user.empty() || !password.empty()) {
    constexpr auto kUserChars = urls::unreserved_chars + urls::sub_delim_chars;
    out += urls::encode(user, kUserChars);
    if (!password.empty()) out += ":***";
    out += "@";
  }
  if (!cluster_nodes.empty()) {
    for (const Endpoint& node : cluster_nodes) {
      out += (&node == &cluster_nodes.front() ? "" : ",") + node.ToString();
    }
  } else if (sentinels.empty()) {
    out += BracketIfV6(host) + ":" + std::to_string(port);
  } else {
    for (const Endpoint& sentinel : sentinels) {
      out += (&sentinel == &sentinels.front() ? "" : ",") + sentinel.ToString();
    }
    out += "/" + master_name;
  }
  if (db != 0) {
    // Two appends, not "/" + std::to_string(db): GCC 12 at -O3 warns (-Wrestrict, a known false
    // positive) on that form, which -Werror turns into a failed Release build.
    out += '/';
    out += std::to_string(db);
  }
  return out;
}

namespace {

// redis+sentinel://[userinfo@]host[:port][,host[:port]...]/master-name[/db] and
// redis+cluster://[userinfo@]host[:port][,host[:port]...][/0]: several hosts do not make a URL
// authority, so the hosts are split off by hand and the rest parsed as a redis:// URL.
bool ParseMultiHostUrl(const std::string& url, bool cluster, UpstreamUrl* out, std::string* error) {
  const size_t scheme_end = url.find("://");
  const std::string scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  const size_t path_at = rest.find('/');
  if (path_at == std::string::npos && !cluster) {
    return Fail(error, "missing master name", kUrlForm);
  }
  std::string authority = rest.substr(0, path_at);
  const std::string path = path_at == std::string::npos ? "" : rest.substr(path_at);
  std::string userinfo;
  if (const size_t at = authority.rfind('@'); at != std::string::npos) {
    userinfo = authority.substr(0, at + 1);
    authority = authority.substr(at + 1);
  }
  UpstreamUrl result;
  std::vector<Endpoint>& hosts = cluster ? result.cluster_nodes : result.sentinels;
  const std::string default_port = cluster ? ":6379" : ":26379";
  for (size_t start = 0; start <= authority.size();) {
    size_t end = authority.find(',', start);
    if (end == std::string::npos) end = authority.size();
    std::string one = authority.substr(start, end - start);
    if (one.find(':') == std::string::npos || one.back() == ']') one += default_port;
    Endpoint host;
    if (!ParseEndpoint(one, &host, nullptr)) {
      return Fail(
          error,
          std::string(cluster ? "bad cluster node" : "bad sentinel") + " address '" + one + "'",
          kUrlForm);
    }
    hosts.push_back(std::move(host));
    start = end + 1;
  }
  std::string db = path;
  if (!cluster) {
    // The master name, then an optional db: parsed as the path of a plain URL.
    const size_t name_end = path.find('/', 1);
    result.master_name =
        path.substr(1, name_end == std::string::npos ? std::string::npos : name_end - 1);
    if (result.master_name.empty()) return Fail(error, "missing master name", kUrlForm);
    db = name_end == std::string::npos ? "" : path.substr(name_end);
  }
  UpstreamUrl plain;
  if (!ParseUpstreamUrl(std::string(scheme.starts_with("rediss") ? "rediss://" : "redis://") +
                            userinfo + "multi.invalid" + db,
                        &plain, error)) {
    return false;
  }
  if (cluster && plain.db != 0) {
    return Fail(error, "Redis Cluster has db 0 only, got '" + db + "'", kUrlForm);
  }
  result.user = plain.user;
  result.password = plain.password;
  result.db = plain.db;
  result.tls = plain.tls;
  // The master's address comes from the sentinels; a cluster's nodes from its slot map.
  result.host.clear();
  result.port = 0;
  *out = std::move(result);
  return true;
}

}  // namespace

bool ParseUpstreamUrl(const std::string& url, UpstreamUrl* out, std::string* error) {
  // Error texts never quote `url`: it may hold a password.
  std::string lower_scheme = url.substr(0, url.find("://"));
  for (char& c : lower_scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.find("://") != std::string::npos &&
      (lower_scheme == "redis+sentinel" || lower_scheme == "rediss+sentinel")) {
    return ParseMultiHostUrl(url, /*cluster=*/false, out, error);
  }
  if (url.find("://") != std::string::npos &&
      (lower_scheme == "redis+cluster" || lower_scheme == "rediss+cluster")) {
    return ParseMultiHostUrl(url, /*cluster=*/true, out, error);
  }
  urls::result<urls::url_view> parsed = urls::parse_uri(url);
  if (!parsed) return Fail(error, "not a valid URL", kUrlForm);
  const urls::url_view& view = *parsed;

  UpstreamUrl result;
  std::string scheme(view.scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "rediss") {
    result.tls = true;
  } else if (scheme != "redis") {
    return Fail(error, "unsupported scheme '" + scheme + "'", kUrlForm);
  }
  if (!view.has_authority()) return Fail(error, "missing host", kUrlForm);
  if (view.has_query() || view.has_fragment()) {
    return Fail(error, "query and fragment are not supported", kUrlForm);
  }
  if (!ExtractHost(view, &result.host)) return Fail(error, "missing or invalid host", kUrlForm);
  if (view.has_port() && !ParsePort(std::string_view(view.port()), &result.port)) {
    return Fail(error, "bad port", kUrlForm);
  }
  if (view.has_userinfo()) {
    result.user = view.user();
    result.password = view.password();
  }

  std::string path(view.encoded_path());
  if (!path.empty() && path != "/") {
    std::string_view digits = std::string_view(path).substr(1);
    int db = 0;
    bool ok = path[0] == '/' && !digits.empty() && digits.size() <= 2;
    for (char c : digits) {
      if (c < '0' || c > '9') ok = false;
      db = db * 10 + (c - '0');
    }
    if (!ok || db > 15) return Fail(error, "bad db '" + path + "'", kUrlForm);
    result.db = db;
  }
  *out = std::move(result);
  return true;
}

bool ParseEndpoint(const std::string& text, Endpoint* out, std::string* error) {
  urls::result<urls::authority_view> parsed = urls::parse_authority(text);
  Endpoint result;
  if (!parsed || parsed->has_userinfo() || !ExtractHost(*parsed, &result.host) ||
      !parsed->has_port() || !ParsePort(std::string_view(parsed->port()), &result.port)) {
    return Fail(error, "", kEndpointForm);
  }
  *out = std::move(result);
  return true;
}

}  // namespace respite::config
