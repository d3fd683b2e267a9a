// Load(): defaults, YAML, environment, flags, validation and --check-config.

#include "config/loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef RESPITE_EXAMPLE_CONFIG
#error "RESPITE_EXAMPLE_CONFIG must name deploy/respite.example.yaml"
#endif

namespace respite::config {
namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Writes `text` to a fresh file under the test temp dir and returns its path.
std::string WriteFile(const std::string& name, const std::string& text) {
  std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "respite_config_test";
  std::filesystem::create_directories(dir);
  std::filesystem::path path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

// Every setting (SettingsSummary lists each one the loader knows, so a key added later is
// compared too), line by line so a failure names the setting; secrets, which the summary redacts,
// compared themselves.
void ExpectSameConfig(const Config& a, const Config& b) {
  std::istringstream left(SettingsSummary(a)), right(SettingsSummary(b));
  std::string l, r;
  size_t lines = 0;
  while (std::getline(left, l)) {
    ASSERT_TRUE(std::getline(right, r)) << "missing on the right: " << l;
    EXPECT_EQ(l, r);
    ++lines;
  }
  EXPECT_FALSE(std::getline(right, r)) << "missing on the left: " << r;
  EXPECT_GT(lines, 40u);  // the summary really lists the settings
  EXPECT_EQ(a.upstream.url, b.upstream.url);
  EXPECT_EQ(a.upstream.parsed.password, b.upstream.parsed.password);
  EXPECT_EQ(a.requirepass, b.requirepass);
  EXPECT_EQ(a.admin_token, b.admin_token);
}

LoadResult MustLoad(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  LoadResult result = Load(args, env);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.exit_code, 0);
  return result;
}

std::string LoadError(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  LoadResult result = Load(args, env);
  EXPECT_NE(result.error, "");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.output, "");
  return result.error;
}

std::string YamlError(const std::string& yaml) {
  Config config;
  std::string error = ApplyYaml(yaml, "respite.yaml", &config);
  EXPECT_NE(error, "") << yaml;
  return error;
}

TEST(LoaderTest, NoConfigGivesDefaults) {
  LoadResult result = MustLoad({}, {"HOME=/root", "PATH=/bin"});
  EXPECT_EQ(result.action, Action::kRun);
  EXPECT_EQ(result.output, "");
  const Config& config = result.config;
  EXPECT_EQ(config.listen.ToString(), "127.0.0.1:6380");
  EXPECT_EQ(config.upstream.url, "redis://127.0.0.1:6379");
  EXPECT_EQ(config.upstream.parsed.host, "127.0.0.1");
  EXPECT_EQ(config.upstream.parsed.port, 6379);
  EXPECT_EQ(config.data_dir, "./respite-data");
  EXPECT_EQ(config.admin.ToString(), "127.0.0.1:9121");
  EXPECT_EQ(config.limits.max_bulk_len, 512ull * 1024 * 1024);
  EXPECT_EQ(config.log.level, "info");
  ExpectSameConfig(config, Config{});
  EXPECT_EQ(Validate(Config{}), "");
}

TEST(LoaderTest, ExampleConfigEqualsDefaults) {
  LoadResult result = MustLoad({"--config", RESPITE_EXAMPLE_CONFIG}, {});
  ExpectSameConfig(result.config, Config{});
}

TEST(LoaderTest, FullYamlFile) {
  const std::string yaml = R"(
listen: "0.0.0.0:7000"
upstream:
  url: "rediss://app:pa%3Ass@[fd00::5]:6390/4"
  connect_timeout_ms: 250
  request_timeout_ms: 3000
  pool_idle: 2
data_dir: /var/lib/respite
admin: "[::1]:9200"
io_threads: 4
shutdown_timeout_ms: 100
requirepass: clientpw
limits:
  max_clients: 500
  max_bulk_len: 1gb
  max_multibulk_len: 1000
  max_inline_len: 4096
  client_output_buffer: 8MB
  idle_timeout_s: 300
log: {level: debug, format: json}
)";
  LoadResult result = MustLoad({"--config", WriteFile("full.yaml", yaml)}, {});
  const Config& c = result.config;
  EXPECT_EQ(c.listen.ToString(), "0.0.0.0:7000");
  EXPECT_EQ(c.upstream.url, "rediss://app:pa%3Ass@[fd00::5]:6390/4");
  EXPECT_TRUE(c.upstream.parsed.tls);
  EXPECT_EQ(c.upstream.parsed.user, "app");
  EXPECT_EQ(c.upstream.parsed.password, "pa:ss");
  EXPECT_EQ(c.upstream.parsed.host, "fd00::5");
  EXPECT_EQ(c.upstream.parsed.port, 6390);
  EXPECT_EQ(c.upstream.parsed.db, 4);
  EXPECT_EQ(c.upstream.connect_timeout_ms, 250u);
  EXPECT_EQ(c.upstream.request_timeout_ms, 3000u);
  EXPECT_EQ(c.upstream.pool_idle, 2u);
  EXPECT_EQ(c.data_dir, "/var/lib/respite");
  EXPECT_EQ(c.admin.ToString(), "[::1]:9200");
  EXPECT_EQ(c.io_threads, 4u);
  EXPECT_EQ(c.shutdown_timeout_ms, 100u);
  EXPECT_EQ(c.requirepass, "clientpw");
  EXPECT_EQ(c.limits.max_clients, 500u);
  EXPECT_EQ(c.limits.max_bulk_len, 1024ull * 1024 * 1024);
  EXPECT_EQ(c.limits.max_multibulk_len, 1000u);
  EXPECT_EQ(c.limits.max_inline_len, 4096u);
  EXPECT_EQ(c.limits.client_output_buffer, 8ull * 1024 * 1024);
  EXPECT_EQ(c.limits.idle_timeout_s, 300u);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, "json");
}

TEST(LoaderTest, UpstreamAsPlainString) {
  Config config;
  EXPECT_EQ(ApplyYaml("upstream: redis://cache:7000/1\n", "x.yaml", &config), "");
  EXPECT_EQ(config.upstream.url, "redis://cache:7000/1");
  EXPECT_EQ(config.upstream.parsed.host, "cache");
  EXPECT_EQ(config.upstream.parsed.db, 1);
  EXPECT_EQ(config.upstream.request_timeout_ms, 5000u);
}

TEST(LoaderTest, EmptyFileChangesNothing) {
  Config config;
  EXPECT_EQ(ApplyYaml("", "x.yaml", &config), "");
  EXPECT_EQ(ApplyYaml("# only a comment\n", "x.yaml", &config), "");
  ExpectSameConfig(config, Config{});
}

TEST(LoaderTest, SizesWithUnits) {
  struct Case {
    std::string text;
    uint64_t bytes;
  };
  for (const Case& c : std::vector<Case>{{"1", 1},
                                         {"65536", 65536},
                                         {"64kb", 64 * 1024},
                                         {"64KB", 64 * 1024},
                                         {"512mb", 512ull << 20},
                                         {"2gb", 2ull << 30},
                                         {"1k", 1000},
                                         {"3m", 3000000},
                                         {"1g", 1000000000},
                                         {"100b", 100}}) {
    Config config;
    EXPECT_EQ(ApplyYaml("limits: {max_bulk_len: " + c.text + "}", "x.yaml", &config), "") << c.text;
    EXPECT_EQ(config.limits.max_bulk_len, c.bytes) << c.text;
  }
  for (const std::string& bad :
       std::vector<std::string>{"0", "0mb", "-1", "1.5mb", "12tb", "mb", "1 mb", "99999999999gb"}) {
    std::string error = YamlError("limits:\n  max_inline_len: \"" + bad + "\"\n");
    EXPECT_TRUE(Contains(error, "respite.yaml:2: limits.max_inline_len: expected a size")) << error;
    EXPECT_TRUE(Contains(error, "got '" + bad + "'")) << error;
  }
}

TEST(LoaderTest, TlsSectionFromYamlAndEnvironment) {
  const std::string path = WriteFile("tls.yaml",
                                     "upstream:\n  url: rediss://cache.example.com:6380\n"
                                     "tls:\n  ca_file: /etc/ca.pem\n  verify: no\n"
                                     "  min_version: 1.3\n  server_name: other.example.com\n");
  LoadResult r = Load({"--config", path}, {"RESPITE_TLS_CIPHERSUITES=TLS_AES_128_GCM_SHA256"});
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.config.upstream.parsed.tls);
  EXPECT_EQ(r.config.tls.ca_file, "/etc/ca.pem");
  EXPECT_FALSE(r.config.tls.verify);
  EXPECT_EQ(r.config.tls.min_version, "1.3");
  EXPECT_EQ(r.config.tls.server_name, "other.example.com");
  EXPECT_EQ(r.config.tls.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_TRUE(Load({}, {}).config.tls.verify);  // on by default

  r = Load({}, {"RESPITE_TLS_MIN_VERSION=1.1"});
  EXPECT_TRUE(Contains(r.error, "RESPITE_TLS_MIN_VERSION: expected one of 1.2, 1.3, got '1.1'"))
      << r.error;
  r = Load({}, {"RESPITE_TLS_VERIFY=maybe"});
  EXPECT_TRUE(Contains(r.error, "expected yes or no, got 'maybe'")) << r.error;
  r = Load({}, {"RESPITE_TLS_CLIENT_CERT_FILE=/etc/respite.crt"});
  EXPECT_EQ(r.error,
            "tls.client_cert_file and tls.client_key_file go together: set both or neither");
}

TEST(LoaderTest, TlsListenerSettingsAndTheirRules) {
  const std::string path =
      WriteFile("tls-listen.yaml",
                "listen: \"off\"\n"
                "tls:\n  listen: 0.0.0.0:6390\n  cert_file: /etc/respite/tls.crt\n"
                "  key_file: /etc/respite/tls.key\n  client_ca_file: /etc/respite/ca.crt\n"
                "  auth_clients: optional\n  handshake_timeout_ms: 2500\n");
  LoadResult r = Load({"--config", path}, {"RESPITE_TLS_ADMIN=yes"});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.config.listen.port, 0);  // TLS only
  EXPECT_EQ(r.config.tls.listen.ToString(), "0.0.0.0:6390");
  EXPECT_EQ(r.config.tls.cert_file, "/etc/respite/tls.crt");
  EXPECT_EQ(r.config.tls.auth_clients, "optional");
  EXPECT_EQ(r.config.tls.handshake_timeout_ms, 2500u);
  EXPECT_TRUE(r.config.tls.admin);
  EXPECT_TRUE(Contains(config::SettingsSummary(r.config), "listen: off\n"));
  // The flags.
  r = Load({"--tls-listen", "127.0.0.1:6390", "--tls-cert-file", "/c", "--tls-key-file", "/k"}, {});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.config.tls.listen.port, 6390);
  EXPECT_EQ(r.config.listen.port, 6380);  // the plain listener stays
  EXPECT_EQ(r.config.tls.auth_clients, "no");
  EXPECT_FALSE(Load({}, {}).config.tls.admin);
  EXPECT_EQ(Load({}, {}).config.tls.listen.port, 0);  // no TLS listener by default

  const auto error = [](std::vector<std::string> env) { return Load({}, env).error; };
  EXPECT_EQ(error({"RESPITE_TLS_LISTEN=127.0.0.1:6390"}),
            "tls.listen needs the certificate it serves: set tls.cert_file and tls.key_file");
  EXPECT_EQ(error({"RESPITE_TLS_CERT_FILE=/c"}),
            "tls.cert_file and tls.key_file go together: set both or neither");
  EXPECT_EQ(error({"RESPITE_LISTEN=off"}),
            "listen is off and tls.listen is not set: clients could not connect anywhere");
  EXPECT_TRUE(Contains(error({"RESPITE_TLS_AUTH_CLIENTS=always"}),
                       "expected one of no, optional, yes, got 'always'"));
  EXPECT_TRUE(Contains(error({"RESPITE_TLS_AUTH_CLIENTS=yes"}),
                       "tls.auth_clients yes checks clients' certificates against "
                       "tls.client_ca_file or tls.client_ca_dir"));
  EXPECT_TRUE(Contains(error({"RESPITE_TLS_CLIENT_CA_FILE=/ca"}),
                       "tls.client_ca_file/client_ca_dir is set but tls.auth_clients is no"));
  EXPECT_EQ(error({"RESPITE_TLS_ADMIN=yes"}),
            "tls.admin needs the certificate it serves: set tls.cert_file and tls.key_file");
  EXPECT_EQ(error({"RESPITE_TLS_ADMIN=yes", "RESPITE_ADMIN=off", "RESPITE_TLS_CERT_FILE=/c",
                   "RESPITE_TLS_KEY_FILE=/k"}),
            "tls.admin is yes but the admin endpoint is off");
  EXPECT_EQ(error({"RESPITE_TLS_LISTEN=127.0.0.1:6380", "RESPITE_TLS_CERT_FILE=/c",
                   "RESPITE_TLS_KEY_FILE=/k"}),
            "tls.listen must differ from listen and admin, got 127.0.0.1:6380");
}

TEST(LoaderTest, SentinelCredentialsAndTls) {
  LoadResult r = Load({"--upstream", "redis+sentinel://s1,s2/mymaster"},
                      {"RESPITE_SENTINEL_USER=watcher", "RESPITE_SENTINEL_PASSWORD=secret"});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.config.upstream.parsed.sentinels.size(), 2u);
  EXPECT_EQ(r.config.sentinel.user, "watcher");
  EXPECT_EQ(r.config.sentinel.password, "secret");
  EXPECT_TRUE(Contains(config::SettingsSummary(r.config), "sentinel.password: (set)\n"));
  EXPECT_FALSE(Contains(config::SettingsSummary(r.config), "secret"));
  // TLS to the sentinels follows the master's unless sentinel.tls says otherwise.
  EXPECT_FALSE(r.config.sentinel.UsesTls(r.config.upstream.parsed.tls));
  LoadResult tls = Load({"--upstream", "rediss+sentinel://s1/m"}, {});
  ASSERT_EQ(tls.error, "");
  EXPECT_TRUE(tls.config.upstream.parsed.tls);
  EXPECT_EQ(tls.config.upstream.parsed.Redacted(), "rediss+sentinel://s1:26379/m");
  EXPECT_TRUE(tls.config.sentinel.UsesTls(tls.config.upstream.parsed.tls));
  LoadResult plain_sentinels =
      Load({"--upstream", "rediss+sentinel://s1/m"},
           {"RESPITE_SENTINEL_TLS=no", "RESPITE_SENTINEL_TLS_SERVER_NAME=sentinels.example"});
  ASSERT_EQ(plain_sentinels.error, "");
  EXPECT_FALSE(plain_sentinels.config.sentinel.UsesTls(true));
  EXPECT_EQ(plain_sentinels.config.sentinel.tls_server_name, "sentinels.example");
  EXPECT_TRUE(Load({"--upstream", "redis+sentinel://s1/m"}, {"RESPITE_SENTINEL_TLS=yes"})
                  .config.sentinel.UsesTls(false));
  EXPECT_TRUE(Contains(Load({}, {"RESPITE_SENTINEL_TLS=maybe"}).error,
                       "RESPITE_SENTINEL_TLS: expected one of auto, yes, no, got 'maybe'"));
}

TEST(LoaderTest, ClusterUpstreamTakesModeAutoOrForwardWithoutAWarmCopy) {
  const std::string url = "redis+cluster://127.0.0.1:7000,127.0.0.1:7001";
  EXPECT_TRUE(Contains(Load({"--upstream", url, "--mode", "local"}, {}).error,
                       "a redis+cluster:// upstream takes mode auto or forward and "
                       "fallback.warm: none (got mode local, fallback.warm none)"));
  EXPECT_TRUE(Contains(Load({"--upstream", url}, {"RESPITE_FALLBACK_WARM=writes"}).error,
                       "got mode auto, fallback.warm writes"));
  for (const char* mode : {"auto", "forward"}) {
    LoadResult r = Load({"--upstream", url, "--mode", mode}, {});
    ASSERT_EQ(r.error, "") << mode;
    EXPECT_EQ(r.config.upstream.parsed.cluster_nodes.size(), 2u);
  }
}

// upstream.cluster: yes, the issue's other spelling of redis+cluster://, from any source.
TEST(LoaderTest, UpstreamClusterYesMakesTheUrlASeed) {
  LoadResult r = Load({"--upstream", "redis://10.0.0.1:7000"}, {"RESPITE_UPSTREAM_CLUSTER=yes"});
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.config.upstream.parsed.cluster_nodes.size(), 1u);
  EXPECT_EQ(r.config.upstream.parsed.cluster_nodes[0].ToString(), "10.0.0.1:7000");
  EXPECT_TRUE(Load({"--upstream", "redis://10.0.0.1:7000/2"}, {"RESPITE_UPSTREAM_CLUSTER=yes"})
                  .error.find("db 0 only") != std::string::npos);
  EXPECT_TRUE(Load({"--upstream", "redis+sentinel://10.0.0.1:26379/mymaster"},
                   {"RESPITE_UPSTREAM_CLUSTER=yes"})
                  .error.find("do not go together") != std::string::npos);
  // A redis+cluster:// url keeps its seeds; no, the default, changes nothing.
  r = Load({"--upstream", "redis+cluster://10.0.0.1:7000,10.0.0.2:7000"},
           {"RESPITE_UPSTREAM_CLUSTER=yes"});
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.config.upstream.parsed.cluster_nodes.size(), 2u);
  EXPECT_TRUE(Load({"--upstream", "redis://10.0.0.1:7000"}, {})
                  .config.upstream.parsed.cluster_nodes.empty());
}

TEST(LoaderTest, UnknownKeyHasFileLineAndExpectedKeys) {
  std::string error = YamlError("# comment\nlisten: \"127.0.0.1:6380\"\nlistne: x\n");
  EXPECT_EQ(error,
            "respite.yaml:3: unknown key 'listne' in section 'root' (expected one of: listen, "
            "upstream, sentinel, tls, data_dir, admin, admin_token, io_threads, "
            "shutdown_timeout_ms, requirepass, "
            "protected_mode, limits, mode, "
            "storage, health, breaker, fallback, journal, "
            "log)");
  error = YamlError("limits:\n  max_clients: 10\n  max_client: 5\n");
  EXPECT_TRUE(Contains(error, "respite.yaml:3: unknown key 'max_client' in section 'limits'"))
      << error;
  EXPECT_TRUE(Contains(error, "max_clients, max_bulk_len")) << error;
  error = YamlError("upstream:\n  host: x\n");
  EXPECT_TRUE(Contains(error, "respite.yaml:2: unknown key 'host' in section 'upstream'")) << error;
}

TEST(LoaderTest, BadValueHasFileLineAndExpectedForm) {
  EXPECT_EQ(YamlError("log:\n  level: info\nlimits:\n  max_clients: many\n"),
            "respite.yaml:4: limits.max_clients: expected an integer 1..1000000, got 'many'");
  EXPECT_EQ(YamlError("io_threads: 257\n"),
            "respite.yaml:1: io_threads: expected an integer 0..256, got '257'");
  EXPECT_TRUE(Contains(YamlError("\n\nlog: {level: loud}\n"),
                       "respite.yaml:3: log.level: expected one of trace, debug, info, warn, "
                       "error, critical, off, got 'loud'"));
  EXPECT_TRUE(
      Contains(YamlError("listen: localhost\n"), "respite.yaml:1: listen: expected HOST:PORT"));
  EXPECT_TRUE(Contains(YamlError("listen:\n"), "respite.yaml:1: listen: expected HOST:PORT"));
  EXPECT_TRUE(Contains(YamlError("io_threads: [1, 2]\n"), "got a list"));
  EXPECT_TRUE(Contains(YamlError("limits: 5\n"), "respite.yaml:1: limits: expected a mapping"));
  EXPECT_TRUE(Contains(YamlError("- a\n- b\n"), "respite.yaml:1: expected a mapping"));
}

TEST(LoaderTest, BadUpstreamUrlNeverShowsPassword) {
  std::string error = YamlError("upstream:\n  url: redis://u:TopSecret1@h:99999\n");
  EXPECT_TRUE(Contains(error, "respite.yaml:2: upstream.url: bad port")) << error;
  EXPECT_FALSE(Contains(error, "TopSecret1")) << error;
  error = LoadError({"--upstream", "redis://u:TopSecret1@h/42"}, {});
  EXPECT_FALSE(Contains(error, "TopSecret1")) << error;
  error = LoadError({}, {"RESPITE_UPSTREAM=ftp://u:TopSecret1@h"});
  EXPECT_FALSE(Contains(error, "TopSecret1")) << error;
}

TEST(LoaderTest, DuplicateKeyIsAnError) {
  EXPECT_EQ(YamlError("io_threads: 1\nlisten: \"a:1\"\nio_threads: 2\n"),
            "respite.yaml:3: duplicate key 'io_threads' in section 'root' (first at line 1)");
}

TEST(LoaderTest, YamlSyntaxErrorHasFileLine) {
  std::string error = YamlError("listen: \"127.0.0.1:6380\"\nlimits:\n  max_clients: [1,\n");
  EXPECT_TRUE(Contains(error, "respite.yaml:")) << error;
  EXPECT_TRUE(Contains(error, "YAML syntax error")) << error;
  error = YamlError("a: b\n  c: d: e\n");
  EXPECT_TRUE(Contains(error, "respite.yaml:2: YAML syntax error")) << error;
}

TEST(LoaderTest, MissingConfigFileIsAnError) {
  std::string error = LoadError({"--config", "/nonexistent/respite.yaml"}, {});
  EXPECT_TRUE(Contains(error, "cannot read config file '/nonexistent/respite.yaml'")) << error;
  error = LoadError({}, {"RESPITE_CONFIG=/nonexistent/env.yaml"});
  EXPECT_TRUE(Contains(error, "/nonexistent/env.yaml")) << error;
}

TEST(LoaderTest, ConfigFileFromEnvironment) {
  std::string path = WriteFile("from_env.yaml", "io_threads: 3\n");
  EXPECT_EQ(MustLoad({}, {"RESPITE_CONFIG=" + path}).config.io_threads, 3u);
}

TEST(LoaderTest, EnvOverridesFile) {
  std::string path = WriteFile("env.yaml",
                               "listen: \"127.0.0.1:7000\"\n"
                               "upstream: {url: \"redis://file:1\", request_timeout_ms: 100}\n"
                               "data_dir: /file\n"
                               "limits: {max_clients: 10}\n"
                               "log: {level: warn, format: json}\n");
  LoadResult result = MustLoad({"--config", path}, {
                                                       "RESPITE_LISTEN=127.0.0.1:7001",
                                                       "RESPITE_UPSTREAM=redis://env:2",
                                                       "RESPITE_DATA_DIR=/env",
                                                       "RESPITE_ADMIN=0.0.0.0:9999",
                                                       "RESPITE_LOG_LEVEL=error",
                                                       "RESPITE_LIMITS_MAX_CLIENTS=20",
                                                       "RESPITE_UPSTREAM_REQUEST_TIMEOUT_MS=200",
                                                       "RESPITE_IO_THREADS=8",
                                                       "RESPITE_REQUIREPASS=envpw",
                                                       "RESPITE_LIMITS_MAX_BULK_LEN=1mb",
                                                   });
  const Config& c = result.config;
  EXPECT_EQ(c.listen.ToString(), "127.0.0.1:7001");
  EXPECT_EQ(c.upstream.parsed.host, "env");
  EXPECT_EQ(c.upstream.parsed.port, 2);
  EXPECT_EQ(c.data_dir, "/env");
  EXPECT_EQ(c.admin.ToString(), "0.0.0.0:9999");
  EXPECT_EQ(c.log.level, "error");
  EXPECT_EQ(c.log.format, "json");  // from the file: not overridden
  EXPECT_EQ(c.limits.max_clients, 20u);
  EXPECT_EQ(c.upstream.request_timeout_ms, 200u);
  EXPECT_EQ(c.io_threads, 8u);
  EXPECT_EQ(c.requirepass, "envpw");
  EXPECT_EQ(c.limits.max_bulk_len, 1024u * 1024u);
}

// Secrets from files (Docker and Kubernetes secrets): RESPITE_<KEY>_FILE for requirepass,
// admin_token and the upstream URL, one trailing newline dropped; never both forms at once.
TEST(LoaderTest, SecretsComeFromFilesToo) {
  const std::string pw = WriteFile("requirepass.secret", "from-a-file\n");
  const std::string token = WriteFile("token.secret", "tok\r\n");
  const std::string url = WriteFile("upstream.secret", "redis://:up-pw@cache:6390\n");
  LoadResult r =
      MustLoad({}, {"RESPITE_REQUIREPASS_FILE=" + pw, "RESPITE_ADMIN_TOKEN_FILE=" + token,
                    "RESPITE_UPSTREAM_FILE=" + url});
  EXPECT_EQ(r.config.requirepass, "from-a-file");
  EXPECT_EQ(r.config.admin_token, "tok");
  EXPECT_EQ(r.config.upstream.parsed.password, "up-pw");
  EXPECT_EQ(r.config.upstream.parsed.port, 6390);
  EXPECT_EQ(MustLoad({}, {"RESPITE_UPSTREAM_URL_FILE=" + url}).config.upstream.parsed.host,
            "cache");
  // A flag still wins over the environment, as for every setting.
  EXPECT_EQ(
      MustLoad({"--requirepass", "flag"}, {"RESPITE_REQUIREPASS_FILE=" + pw}).config.requirepass,
      "flag");

  std::string error = LoadError({}, {"RESPITE_REQUIREPASS=x", "RESPITE_REQUIREPASS_FILE=" + pw});
  EXPECT_TRUE(Contains(error, "RESPITE_REQUIREPASS and RESPITE_REQUIREPASS_FILE are both set"))
      << error;
  error = LoadError({}, {"RESPITE_REQUIREPASS_FILE=/nonexistent/secret"});
  EXPECT_TRUE(Contains(error, "RESPITE_REQUIREPASS_FILE: cannot read '/nonexistent/secret'"))
      << error;
  error = LoadError({}, {"RESPITE_ADMIN_TOKEN_FILE=" + WriteFile("empty.secret", "\n")});
  EXPECT_TRUE(Contains(error, "is empty")) << error;
  // Only secrets have the form: a _FILE name for anything else is ignored like any unknown name.
  EXPECT_EQ(MustLoad({}, {"RESPITE_LISTEN_FILE=" + pw}).config.listen.port, 6380);
  // The contents never show in errors.
  error = LoadError({}, {"RESPITE_UPSTREAM_FILE=" + WriteFile("bad.secret", "nope-secret")});
  EXPECT_FALSE(Contains(error, "nope-secret")) << error;
}

TEST(LoaderTest, EnvDetails) {
  // The generic name works for the upstream URL too; unrelated and empty variables are ignored.
  LoadResult result =
      MustLoad({}, {"RESPITE_UPSTREAM_URL=redis://generic:5",
                    "RESPITE_LISTEN=", "RESPITE_SERVICE_HOST=10.0.0.1", "NOT_RESPITE=1"});
  EXPECT_EQ(result.config.upstream.parsed.host, "generic");
  EXPECT_EQ(result.config.listen.ToString(), "127.0.0.1:6380");
  EXPECT_EQ(LoadError({}, {"RESPITE_LIMITS_MAX_CLIENTS=many"}),
            "environment variable RESPITE_LIMITS_MAX_CLIENTS: expected an integer 1..1000000, got "
            "'many'");
  EXPECT_TRUE(Contains(
      LoadError({}, {"RESPITE_UPSTREAM=redis://a", "RESPITE_UPSTREAM_URL=redis://b"}), "differ"));
}

TEST(LoaderTest, FlagsOverrideEnv) {
  std::string path = WriteFile("flags.yaml", "listen: \"127.0.0.1:7000\"\nio_threads: 1\n");
  LoadResult result =
      MustLoad({"--config", path, "--listen", "[::1]:7002", "--upstream", "redis://flag:3/5",
                "--data-dir", "/flag", "--admin=127.0.0.1:9300", "--log-level", "TRACE",
                "--log-format", "json", "--io-threads", "16", "--requirepass", "flagpw"},
               {"RESPITE_LISTEN=127.0.0.1:7001", "RESPITE_UPSTREAM=redis://env:2",
                "RESPITE_DATA_DIR=/env", "RESPITE_ADMIN=0.0.0.0:9999", "RESPITE_LOG_LEVEL=error",
                "RESPITE_LOG_FORMAT=text", "RESPITE_IO_THREADS=8", "RESPITE_REQUIREPASS=envpw"});
  const Config& c = result.config;
  EXPECT_EQ(c.listen.ToString(), "[::1]:7002");
  EXPECT_EQ(c.upstream.url, "redis://flag:3/5");
  EXPECT_EQ(c.upstream.parsed.db, 5);
  EXPECT_EQ(c.data_dir, "/flag");
  EXPECT_EQ(c.admin.ToString(), "127.0.0.1:9300");
  EXPECT_EQ(c.log.level, "trace");
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.io_threads, 16u);
  EXPECT_EQ(c.requirepass, "flagpw");
}

TEST(LoaderTest, BadFlags) {
  EXPECT_EQ(LoadError({"--io-threads", "x"}, {}),
            "--io-threads: expected an integer 0..256, got 'x'");
  EXPECT_TRUE(Contains(LoadError({"--log-format", "xml"}, {}), "--log-format: expected one of"));
  EXPECT_TRUE(Contains(LoadError({"--bogus"}, {}), "--bogus"));
  EXPECT_TRUE(Contains(LoadError({"stray"}, {}), "stray"));
  EXPECT_TRUE(Contains(LoadError({"--listen"}, {}), "--listen"));
}

TEST(LoaderTest, Validate) {
  Config config;
  EXPECT_EQ(Validate(config), "");
  config.listen.host = "";
  EXPECT_TRUE(Contains(Validate(config), "listen: expected HOST:PORT")) << Validate(config);
  config = Config{};
  config.listen.port = 0;  // off, and nothing else listens
  EXPECT_EQ(Validate(config),
            "listen is off and tls.listen is not set: clients could not connect anywhere");
  config = Config{};
  config.io_threads = 300;
  EXPECT_EQ(Validate(config), "io_threads: expected an integer 0..256, got '300'");
  config = Config{};
  config.log.level = "verbose";
  EXPECT_TRUE(Contains(Validate(config), "log.level: expected one of")) << Validate(config);
  config = Config{};
  config.log.format = "xml";
  EXPECT_TRUE(Contains(Validate(config), "log.format")) << Validate(config);
  config = Config{};
  config.limits.max_bulk_len = 0;
  EXPECT_TRUE(Contains(Validate(config), "limits.max_bulk_len: expected a size"))
      << Validate(config);
  config = Config{};
  config.limits.max_clients = 0;
  EXPECT_TRUE(Contains(Validate(config), "limits.max_clients")) << Validate(config);
  config = Config{};
  config.upstream.url = "http://x";
  EXPECT_TRUE(Contains(Validate(config), "upstream.url: unsupported scheme")) << Validate(config);
  config = Config{};
  config.data_dir = "";
  EXPECT_TRUE(Contains(Validate(config), "data_dir")) << Validate(config);
  config = Config{};
  config.admin = config.listen;
  EXPECT_TRUE(Contains(Validate(config), "listen and admin")) << Validate(config);
  EXPECT_TRUE(Contains(LoadError({"--admin", "127.0.0.1:6380"}, {}), "listen and admin"));
}

TEST(LoaderTest, CheckConfigPrintsRedactedSummary) {
  std::string path = WriteFile("check.yaml",
                               "upstream: \"redis://admin:VerySecret9@db:6379/2\"\n"
                               "requirepass: ClientSecret7\n");
  LoadResult result = MustLoad({"--config", path, "--check-config"}, {});
  EXPECT_EQ(result.action, Action::kCheckConfig);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output.rfind("config OK\n", 0), 0u) << result.output;
  EXPECT_TRUE(Contains(result.output, "upstream.url: redis://admin:***@db:6379/2\n"))
      << result.output;
  EXPECT_TRUE(Contains(result.output, "listen: 127.0.0.1:6380\n"));
  EXPECT_TRUE(Contains(result.output, "limits.max_bulk_len: 512mb\n"));
  EXPECT_TRUE(Contains(result.output, "requirepass: (set)\n"));
  EXPECT_TRUE(Contains(result.output, "config file: " + path + "\n"));
  EXPECT_FALSE(Contains(result.output, "VerySecret9"));
  EXPECT_FALSE(Contains(result.output, "ClientSecret7"));
  EXPECT_EQ(result.config.upstream.parsed.password, "VerySecret9");

  // An invalid config still fails with an error, not a summary.
  EXPECT_TRUE(Contains(LoadError({"--check-config", "--io-threads", "999"}, {}), "--io-threads"));
}

TEST(LoaderTest, Help) {
  for (const std::string& flag : std::vector<std::string>{"--help", "-h"}) {
    LoadResult result = MustLoad({flag}, {});
    EXPECT_EQ(result.action, Action::kExit);
    EXPECT_EQ(result.exit_code, 0);
    const std::string& help = result.output;
    for (const std::string& name :
         std::vector<std::string>{"--config", "--listen", "--upstream", "--data-dir", "--admin",
                                  "--log-level", "--log-format", "--io-threads", "--requirepass",
                                  "--check-config", "--help", "--version", "-V"}) {
      EXPECT_TRUE(Contains(help, name)) << name << "\n" << help;
    }
    for (const std::string& text : std::vector<std::string>{
             "default: 127.0.0.1:6380", "default: redis://127.0.0.1:6379",
             "default: ./respite-data", "default: 127.0.0.1:9121", "default: info", "default: text",
             "default: 0", "RESPITE_LISTEN", "RESPITE_UPSTREAM", "RESPITE_CONFIG",
             "RESPITE_LIMITS_MAX_CLIENTS", "config file"}) {
      EXPECT_TRUE(Contains(help, text)) << text << "\n" << help;
    }
  }
}

TEST(LoaderTest, Version) {
  for (const std::string& flag : std::vector<std::string>{"--version", "-V"}) {
    LoadResult result = MustLoad({flag}, {});
    EXPECT_EQ(result.action, Action::kExit);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.output, "respite 0.1.0\n");
  }
}

TEST(LoaderTest, ApplyYamlKeepsEarlierValues) {
  Config config;
  config.io_threads = 7;
  EXPECT_EQ(ApplyYaml("listen: \"127.0.0.1:1234\"\n", "x.yaml", &config), "");
  EXPECT_EQ(config.io_threads, 7u);
  EXPECT_EQ(config.listen.port, 1234);
}

}  // namespace
}  // namespace respite::config
