// Differential fuzzing of ReplyScanner against hiredis 0.14's reader on RESP2: both must agree on
// where each complete reply ends, and bytes hiredis rejects must be rejected too.
//
// hiredis 0.14 (Debian's, which checks `$` and `*` lengths) is more lenient than ReplyScanner in
// places (it does not check `:` integers, the CRLF after a bulk, or lone CRs in lines), so the
// comparison is one-sided where that matters:
//   - replies ReplyScanner accepts must end exactly where hiredis says;
//   - if ReplyScanner waits for more, hiredis must have found no further reply either;
//   - if hiredis rejects a type byte or a length, ReplyScanner must report an error as well;
//   - if ReplyScanner reports an error, hiredis may have accepted the reply (leniency).
// RESP3 type bytes are RESP2 errors for hiredis; the comparison stops at the reply holding one,
// and likewise at nesting deeper than hiredis supports.

#include <hiredis/read.h>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "resp/reply_scanner.h"
#include "tests/fuzz/fuzz_util.h"

namespace respite::fuzz {
namespace {

using resp::ReplyScanner;
using resp::ScanStatus;

// hiredis caps aggregate lengths at INT_MAX, ReplyScanner much higher; both wait for huge bulks.
// Skip inputs where a '$' or '*' is followed by a number of 10 digits or more.
bool SafeForHiredis(std::string_view in) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '$' && in[i] != '*') continue;
    size_t j = i + 1;
    if (j < in.size() && (in[j] == '-' || in[j] == '+')) ++j;
    size_t digits = 0;
    while (j < in.size() && in[j] >= '0' && in[j] <= '9') ++j, ++digits;
    if (digits >= 10) return false;
  }
  return true;
}

enum class HiredisEnd { kNoReply, kInvalid, kResp3TypeByte, kTooDeep };

// Where each complete reply ends (cumulative offsets) and how hiredis stopped.
HiredisEnd RunHiredis(std::string_view in, std::vector<size_t>* ends) {
  redisReader* reader = redisReaderCreateWithFunctions(nullptr);  // no objects: type codes only
  FUZZ_CHECK(reader != nullptr);
  if (!in.empty()) FUZZ_CHECK(redisReaderFeed(reader, in.data(), in.size()) == REDIS_OK);
  HiredisEnd end = HiredisEnd::kNoReply;
  for (;;) {
    void* reply = nullptr;
    if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
      const std::string_view err = reader->errstr;
      constexpr std::string_view kTypeError = "Protocol error, got \"";
      if (err.starts_with(kTypeError) && err.size() > kTypeError.size() + 1 &&
          err[kTypeError.size() + 1] == '"' &&
          std::strchr("_,#(!=%~>|", err[kTypeError.size()]) != nullptr) {
        end = HiredisEnd::kResp3TypeByte;
      } else if (err.starts_with("Protocol error, got ") || err == "Bad bulk string length" ||
                 err == "Bulk string length out of range" || err == "Bad multi-bulk length" ||
                 err == "Multi-bulk length out of range" || err == "Bad integer value") {
        end = HiredisEnd::kInvalid;
      } else if (err.starts_with("No support for nested multi bulk replies")) {
        end = HiredisEnd::kTooDeep;
      } else {
        std::fprintf(stderr, "unexpected hiredis error: %s\n", reader->errstr);
        std::abort();
      }
      break;
    }
    if (reply == nullptr) break;
    ends->push_back(in.size() - (reader->len - reader->pos));
  }
  redisReaderFree(reader);
  return end;
}

}  // namespace
}  // namespace respite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace respite::fuzz;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!SafeForHiredis(in)) return 0;

  std::vector<size_t> mine;
  ReplyScanner scanner;
  ScanStatus status;
  size_t offset = 0;
  while ((status = scanner.Scan(in.substr(offset))) == ScanStatus::kReply) {
    offset += scanner.reply_len();
    mine.push_back(offset);
  }

  std::vector<size_t> theirs;
  const HiredisEnd end = RunHiredis(in, &theirs);

  const size_t common = std::min(mine.size(), theirs.size());
  for (size_t i = 0; i < common; ++i) FUZZ_CHECK(mine[i] == theirs[i]);
  switch (end) {
    case HiredisEnd::kResp3TypeByte:
    case HiredisEnd::kTooDeep:
      break;  // not comparable past this reply
    case HiredisEnd::kInvalid:
      FUZZ_CHECK(status == ScanStatus::kError);
      FUZZ_CHECK(mine.size() <= theirs.size());
      break;
    case HiredisEnd::kNoReply:
      if (status == ScanStatus::kNeedMore) {
        FUZZ_CHECK(mine.size() == theirs.size());
      } else {
        FUZZ_CHECK(mine.size() <= theirs.size());
      }
      break;
  }
  return 0;
}
