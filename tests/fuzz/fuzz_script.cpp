// Fuzzes the local store's Lua scripting with what clients send: script bodies (EVAL_RO, so no
// script can write and every long one can be killed), and the bytes scripts hand to cmsgpack,
// struct and cjson. No crash, no sanitizer report, and every reply is one well-formed RESP reply.
// Input: a kind byte, a NUL, then the payload ('e' body; 'm' msgpack; 's' struct format, NUL,
// data; 'j' JSON; 'r' a FUNCTION RESTORE payload, given a valid footer so its body is parsed).
// Scripts running past 50 ms are killed, as SCRIPT KILL would.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_scanner.h"
#include "storage/clock.h"
#include "storage/local_store.h"
#include "storage/scripting/functions.h"
#include "tests/fuzz/fuzz_util.h"

namespace respite::fuzz {
namespace {

storage::LocalStore& Store() {
  static storage::SystemClock clock;
  static std::unique_ptr<storage::LocalStore> store = [] {
    char tmpl[] = "/tmp/respite-fuzz-script-XXXXXX";
    storage::EngineOptions options;
    options.dir = mkdtemp(tmpl);
    options.fsync = storage::Fsync::kNo;
    auto opened = storage::LocalStore::Open(options, &clock);
    FUZZ_CHECK(opened.ok());
    std::unique_ptr<storage::LocalStore> s = std::move(opened).value();
    storage::ScriptControl& control = s->scripts().control();
    control.busy_threshold_ms = 50;
    control.while_busy = [&control] { control.kill = true; };
    return s;
  }();
  return *store;
}

void Run(const std::vector<std::string>& argv, int protocol) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  storage::LocalSession session;
  session.protocol = protocol;
  std::string out;
  Store().Execute(session, views, &out);
  resp::ReplyScanner scanner;
  FUZZ_CHECK(scanner.Scan(out) == resp::ScanStatus::kReply);
  FUZZ_CHECK(scanner.reply_len() == out.size());
}

}  // namespace
}  // namespace respite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using respite::fuzz::Run;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.size() < 2 || input[1] != '\0') return 0;
  const std::string payload(input.substr(2));
  const int protocol = (respite::fuzz::Hash(input) & 1) != 0 ? 3 : 2;
  switch (input[0]) {
    case 'e':
      Run({"EVAL_RO", payload, "1", "k", "a"}, protocol);
      break;
    case 'm':
      Run({"EVAL_RO", "return {pcall(cmsgpack.unpack, ARGV[1])}", "0", payload}, protocol);
      Run({"EVAL_RO", "return cmsgpack.pack(pcall(cmsgpack.unpack_one, ARGV[1]))", "0", payload},
          protocol);
      break;
    case 's': {
      const size_t nul = payload.find('\0');
      const std::string format = payload.substr(0, nul);
      const std::string bytes = nul == std::string::npos ? "" : payload.substr(nul + 1);
      Run({"EVAL_RO", "return {pcall(struct.unpack, ARGV[1], ARGV[2])}", "0", format, bytes},
          protocol);
      Run({"EVAL_RO", "return {pcall(struct.size, ARGV[1])}", "0", format}, protocol);
      break;
    }
    case 'j':
      Run({"EVAL_RO", "return {pcall(cjson.decode, ARGV[1])}", "0", payload}, protocol);
      Run({"EVAL_RO", "local ok, v = pcall(cjson.decode, ARGV[1]) return cjson.encode(v)", "0",
           payload},
          protocol);
      break;
    case 'r': {
      std::string dump = payload + std::string("\x0a\x00", 2);
      const uint64_t crc = respite::storage::DumpCrc64(dump);
      for (int i = 0; i < 8; ++i) dump.push_back(static_cast<char>(crc >> (8 * i)));
      Run({"FUNCTION", "RESTORE", dump, "FLUSH"}, protocol);
      Run({"FUNCTION", "DUMP"}, protocol);
      break;
    }
    default:
      break;
  }
  return 0;
}
