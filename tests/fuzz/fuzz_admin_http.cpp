// Fuzzes the admin endpoint's request handling (proxy/admin/admin_http.cpp): parsing with the
// endpoint's limits, the Host/Origin/token refusals, and rendering the answer. Properties: no
// crash; a request parsed from the whole input is parsed the same when the bytes arrive in random
// reads (as admin_server.cpp buffers them); consumed counts stay within the input; a POST is never
// let through without the token when one is set, nor from off loopback when none is; and the
// rendered response is one well-formed HTTP/1.x message.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/admin/admin_http.h"
#include "tests/fuzz/fuzz_util.h"

namespace respite::fuzz {
namespace {

using proxy::AdminRequest;
using proxy::AdminResponse;

bool Same(const AdminRequest& a, const AdminRequest& b) {
  return a.method == b.method && a.target == b.target && a.authorization == b.authorization &&
         a.host == b.host && a.has_host == b.has_host && a.origin == b.origin &&
         a.keep_alive == b.keep_alive && a.version == b.version;
}

// What admin_server.cpp does: append each read, parse what is buffered.
long ParseInReads(std::string_view input, AdminRequest* out) {
  std::string buffered;
  size_t at = 0;
  for (size_t end : RandomReads(input.size(), Hash(input))) {
    buffered.append(input.substr(at, end - at));
    at = end;
    const long used = proxy::ParseAdminRequest(buffered, out);
    if (used != 0) return used;
    if (buffered.size() > 2 * proxy::kMaxAdminRequest) return -1;
  }
  return 0;
}

void CheckPolicy(AdminRequest request, const std::string& token) {
  for (bool loopback : {false, true}) {
    request.peer_loopback = loopback;
    const AdminResponse refused = proxy::AdminRequestRefusal(request, token);
    if (request.method == "POST" && refused.status == 0) {
      FUZZ_CHECK(request.origin.empty());
      if (token.empty()) {
        FUZZ_CHECK(loopback);
      } else {
        FUZZ_CHECK(request.authorization == "Bearer " + token);
      }
    }
    const std::string out =
        proxy::RenderAdminResponse(request, refused.status == 0 ? AdminResponse{} : refused);
    FUZZ_CHECK(out.starts_with("HTTP/1."));
    const size_t head_end = out.find("\r\n\r\n");
    FUZZ_CHECK(head_end != std::string::npos);
    // Every line of the head ends in CRLF: nothing the client sent splits it.
    for (size_t i = 0; i < head_end; ++i) {
      if (out[i] == '\n') FUZZ_CHECK(i > 0 && out[i - 1] == '\r');
      if (out[i] == '\r') FUZZ_CHECK(out[i + 1] == '\n');
    }
  }
}

}  // namespace
}  // namespace respite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace respite::fuzz;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  respite::proxy::AdminRequest whole;
  const long used = respite::proxy::ParseAdminRequest(input, &whole);
  FUZZ_CHECK(used >= -1 && used <= static_cast<long>(size));
  respite::proxy::AdminRequest pieces;
  const long used_in_reads = ParseInReads(input, &pieces);
  if (used > 0) {
    FUZZ_CHECK(used_in_reads > 0);
    FUZZ_CHECK(Same(whole, pieces));
  }
  if (used > 0) {
    CheckPolicy(whole, "");
    CheckPolicy(whole, "fuzz-token");
  }
  return 0;
}
