// Fuzzes ReplyScanner: no crash, sane reply lengths, the same replies whether the input arrives
// whole, one byte at a time or in random reads, and no proper prefix of a reply is complete.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_scanner.h"
#include "tests/fuzz/fuzz_util.h"

namespace respite::fuzz {
namespace {

using resp::ReplyScanner;
using resp::ScanStatus;

struct Outcome {
  std::vector<std::pair<size_t, char>> replies;
  ScanStatus last = ScanStatus::kNeedMore;
  std::string error;
  size_t unconsumed = 0;
};

bool SameOutcome(const Outcome& a, const Outcome& b) {
  return a.replies == b.replies && a.last == b.last && a.error == b.error &&
         (a.last == ScanStatus::kError || a.unconsumed == b.unconsumed);
}

Outcome Feed(std::string_view input, const std::vector<size_t>& ends, size_t max_bulk_len) {
  ReplyScanner scanner(max_bulk_len);
  std::string buf;
  Outcome out;
  size_t fed = 0;
  for (size_t end : ends) {
    buf.append(input.substr(fed, end - fed));
    fed = end;
    for (;;) {
      const ScanStatus status = scanner.Scan(buf);
      if (status == ScanStatus::kNeedMore) break;
      if (status == ScanStatus::kError) {
        FUZZ_CHECK(!scanner.error().empty());
        FUZZ_CHECK(scanner.Scan(buf) == ScanStatus::kError);
        out.last = status;
        out.error = scanner.error();
        out.unconsumed = buf.size();
        return out;
      }
      FUZZ_CHECK(scanner.reply_len() > 0 && scanner.reply_len() <= buf.size());
      FUZZ_CHECK(scanner.reply_type() != '|' &&
                 std::strchr("+-:$*_,#(!=%~>", scanner.reply_type()) != nullptr);
      out.replies.emplace_back(scanner.reply_len(), scanner.reply_type());
      buf.erase(0, scanner.reply_len());
    }
  }
  out.unconsumed = buf.size();
  return out;
}

void Check(std::string_view input, size_t max_bulk_len) {
  const Outcome whole = Feed(input, {input.size()}, max_bulk_len);
  FUZZ_CHECK(SameOutcome(whole, Feed(input, RandomReads(input.size(), Hash(input)), max_bulk_len)));
  if (input.size() <= 256) {
    FUZZ_CHECK(SameOutcome(whole, Feed(input, ByteReads(input.size()), max_bulk_len)));
  }
  size_t offset = 0;
  for (const auto& [len, type] : whole.replies) {
    const std::string_view reply = input.substr(offset, len);
    ReplyScanner alone(max_bulk_len);
    FUZZ_CHECK(alone.Scan(reply) == ScanStatus::kReply && alone.reply_len() == len &&
               alone.reply_type() == type);
    ReplyScanner prefix(max_bulk_len);
    FUZZ_CHECK(prefix.Scan(reply.substr(0, Hash(reply) % len)) == ScanStatus::kNeedMore);
    offset += len;
  }
}

}  // namespace
}  // namespace respite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  respite::fuzz::Check(input, 1u << 30);
  respite::fuzz::Check(input, 8);  // a tiny bulk limit, reached by small inputs
  return 0;
}
