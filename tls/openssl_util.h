#pragma once
// What both TLS contexts share: OpenSSL's errors in words, the protocol settings of the `tls`
// section, and handshake counters.

#include <atomic>
#include <cstdint>
#include <string>

#include "config/config.h"

struct ssl_ctx_st;

namespace respite::tls {

// The oldest error OpenSSL queued on this thread, as "reason (library)", and the queue cleared;
// "unknown error" when it is empty.
std::string TakeOpenSslError();

// tls.min_version, tls.ciphers and tls.ciphersuites on `ctx`. False, with *error naming the
// setting and OpenSSL's reason, when OpenSSL refuses one.
bool ApplyProtocolSettings(ssl_ctx_st* ctx, const config::TlsConfig& tls, std::string* error);

// Completed handshakes (full or resumed) and failed ones by cause; read from any thread. A context
// that replaces another (SIGHUP) shares its counts, so connections still finishing their
// handshakes on the old one count in the same totals.
template <int kCauses>
class HandshakeCounts {
 public:
  void Completed(bool resumed) { (resumed ? resumed_ : full_).fetch_add(1, kRelaxed); }
  void Failed(int cause) { failures_[cause].fetch_add(1, kRelaxed); }
  uint64_t full() const { return full_.load(kRelaxed); }
  uint64_t resumed() const { return resumed_.load(kRelaxed); }
  uint64_t failures(int cause) const { return failures_[cause].load(kRelaxed); }

 private:
  static constexpr auto kRelaxed = std::memory_order_relaxed;
  std::atomic<uint64_t> full_{0};
  std::atomic<uint64_t> resumed_{0};
  std::atomic<uint64_t> failures_[kCauses] = {};
};

}  // namespace respite::tls
