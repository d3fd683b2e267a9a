#pragma once
// The config model: plain structs with defaults. Loaded from YAML, then RESPITE_* environment
// variables, then command-line flags (later wins). Only config/ includes yaml-cpp.

#include <cstdint>
#include <string>
#include <vector>

namespace respite::config {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const;  // "host:port", IPv6 hosts in brackets
};

// Parsed `redis://[user[:password]@]host[:port][/db]` (also `rediss://`: TLS, see TlsConfig), or
// `redis+sentinel://[user[:password]@]host[:port][,host[:port]...]/master-name[/db]`: the
// sentinels to ask for master-name's address (port 26379 by default); user and password are the
// master's, the sentinels' own are in SentinelConfig. `rediss+sentinel://`: TLS to the master
// (and, unless sentinel.tls says otherwise, to the sentinels). Or
// `redis+cluster://[user[:password]@]host[:port][,host[:port]...]`: nodes of a Redis Cluster to
// learn its slot map from (port 6379 by default; db 0 only).
struct UpstreamUrl {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::vector<Endpoint> sentinels;  // non-empty: Sentinel mode (host and port are not used)
  std::string master_name;
  std::vector<Endpoint> cluster_nodes;  // non-empty: Cluster mode (host and port are not used)
  std::string user;                     // empty = default user
  std::string password;                 // empty = no AUTH
  int db = 0;
  bool tls = false;
  // The URL with the password replaced by "***", for logs and status.
  std::string Redacted() const;
};

struct UpstreamConfig {
  std::string url = "redis://127.0.0.1:6379";  // as given (may hold a password: never log it)
  UpstreamUrl parsed;
  // Connect timeout for every upstream connection. Default: 1000 ms.
  uint32_t connect_timeout_ms = 1000;
  // A forwarded request without a reply after this long fails its connection. Blocking commands
  // are exempt. Default: 5000 ms.
  uint32_t request_timeout_ms = 5000;
  // Idle dedicated connections (MULTI, blocking, pub/sub) kept per io thread. Default: 8.
  uint32_t pool_idle = 8;
  // Dedicated connections in use at once (each blocked, subscribed, in-MULTI or logged-in client
  // holds one): past it such a command gets an error instead of a connection, so clients cannot
  // exhaust upstream's maxclients. Default: 1000.
  uint32_t max_dedicated = 1000;
  // upstream.cluster: yes: the url's host is a seed of a Redis Cluster, as redis+cluster:// says
  // (Load fills parsed.cluster_nodes). Default: no.
  bool cluster = false;
};

// TLS toward upstream (a rediss:// URL: every connection respite makes to Redis uses it) and for
// clients (a second listener, tls.listen). min_version and the cipher lists apply to both sides.
struct TlsConfig {
  // Certificates that may sign upstream's: a PEM file and/or a hashed directory (c_rehash).
  // Both empty: the system's store.
  std::string ca_file;
  std::string ca_dir;
  // respite's own certificate and key (PEM), for upstreams that verify clients (mutual TLS).
  std::string client_cert_file;
  std::string client_key_file;
  // The name sent in SNI and checked against upstream's certificate. Empty: the URL's host.
  std::string server_name;
  // Check upstream's certificate and name. Off is for tests only: it is logged at every start.
  bool verify = true;
  // Oldest protocol accepted: "1.2" or "1.3". Default: 1.2.
  std::string min_version = "1.2";
  // OpenSSL cipher lists for TLS 1.2 (`ciphers`) and TLS 1.3 (`ciphersuites`). Empty: OpenSSL's.
  std::string ciphers;
  std::string ciphersuites;

  // Clients: the TLS listener's address (port 0: none), served with the certificate and key
  // below (PEM; the certificate file may hold the chain).
  Endpoint listen;
  std::string cert_file;
  std::string key_file;
  // Certificates that may sign clients' certificates (mutual TLS).
  std::string client_ca_file;
  std::string client_ca_dir;
  // Client certificates: no (not asked for), optional (checked when sent), yes (required).
  // Redis' tls-auth-clients. Default: no.
  std::string auth_clients = "no";
  // A client that has not finished its handshake after this long is disconnected. Default: 10 s.
  uint32_t handshake_timeout_ms = 10000;
  // The admin endpoint serves HTTPS with cert_file and key_file instead of HTTP. Default: no.
  bool admin = false;
};

// The sentinels of a redis+sentinel:// upstream: their own credentials (Redis Sentinel's
// requirepass and ACL users are separate from the master's) and TLS.
struct SentinelConfig {
  std::string user;
  std::string password;
  // TLS to the sentinels: auto (as to the master: the URL's scheme), yes or no. The tls
  // section's CA, client certificate, verify and versions apply.
  std::string tls = "auto";
  // The name checked against each sentinel's certificate. Empty: the sentinel's host as the URL
  // gives it.
  std::string tls_server_name;
  // Whether respite talks TLS to the sentinels, given the master's (`master_tls`).
  bool UsesTls(bool master_tls) const { return tls == "yes" || (tls == "auto" && master_tls); }
};

struct LimitsConfig {
  // Maximum simultaneous client connections. Default: 10000 (Redis' maxclients).
  uint32_t max_clients = 10000;
  // Longest bulk argument. Default: 512 MB (Redis' proto-max-bulk-len).
  uint64_t max_bulk_len = 512ull * 1024 * 1024;
  // Most arguments per command. Default: 1048576.
  uint64_t max_multibulk_len = 1024 * 1024;
  // Longest inline command. Default: 64 KB.
  uint64_t max_inline_len = 64 * 1024;
  // Bytes of requests a client may have buffered (a command still arriving, or commands respite
  // has not run yet) before it is disconnected, as Redis' client-query-buffer-limit. Default: 1 GB.
  uint64_t max_query_buffer = 1ull << 30;
  // Bytes of replies queued for a client that does not read them (pub/sub, monitor) before it is
  // disconnected. Default: 32 MB (Redis' pubsub hard limit). Request/reply clients are throttled
  // instead: respite stops reading their requests while replies are queued.
  uint64_t client_output_buffer = 32ull * 1024 * 1024;
  // Close client connections idle this long; 0 = never (Redis' timeout). Default: 0.
  uint32_t idle_timeout_s = 0;
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text or json
};

struct StorageConfig {
  // Durability of the local store, as Redis names it: always, everysec or no. Default: everysec.
  std::string fsync = "everysec";
  // RocksDB block cache (the key cache below holds hot string values already). Default: 16 MB.
  uint64_t block_cache = 16ull * 1024 * 1024;
  // All RocksDB memtables together. Default: 48 MB.
  uint64_t memtables = 48ull * 1024 * 1024;
  // Decoded key metadata (strings with their values) kept in memory, so reads and the lookup
  // before a write skip RocksDB. Default: 32 MB.
  uint64_t key_cache = 32ull * 1024 * 1024;
  // Writes that add data (Redis' denyoom commands) are refused while the data dir's file system
  // has less than this free, so a filling disk never reaches RocksDB's WAL; deletes go on.
  // 0 = no reserve. Default: 64 MB.
  uint64_t min_free_disk = 64ull * 1024 * 1024;
};

// Active health checks of upstream (DESIGN.md "Health and failure detection").
struct HealthConfig {
  // Time between PINGs. Default: 1000 ms.
  uint32_t interval_ms = 1000;
  // A PING without a reply after this long fails. Default: 500 ms.
  uint32_t timeout_ms = 500;
  // Consecutive failures that mark upstream down. Default: 3.
  uint32_t unhealthy_after = 3;
  // Consecutive successes that mark it up again. Default: 2.
  uint32_t healthy_after = 2;
  // Slow is not dead: while a command of respite's clients that may keep upstream busy (a script,
  // DEBUG, KEYS, FLUSHALL, SAVE, MIGRATE) is in flight, upstream's silence is not counted against
  // it for this long after the command was sent (or upstream's busy-reply-threshold if longer),
  // plus the usual timeout_ms x unhealthy_after. Default: 5000 ms.
  uint32_t long_command_grace_ms = 5000;
};

// Guards the replayer and the switch back to forwarding.
struct BreakerConfig {
  // Consecutive failures that open the breaker. Default: 5.
  uint32_t failures = 5;
  // Successes in half-open that close it. Default: 2.
  uint32_t successes = 2;
  // Backoff while open: random(0, min(max, base * 2^n)). Defaults: 1000 ms, 30000 ms.
  uint32_t backoff_base_ms = 1000;
  uint32_t backoff_max_ms = 30000;
};

struct FallbackConfig {
  // off: fail fast while upstream is down; read-only: serve reads locally, refuse writes; full:
  // reads and writes, journaled. Default: full.
  std::string mode = "full";
  // none: local data is only what was written while upstream was down (cleared after a drain);
  // writes: forwarded writes are mirrored locally off the hot path, so reads during an outage
  // see them (possibly stale); replica: respite follows upstream as a Redis replica (PSYNC) and
  // applies its replication stream, so the local copy is upstream's own, in its order. Default:
  // none.
  std::string warm = "none";
};

struct JournalConfig {
  // Journal bytes after which writes are refused (nothing journaled is dropped). Default: 1 GB.
  uint64_t max_bytes = 1ull << 30;
  // Largest single entry. Default: 64 MB.
  uint64_t max_entry_bytes = 64ull << 20;
  // Replay batches: at most this many entries / bytes per upstream MULTI/EXEC. Defaults: 1000,
  // 1 MB (per-batch costs dominate below a few hundred; bench/RESULTS.md).
  uint32_t batch_entries = 1000;
  uint64_t batch_bytes = 1ull << 20;
};

struct Config {
  Endpoint listen{"127.0.0.1", 6380};
  UpstreamConfig upstream;
  SentinelConfig sentinel;
  TlsConfig tls;
  std::string data_dir = "./respite-data";
  Endpoint admin{"127.0.0.1", 9121};  // port 0: no admin endpoint
  // Bearer token the admin endpoint's POST routes require (empty: none).
  std::string admin_token;
  // io threads, each with its own io_context and upstream connection; 0 = one per usable CPU (the
  // cgroup quota counts) but one, which the store thread and RocksDB need; at least 1.
  uint32_t io_threads = 0;
  // How long SIGTERM waits for in-flight replies before closing. Default: 5000 ms.
  uint32_t shutdown_timeout_ms = 5000;
  // auto: forward while upstream is reachable; forward: always forward; local: always serve from
  // the local store (an operator's pin, e.g. for a maintenance window). Default: auto.
  std::string mode = "auto";
  LimitsConfig limits;
  StorageConfig storage;
  HealthConfig health;
  BreakerConfig breaker;
  FallbackConfig fallback;
  JournalConfig journal;
  LogConfig log;
  // Client password (like Redis' requirepass); empty = no AUTH needed.
  std::string requirepass;
  // Redis' protected mode: with no requirepass, only loopback clients (127.0.0.1, ::1) are served;
  // others get -DENIED and are disconnected. Default: on.
  bool protected_mode = true;
};

// Parses a redis:// URL. Returns false and sets *error (the expected form) when invalid.
bool ParseUpstreamUrl(const std::string& url, UpstreamUrl* out, std::string* error);

// Parses "host:port" or "[v6]:port". Returns false and sets *error when invalid.
bool ParseEndpoint(const std::string& text, Endpoint* out, std::string* error);

}  // namespace respite::config
