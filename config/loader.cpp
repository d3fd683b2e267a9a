#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

#ifndef RESPITE_VERSION
#define RESPITE_VERSION "0.0.0"
#endif

namespace respite::config {

std::string ApplyClusterSetting(Config* config);  // below, with Validate

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint32_t kHourMs = 3600 * 1000;

// One row per config key. The same table drives YAML, environment variables, flags, Validate()
// and the --check-config summary, so a new key is one row here (and a field in config.h).
struct Setting {
  Setting(std::string section_in, std::string key_in, std::string expected_in,
          bool secret_in = false)
      : section(std::move(section_in)),
        key(std::move(key_in)),
        expected(std::move(expected_in)),
        secret(secret_in) {}

  std::string section;   // "" for top-level keys
  std::string key;       // snake_case, as in YAML
  std::string expected;  // the accepted form, e.g. "an integer 1..1000000"
  bool secret = false;   // never quote the value in errors or the summary
  // Parses `text` into the config. Returns "" or what is wrong.
  std::function<std::string(const std::string& text, Config* config)> set;
  // The value as shown by --check-config (secrets redacted).
  std::function<std::string(const Config& config)> show;
  // Range checks for Validate(). Returns "" or what is wrong.
  std::function<std::string(const Config& config)> check;

  std::string Path() const { return section.empty() ? key : section + "." + key; }
  std::string EnvName() const {
    std::string name = "RESPITE_" + (section.empty() ? key : section + "_" + key);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return name;
  }
  std::string Got(const std::string& text) const {
    return secret ? "expected " + expected : "expected " + expected + ", got '" + text + "'";
  }
};

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Parses decimal digits only (no sign, no spaces). Returns false on anything else or overflow.
bool ParseUnsigned(std::string_view text, uint64_t* value) {
  if (text.empty()) return false;
  uint64_t result = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (result > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

// Parses a byte count like redis.conf: "1048576", "64kb", "512mb", "1gb" (powers of 1024) or
// "1k", "1m", "1g" (powers of 1000); units are case-insensitive.
bool ParseSize(const std::string& text, uint64_t* value) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  uint64_t number = 0;
  if (!ParseUnsigned(std::string_view(text).substr(0, digits), &number)) return false;
  static const std::map<std::string, uint64_t> kUnits = {
      {"", 1},        {"b", 1},     {"k", 1000},          {"kb", kKiB},
      {"m", 1000000}, {"mb", kMiB}, {"g", 1000000000ull}, {"gb", kGiB},
  };
  auto unit = kUnits.find(Lower(text.substr(digits)));
  if (unit == kUnits.end()) return false;
  if (number > std::numeric_limits<uint64_t>::max() / unit->second) return false;
  *value = number * unit->second;
  return true;
}

std::string FormatSize(uint64_t bytes) {
  if (bytes != 0 && bytes % kGiB == 0) return std::to_string(bytes / kGiB) + "gb";
  if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + "mb";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + "kb";
  return std::to_string(bytes);
}

// `access` is a generic lambda `[](auto& c) -> auto& { return c.field; }`, so one accessor serves
// both the mutable (set) and const (show, check) paths.
template <typename Access>
Setting Integer(std::string section, std::string key, Access access, uint64_t min, uint64_t max) {
  using T = std::remove_reference_t<decltype(access(std::declval<Config&>()))>;
  Setting s{std::move(section), std::move(key),
            "an integer " + std::to_string(min) + ".." + std::to_string(max)};
  s.set = [s, access, min, max](const std::string& text, Config* config) -> std::string {
    uint64_t value = 0;
    if (!ParseUnsigned(text, &value) || value < min || value > max) return s.Got(text);
    access(*config) = static_cast<T>(value);
    return "";
  };
  s.show = [access](const Config& config) { return std::to_string(access(config)); };
  s.check = [s, access, min, max](const Config& config) -> std::string {
    uint64_t value = access(config);
    return value < min || value > max ? s.Got(std::to_string(value)) : "";
  };
  return s;
}

// A byte count; 0 only where `zero_allowed` (it then means "none").
template <typename Access>
Setting Size(std::string section, std::string key, Access access, bool zero_allowed = false) {
  Setting s{std::move(section), std::move(key),
            std::string(zero_allowed ? "a size" : "a size > 0") +
                " in bytes, or with a unit: 64kb, 512mb, 1gb (k, m, g: powers of 1000)"};
  s.set = [s, access, zero_allowed](const std::string& text, Config* config) -> std::string {
    uint64_t value = 0;
    if (!ParseSize(text, &value) || (value == 0 && !zero_allowed)) return s.Got(text);
    access(*config) = value;
    return "";
  };
  s.show = [access](const Config& config) { return FormatSize(access(config)); };
  s.check = [s, access, zero_allowed](const Config& config) -> std::string {
    return access(config) == 0 && !zero_allowed ? s.Got("0") : "";
  };
  return s;
}

template <typename Access>
Setting Choice(std::string section, std::string key, Access access,
               std::vector<std::string> choices) {
  std::string expected = "one of";
  for (const std::string& choice : choices) {
    expected += (&choice == &choices.front() ? " " : ", ") + choice;
  }
  Setting s{std::move(section), std::move(key), std::move(expected)};
  auto valid = [choices](const std::string& value) {
    return std::find(choices.begin(), choices.end(), value) != choices.end();
  };
  s.set = [s, access, valid](const std::string& text, Config* config) -> std::string {
    if (!valid(Lower(text))) return s.Got(text);
    access(*config) = Lower(text);
    return "";
  };
  s.show = [access](const Config& config) { return access(config); };
  s.check = [s, access, valid](const Config& config) -> std::string {
    return valid(access(config)) ? "" : s.Got(access(config));
  };
  return s;
}

// "HOST:PORT"; where `off_allowed`, also "off" (port 0: nothing listens there).
template <typename Access>
Setting EndpointSetting(std::string section, std::string key, Access access,
                        bool off_allowed = false) {
  Setting s{std::move(section), std::move(key),
            std::string("HOST:PORT with port 1..65535 (IPv6 as [ADDR]:PORT)") +
                (off_allowed ? ", or off" : "")};
  s.set = [s, access, off_allowed](const std::string& text, Config* config) -> std::string {
    if (off_allowed && Lower(text) == "off") {
      access(*config) = Endpoint{"", 0};
      return "";
    }
    std::string error;
    if (!ParseEndpoint(text, &access(*config), &error)) return error + ", got '" + text + "'";
    return "";
  };
  s.show = [access](const Config& config) {
    const Endpoint& endpoint = access(config);
    return endpoint.port == 0 ? std::string("off") : endpoint.ToString();
  };
  s.check = [s, access, off_allowed](const Config& config) -> std::string {
    const Endpoint& endpoint = access(config);
    if (off_allowed && endpoint.port == 0) return "";
    return endpoint.host.empty() || endpoint.port == 0 ? s.Got(endpoint.ToString()) : "";
  };
  return s;
}

Setting UpstreamUrlSetting() {
  Setting s{"upstream", "url", "redis://[user[:password]@]host[:port][/db] or rediss://...", true};
  s.set = [](const std::string& text, Config* config) -> std::string {
    std::string error;
    if (!ParseUpstreamUrl(text, &config->upstream.parsed, &error)) return error;
    config->upstream.url = text;
    return "";
  };
  s.show = [](const Config& config) {
    UpstreamUrl parsed;
    std::string error;
    return ParseUpstreamUrl(config.upstream.url, &parsed, &error) ? parsed.Redacted() : "(invalid)";
  };
  s.check = [](const Config& config) {
    UpstreamUrl parsed;
    std::string error;
    return ParseUpstreamUrl(config.upstream.url, &parsed, &error) ? "" : error;
  };
  return s;
}

// Free text (a path, a name, a list); empty allowed, meaning "not set".
template <typename Access>
Setting Text(std::string section, std::string key, Access access, std::string expected) {
  Setting s{std::move(section), std::move(key), std::move(expected)};
  s.set = [access](const std::string& text, Config* config) -> std::string {
    access(*config) = text;
    return "";
  };
  s.show = [access](const Config& config) -> std::string {
    return access(config).empty() ? "(none)" : access(config);
  };
  s.check = [](const Config&) { return std::string(); };
  return s;
}

template <typename Access>
Setting YesNo(std::string section, std::string key, Access access) {
  Setting s{std::move(section), std::move(key), "yes or no"};
  s.set = [s, access](const std::string& text, Config* config) -> std::string {
    const std::string value = Lower(text);
    if (value != "yes" && value != "no" && value != "true" && value != "false") return s.Got(text);
    access(*config) = value == "yes" || value == "true";
    return "";
  };
  s.show = [access](const Config& config) -> std::string { return access(config) ? "yes" : "no"; };
  s.check = [](const Config&) { return std::string(); };
  return s;
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = [] {
    std::vector<Setting> s;
    s.push_back(EndpointSetting(
        "", "listen", [](auto& c) -> auto& { return c.listen; }, true));
    s.push_back(UpstreamUrlSetting());
    s.push_back(Integer(
        "upstream", "connect_timeout_ms",
        [](auto& c) -> auto& { return c.upstream.connect_timeout_ms; }, 1, kHourMs));
    s.push_back(Integer(
        "upstream", "request_timeout_ms",
        [](auto& c) -> auto& { return c.upstream.request_timeout_ms; }, 1, kHourMs));
    s.push_back(Integer(
        "upstream", "pool_idle", [](auto& c) -> auto& { return c.upstream.pool_idle; }, 0, 10000));
    s.push_back(Integer(
        "upstream", "max_dedicated", [](auto& c) -> auto& { return c.upstream.max_dedicated; }, 1,
        1000000));
    s.push_back(YesNo(
        "upstream", "cluster", [](auto& c) -> auto& { return c.upstream.cluster; }));

    s.push_back(Text(
        "sentinel", "user", [](auto& c) -> auto& { return c.sentinel.user; },
        "a user name (empty = default)"));
    Setting sentinel_password{"sentinel", "password", "a password (empty = no AUTH)", true};
    sentinel_password.set = [](const std::string& text, Config* config) -> std::string {
      config->sentinel.password = text;
      return "";
    };
    sentinel_password.show = [](const Config& config) -> std::string {
      return config.sentinel.password.empty() ? "(none)" : "(set)";
    };
    sentinel_password.check = [](const Config&) { return std::string(); };
    s.push_back(sentinel_password);
    s.push_back(Choice("sentinel", "tls", [](auto& c) -> auto& { return c.sentinel.tls; },
                       {"auto", "yes", "no"}));
    s.push_back(Text(
        "sentinel", "tls_server_name", [](auto& c) -> auto& { return c.sentinel.tls_server_name; },
        "a host name"));

    s.push_back(Text(
        "tls", "ca_file", [](auto& c) -> auto& { return c.tls.ca_file; }, "a PEM file path"));
    s.push_back(Text(
        "tls", "ca_dir", [](auto& c) -> auto& { return c.tls.ca_dir; }, "a directory path"));
    s.push_back(Text(
        "tls", "client_cert_file", [](auto& c) -> auto& { return c.tls.client_cert_file; },
        "a PEM file path"));
    s.push_back(Text(
        "tls", "client_key_file", [](auto& c) -> auto& { return c.tls.client_key_file; },
        "a PEM file path"));
    s.push_back(Text(
        "tls", "server_name", [](auto& c) -> auto& { return c.tls.server_name; }, "a host name"));
    s.push_back(YesNo(
        "tls", "verify", [](auto& c) -> auto& { return c.tls.verify; }));
    s.push_back(Choice("tls", "min_version", [](auto& c) -> auto& { return c.tls.min_version; },
                       {"1.2", "1.3"}));
    s.push_back(Text(
        "tls", "ciphers", [](auto& c) -> auto& { return c.tls.ciphers; },
        "an OpenSSL cipher list"));
    s.push_back(Text(
        "tls", "ciphersuites", [](auto& c) -> auto& { return c.tls.ciphersuites; },
        "an OpenSSL TLS 1.3 ciphersuite list"));
    s.push_back(EndpointSetting(
        "tls", "listen", [](auto& c) -> auto& { return c.tls.listen; }, true));
    s.push_back(Text(
        "tls", "cert_file", [](auto& c) -> auto& { return c.tls.cert_file; }, "a PEM file path"));
    s.push_back(Text(
        "tls", "key_file", [](auto& c) -> auto& { return c.tls.key_file; }, "a PEM file path"));
    s.push_back(Text(
        "tls", "client_ca_file", [](auto& c) -> auto& { return c.tls.client_ca_file; },
        "a PEM file path"));
    s.push_back(Text(
        "tls", "client_ca_dir", [](auto& c) -> auto& { return c.tls.client_ca_dir; },
        "a directory path"));
    s.push_back(Choice("tls", "auth_clients", [](auto& c) -> auto& { return c.tls.auth_clients; },
                       {"no", "optional", "yes"}));
    s.push_back(Integer(
        "tls", "handshake_timeout_ms", [](auto& c) -> auto& { return c.tls.handshake_timeout_ms; },
        1, kHourMs));
    s.push_back(YesNo(
        "tls", "admin", [](auto& c) -> auto& { return c.tls.admin; }));

    Setting data_dir{"", "data_dir", "a non-empty directory path"};
    data_dir.set = [data_dir](const std::string& text, Config* config) -> std::string {
      if (text.empty()) return data_dir.Got(text);
      config->data_dir = text;
      return "";
    };
    data_dir.show = [](const Config& config) { return config.data_dir; };
    data_dir.check = [data_dir](const Config& config) -> std::string {
      return config.data_dir.empty() ? data_dir.Got("") : "";
    };
    s.push_back(data_dir);

    s.push_back(EndpointSetting(
        "", "admin", [](auto& c) -> auto& { return c.admin; }, true));
    Setting admin_token{"", "admin_token", "a bearer token (empty = none)", true};
    admin_token.set = [](const std::string& text, Config* config) -> std::string {
      config->admin_token = text;
      return "";
    };
    admin_token.show = [](const Config& config) -> std::string {
      return config.admin_token.empty() ? "(none)" : "(set)";
    };
    admin_token.check = [](const Config&) { return std::string(); };
    s.push_back(admin_token);
    s.push_back(Integer(
        "", "io_threads", [](auto& c) -> auto& { return c.io_threads; }, 0, 256));
    s.push_back(Integer(
        "", "shutdown_timeout_ms", [](auto& c) -> auto& { return c.shutdown_timeout_ms; }, 0,
        kHourMs));

    Setting requirepass{"", "requirepass", "a password (empty = no AUTH)", true};
    requirepass.set = [](const std::string& text, Config* config) -> std::string {
      config->requirepass = text;
      return "";
    };
    requirepass.show = [](const Config& config) -> std::string {
      return config.requirepass.empty() ? "(none)" : "(set)";
    };
    requirepass.check = [](const Config&) { return std::string(); };
    s.push_back(requirepass);
    s.push_back(YesNo(
        "", "protected_mode", [](auto& c) -> auto& { return c.protected_mode; }));

    s.push_back(Integer(
        "limits", "max_clients", [](auto& c) -> auto& { return c.limits.max_clients; }, 1,
        1000000));
    s.push_back(Size(
        "limits", "max_bulk_len", [](auto& c) -> auto& { return c.limits.max_bulk_len; }));
    s.push_back(Integer(
        "limits", "max_multibulk_len", [](auto& c) -> auto& { return c.limits.max_multibulk_len; },
        1, std::numeric_limits<int32_t>::max()));
    s.push_back(Size(
        "limits", "max_inline_len", [](auto& c) -> auto& { return c.limits.max_inline_len; }));
    s.push_back(Size(
        "limits", "max_query_buffer", [](auto& c) -> auto& { return c.limits.max_query_buffer; }));
    s.push_back(Size(
        "limits", "client_output_buffer",
        [](auto& c) -> auto& { return c.limits.client_output_buffer; }));
    s.push_back(Integer(
        "limits", "idle_timeout_s", [](auto& c) -> auto& { return c.limits.idle_timeout_s; }, 0,
        365 * 24 * 3600));

    s.push_back(
        Choice("", "mode", [](auto& c) -> auto& { return c.mode; }, {"auto", "forward", "local"}));
    s.push_back(Choice("storage", "fsync", [](auto& c) -> auto& { return c.storage.fsync; },
                       {"always", "everysec", "no"}));
    s.push_back(Size(
        "storage", "block_cache", [](auto& c) -> auto& { return c.storage.block_cache; }));
    s.push_back(Size(
        "storage", "memtables", [](auto& c) -> auto& { return c.storage.memtables; }));
    s.push_back(Size(
        "storage", "key_cache", [](auto& c) -> auto& { return c.storage.key_cache; }));
    s.push_back(Size(
        "storage", "min_free_disk", [](auto& c) -> auto& { return c.storage.min_free_disk; },
        /*zero_allowed=*/true));
    s.push_back(Integer(
        "health", "interval_ms", [](auto& c) -> auto& { return c.health.interval_ms; }, 10,
        kHourMs));
    s.push_back(Integer(
        "health", "timeout_ms", [](auto& c) -> auto& { return c.health.timeout_ms; }, 1, kHourMs));
    s.push_back(Integer(
        "health", "unhealthy_after", [](auto& c) -> auto& { return c.health.unhealthy_after; }, 1,
        1000));
    s.push_back(Integer(
        "health", "healthy_after", [](auto& c) -> auto& { return c.health.healthy_after; }, 1,
        1000));
    s.push_back(Integer(
        "health", "long_command_grace_ms",
        [](auto& c) -> auto& { return c.health.long_command_grace_ms; }, 0, kHourMs));
    s.push_back(Integer(
        "breaker", "failures", [](auto& c) -> auto& { return c.breaker.failures; }, 1, 1000));
    s.push_back(Integer(
        "breaker", "successes", [](auto& c) -> auto& { return c.breaker.successes; }, 1, 1000));
    s.push_back(Integer(
        "breaker", "backoff_base_ms", [](auto& c) -> auto& { return c.breaker.backoff_base_ms; }, 1,
        kHourMs));
    s.push_back(Integer(
        "breaker", "backoff_max_ms", [](auto& c) -> auto& { return c.breaker.backoff_max_ms; }, 1,
        kHourMs));
    s.push_back(Choice("fallback", "mode", [](auto& c) -> auto& { return c.fallback.mode; },
                       {"off", "read-only", "full"}));
    s.push_back(Choice("fallback", "warm", [](auto& c) -> auto& { return c.fallback.warm; },
                       {"none", "writes", "replica"}));
    s.push_back(Size(
        "journal", "max_bytes", [](auto& c) -> auto& { return c.journal.max_bytes; }));
    s.push_back(Size(
        "journal", "max_entry_bytes", [](auto& c) -> auto& { return c.journal.max_entry_bytes; }));
    s.push_back(Integer(
        "journal", "batch_entries", [](auto& c) -> auto& { return c.journal.batch_entries; }, 1,
        100000));
    s.push_back(Size(
        "journal", "batch_bytes", [](auto& c) -> auto& { return c.journal.batch_bytes; }));
    s.push_back(Choice("log", "level", [](auto& c) -> auto& { return c.log.level; },
                       {"trace", "debug", "info", "warn", "error", "critical", "off"}));
    s.push_back(
        Choice("log", "format", [](auto& c) -> auto& { return c.log.format; }, {"text", "json"}));
    return s;
  }();
  return kSettings;
}

const Setting* FindSetting(const std::string& section, const std::string& key) {
  for (const Setting& setting : Settings()) {
    if (setting.section == section && setting.key == key) return &setting;
  }
  return nullptr;
}

const Setting& SettingByPath(const std::string& path) {
  for (const Setting& setting : Settings()) {
    if (setting.Path() == path) return setting;
  }
  throw std::logic_error("no config setting " + path);
}

bool IsSection(const std::string& name) {
  return std::any_of(Settings().begin(), Settings().end(),
                     [&](const Setting& setting) { return setting.section == name; });
}

// Keys accepted in `section` ("" = top level), in table order.
std::string KeysOf(const std::string& section) {
  std::vector<std::string> keys;
  for (const Setting& setting : Settings()) {
    std::string name;
    if (section.empty()) {
      name = setting.section.empty() ? setting.key : setting.section;
    } else if (setting.section == section) {
      name = setting.key;
    } else {
      continue;
    }
    if (std::find(keys.begin(), keys.end(), name) == keys.end()) keys.push_back(name);
  }
  std::string out;
  for (const std::string& key : keys) out += (out.empty() ? "" : ", ") + key;
  return out;
}

// ---- YAML ----

std::string At(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null()) return source + ": ";
  return source + ":" + std::to_string(mark.line + 1) + ": ";
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    default:
      return "an empty value";
  }
}

std::string ApplyYamlScalar(const Setting& setting, const YAML::Node& value,
                            const std::string& where, Config* config) {
  if (!value.IsScalar()) {
    return where + setting.Path() + ": expected " + setting.expected + ", got " + Describe(value);
  }
  std::string error = setting.set(value.Scalar(), config);
  return error.empty() ? "" : where + setting.Path() + ": " + error;
}

std::string ApplyYamlMap(const YAML::Node& map, const std::string& section,
                         const std::string& source, Config* config) {
  std::map<std::string, int> seen;  // key -> line
  // yaml-cpp's iterator hands out its pair in a temporary proxy: copy the nodes (cheap handles).
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key_node = it->first;
    const YAML::Node value = it->second;
    std::string where = At(source, key_node.Mark());
    std::string section_name = section.empty() ? "root" : section;
    if (!key_node.IsScalar()) return where + "keys in section '" + section_name + "' must be names";
    const std::string& key = key_node.Scalar();
    int line = key_node.Mark().line + 1;
    if (auto [first, inserted] = seen.emplace(key, line); !inserted) {
      return where + "duplicate key '" + key + "' in section '" + section_name +
             "' (first at line " + std::to_string(first->second) + ")";
    }

    if (section.empty() && IsSection(key)) {
      if (value.IsMap()) {
        std::string error = ApplyYamlMap(value, key, source, config);
        if (!error.empty()) return error;
      } else if (key == "upstream" && value.IsScalar()) {
        // `upstream: "redis://..."` is short for `upstream: {url: ...}`.
        std::string error = ApplyYamlScalar(*FindSetting("upstream", "url"), value, where, config);
        if (!error.empty()) return error;
      } else {
        return where + key + ": expected a mapping with keys " + KeysOf(key) +
               (key == "upstream" ? ", or a redis:// URL" : "") + ", got " +
               (value.IsScalar() ? "'" + value.Scalar() + "'" : Describe(value));
      }
      continue;
    }

    const Setting* setting = FindSetting(section, key);
    if (setting == nullptr) {
      return where + "unknown key '" + key + "' in section '" + section_name +
             "' (expected one of: " + KeysOf(section) + ")";
    }
    std::string error = ApplyYamlScalar(*setting, value, where, config);
    if (!error.empty()) return error;
  }
  return "";
}

// ---- environment ----

// First occurrence wins, like getenv().
std::map<std::string, std::string> EnvMap(const std::vector<std::string>& environ) {
  std::map<std::string, std::string> env;
  for (const std::string& entry : environ) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos || entry.compare(0, 8, "RESPITE_") != 0) continue;
    env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

// Every variable name, wrapped to fit a terminal.
std::string EnvNamesHelp() {
  std::vector<std::string> names = {"RESPITE_CONFIG", "RESPITE_UPSTREAM"};
  for (const Setting& setting : Settings()) names.push_back(setting.EnvName());
  std::string out = "Environment variables:";
  size_t line_length = out.size();
  for (size_t i = 0; i < names.size(); ++i) {
    std::string word = names[i] + (i + 1 < names.size() ? "," : "");
    if (line_length + 1 + word.size() > 90) {
      out += "\n ";
      line_length = 1;
    }
    out += " " + word;
    line_length += 1 + word.size();
  }
  return out;
}

// ---- flags ----

struct Flag {
  std::string name;  // "--listen"
  std::string type;  // "HOST:PORT"
  std::string path;  // the setting it sets
  std::string help;
};

const std::vector<Flag>& Flags() {
  static const std::vector<Flag> kFlags = {
      {"--listen", "HOST:PORT", "listen", "Address clients connect to"},
      {"--upstream", "URL", "upstream.url",
       "Upstream Redis: redis://[user[:password]@]host[:port][/db],\nrediss:// for TLS"},
      {"--data-dir", "DIR", "data_dir", "Directory for the local store and journal"},
      {"--admin", "HOST:PORT", "admin", "HTTP admin endpoint (health, status, metrics)"},
      {"--tls-listen", "HOST:PORT", "tls.listen",
       "Address clients connect to over TLS (with tls.cert_file, tls.key_file)"},
      {"--tls-cert-file", "FILE", "tls.cert_file", "Certificate (PEM) the TLS listener serves"},
      {"--tls-key-file", "FILE", "tls.key_file", "Private key (PEM) of that certificate"},
      {"--log-level", "LEVEL", "log.level", "trace, debug, info, warn, error, critical or off"},
      {"--log-format", "FORMAT", "log.format", "text or json"},
      {"--io-threads", "N", "io_threads", "I/O threads, 0 = one per usable CPU but one"},
      {"--mode", "MODE", "mode", "auto, forward or local (pin the local store)"},
      {"--requirepass", "PASS", "requirepass",
       "Password clients must AUTH with, like Redis' requirepass"},
      {"--protected-mode", "yes|no", "protected_mode",
       "Without requirepass, serve loopback clients only (default yes)"},
  };
  return kFlags;
}

std::string Summary(const Config& config, const std::string& config_file) {
  std::string out = "config OK\n";
  out += "config file: " + (config_file.empty() ? std::string("(none)") : config_file) + "\n";
  for (const Setting& setting : Settings()) {
    out += setting.Path() + ": " + setting.show(config) + "\n";
  }
  return out;
}

std::string ReadFile(const std::string& path, std::string* text) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return "cannot read config file '" + path + "': is a directory";
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read config file '" + path + "': " + std::strerror(errno);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return "cannot read config file '" + path + "': read error";
  *text = buffer.str();
  return "";
}

void LoadImpl(const std::vector<std::string>& args, const std::vector<std::string>& environ,
              LoadResult* result) {
  const Config defaults;
  CLI::App app{"respite " RESPITE_VERSION
               ": a Redis-protocol sidecar proxy that serves locally "
               "while Redis is down.",
               "respite"};
  app.get_formatter()->column_width(24);
  app.set_help_flag("-h,--help", "Print this help and exit");
  bool version = false;
  app.add_flag("-V,--version", version, "Print the version and exit");
  std::string config_file;
  app.add_option("--config", config_file, "YAML config file\n(default: none; env RESPITE_CONFIG)")
      ->type_name("FILE");
  bool check_config = false;
  app.add_flag("--check-config", check_config,
               "Validate the configuration, print a summary and exit");

  std::vector<std::pair<const Flag*, CLI::Option*>> options;
  std::vector<std::string> values(Flags().size());
  for (size_t i = 0; i < Flags().size(); ++i) {
    const Flag& flag = Flags()[i];
    const Setting& setting = SettingByPath(flag.path);
    std::string shown = setting.show(defaults);
    if (shown == "(none)") shown = "none";
    std::string env = flag.path == "upstream.url" ? "RESPITE_UPSTREAM" : setting.EnvName();
    CLI::Option* option = app.add_option(flag.name, values[i],
                                         flag.help + "\n(default: " + shown + "; env " + env + ")")
                              ->type_name(flag.type)
                              ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    options.emplace_back(&flag, option);
  }
  app.footer(
      "Settings apply in this order, later wins: built-in defaults, the YAML config file\n"
      "(--config FILE or RESPITE_CONFIG), RESPITE_* environment variables, then these flags.\n"
      "Every config key has a variable RESPITE_<SECTION>_<KEY> in upper case, e.g.\n"
      "RESPITE_LIMITS_MAX_CLIENTS=20000 for limits.max_clients; RESPITE_UPSTREAM is the upstream\n"
      "URL. Empty variables are ignored. deploy/respite.example.yaml lists every "
      "key.\n\n" +
      EnvNamesHelp());

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    result->action = Action::kExit;
    result->output = app.help();
    return;
  } catch (const CLI::CallForAllHelp&) {
    result->action = Action::kExit;
    result->output = app.help();
    return;
  } catch (const CLI::ParseError& e) {
    result->error = std::string(e.what()) + " (run respite --help)";
    return;
  }
  if (version) {
    result->action = Action::kExit;
    result->output = "respite " RESPITE_VERSION "\n";
    return;
  }

  std::map<std::string, std::string> env = EnvMap(environ);
  if (config_file.empty()) {
    auto it = env.find("RESPITE_CONFIG");
    if (it != env.end()) config_file = it->second;
  }
  Config config;
  if (!config_file.empty()) {
    std::string text;
    if (std::string error = ReadFile(config_file, &text); !error.empty()) {
      result->error = error;
      return;
    }
    if (std::string error = ApplyYaml(text, config_file, &config); !error.empty()) {
      result->error = error;
      return;
    }
  }
  if (std::string error = ApplyEnv(environ, &config); !error.empty()) {
    result->error = error;
    return;
  }
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i].second->count() == 0) continue;
    const Flag& flag = *options[i].first;
    if (std::string error = SettingByPath(flag.path).set(values[i], &config); !error.empty()) {
      result->error = flag.name + ": " + error;
      return;
    }
  }
  if (std::string error = ApplyClusterSetting(&config); !error.empty()) {
    result->error = error;
    return;
  }
  if (std::string error = Validate(config); !error.empty()) {
    result->error = error;
    return;
  }
  result->config = std::move(config);
  if (check_config) {
    result->action = Action::kCheckConfig;
    result->output = Summary(result->config, config_file);
  }
}

}  // namespace

LoadResult Load(const std::vector<std::string>& args, const std::vector<std::string>& environ) {
  LoadResult result;
  try {
    LoadImpl(args, environ, &result);
  } catch (const std::exception& e) {
    result.error = std::string("cannot load the configuration: ") + e.what();
  } catch (...) {
    result.error = "cannot load the configuration: unknown error";
  }
  if (!result.error.empty()) {
    result.action = Action::kExit;
    result.exit_code = 2;
    result.output.clear();
  }
  return result;
}

std::string ApplyYaml(const std::string& yaml_text, const std::string& source, Config* config) {
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (root.IsNull()) return "";  // an empty file (or only comments) changes nothing
    if (!root.IsMap()) {
      return At(source, root.Mark()) + "expected a mapping of keys at the top level (" +
             KeysOf("") + ")";
    }
    return ApplyYamlMap(root, "", source, config);
  } catch (const YAML::Exception& e) {
    return At(source, e.mark) + "YAML syntax error: " + e.msg;
  }
}

std::string ApplyEnv(const std::vector<std::string>& environ, Config* config) {
  // Unknown RESPITE_* names are ignored: Kubernetes injects RESPITE_SERVICE_HOST, RESPITE_PORT
  // and the like for a Service named "respite". Empty values count as unset, so that
  // `RESPITE_X=${X}` in a compose file does not override the file with nothing.
  std::map<std::string, std::string> env = EnvMap(environ);
  auto get = [&env](const std::string& name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  const std::string* alias = get("RESPITE_UPSTREAM");
  const std::string* full = get("RESPITE_UPSTREAM_URL");
  if (alias != nullptr && full != nullptr && *alias != *full) {
    return "environment: RESPITE_UPSTREAM and RESPITE_UPSTREAM_URL are both set and differ; set "
           "one";
  }
  for (const Setting& setting : Settings()) {
    std::string name = setting.EnvName();
    const std::string* value = get(name);
    if (value == nullptr && setting.Path() == "upstream.url" && alias != nullptr) {
      name = "RESPITE_UPSTREAM";
      value = alias;
    }
    // A secret may come from a file instead (RESPITE_REQUIREPASS_FILE, ...: Docker and Kubernetes
    // secrets), so it shows neither in the environment nor in /proc/PID/cmdline.
    std::string file_name = setting.EnvName() + "_FILE";
    const std::string* file = setting.secret ? get(file_name) : nullptr;
    if (file == nullptr && setting.Path() == "upstream.url" && get("RESPITE_UPSTREAM_FILE")) {
      file_name = "RESPITE_UPSTREAM_FILE";
      file = get(file_name);
    }
    std::string from_file;
    if (file != nullptr) {
      if (value != nullptr) {
        return "environment: " + name + " and " + file_name + " are both set; set one";
      }
      if (std::string error = ReadSecretFile(*file, &from_file); !error.empty()) {
        return "environment variable " + file_name + ": " + error;
      }
      name = file_name;
      value = &from_file;
    }
    if (value == nullptr) continue;
    if (std::string error = setting.set(*value, config); !error.empty()) {
      return "environment variable " + name + ": " + error;
    }
  }
  return "";
}

std::string ReadSecretFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read '" + path + "': " + std::strerror(errno);
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > 64 * 1024) return "'" + path + "' is over 64 KB: not a secret";
  }
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with("\n")) {
    text.pop_back();
  }
  if (text.empty()) return "'" + path + "' is empty";
  *out = std::move(text);
  return "";
}

namespace {

// The TLS listener's settings, and the admin endpoint's HTTPS, which uses its certificate.
std::string ValidateClientTls(const Config& config) {
  const TlsConfig& tls = config.tls;
  if (config.listen.port == 0 && tls.listen.port == 0) {
    return "listen is off and tls.listen is not set: clients could not connect anywhere";
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return "tls.cert_file and tls.key_file go together: set both or neither";
  }
  if ((tls.listen.port != 0 || tls.admin) && tls.cert_file.empty()) {
    return std::string(tls.admin ? "tls.admin" : "tls.listen") +
           " needs the certificate it serves: set tls.cert_file and tls.key_file";
  }
  if (tls.admin && config.admin.port == 0) return "tls.admin is yes but the admin endpoint is off";
  const bool client_ca = !tls.client_ca_file.empty() || !tls.client_ca_dir.empty();
  if (tls.auth_clients != "no" && !client_ca) {
    return "tls.auth_clients " + tls.auth_clients +
           " checks clients' certificates against tls.client_ca_file or tls.client_ca_dir: set "
           "one";
  }
  if (tls.auth_clients == "no" && client_ca) {
    return "tls.client_ca_file/client_ca_dir is set but tls.auth_clients is no: say yes "
           "(certificate required) or optional (checked when sent)";
  }
  return "";
}

}  // namespace

// upstream.cluster: yes turns a redis:// (rediss://) url into the cluster seed it names. After
// every source is applied, so the url and the switch may come from different ones.
std::string ApplyClusterSetting(Config* config) {
  UpstreamUrl& url = config->upstream.parsed;
  if (!config->upstream.cluster || !url.cluster_nodes.empty()) return "";
  if (!url.sentinels.empty()) {
    return "upstream.cluster: yes and a redis+sentinel:// url do not go together";
  }
  if (url.db != 0) {
    return "upstream.cluster: yes: a Redis Cluster has db 0 only (the url names db " +
           std::to_string(url.db) + ")";
  }
  url.cluster_nodes.push_back(Endpoint{url.host, url.port});
  return "";
}

std::string Validate(const Config& config) {
  for (const Setting& setting : Settings()) {
    if (std::string error = setting.check(config); !error.empty()) {
      return setting.Path() + ": " + error;
    }
  }
  if (config.tls.client_cert_file.empty() != config.tls.client_key_file.empty()) {
    return "tls.client_cert_file and tls.client_key_file go together: set both or neither";
  }
  if (std::string error = ValidateClientTls(config); !error.empty()) return error;
  if (!config.upstream.parsed.cluster_nodes.empty() &&
      (config.mode == "local" || config.fallback.warm != "none")) {
    return "a redis+cluster:// upstream takes mode auto or forward and fallback.warm: none (got "
           "mode " +
           config.mode + ", fallback.warm " + config.fallback.warm +
           "): respite serves a cluster's slots locally only while their master is down";
  }
  const auto same = [](const Endpoint& a, const Endpoint& b) {
    return a.port != 0 && a.host == b.host && a.port == b.port;
  };
  if (same(config.listen, config.admin)) {
    return "listen and admin must be different addresses, both are " + config.listen.ToString();
  }
  if (same(config.tls.listen, config.listen) || same(config.tls.listen, config.admin)) {
    return "tls.listen must differ from listen and admin, got " + config.tls.listen.ToString();
  }
  return "";
}

std::string SettingsSummary(const Config& config) {
  std::string out;
  for (const Setting& setting : Settings()) {
    out += setting.Path() + ": " + setting.show(config) + "\n";
  }
  return out;
}

}  // namespace respite::config
