#pragma once
// Feeds a ReplyScanner whole, byte by byte and in random splits, and checks that all agree.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_scanner.h"
#include "tests/resp/chunking.h"

namespace respite::resp::testing {

struct Reply {
  size_t len = 0;
  char type = 0;
  bool operator==(const Reply&) const = default;
};

inline void PrintTo(const Reply& r, std::ostream* os) {
  *os << "{" << r.len << ", '" << r.type << "'}";
}

struct ScanOutcome {
  std::vector<Reply> replies;
  ScanStatus last = ScanStatus::kNeedMore;  // kNeedMore (all input used) or kError
  std::string error;
  size_t unconsumed = 0;  // bytes the caller still holds at the end
  // After an error, how much was buffered depends on the reads; the rest must not.
  bool operator==(const ScanOutcome& o) const {
    return replies == o.replies && last == o.last && error == o.error &&
           (last == ScanStatus::kError || unconsumed == o.unconsumed);
  }
};

inline void PrintTo(const ScanOutcome& o, std::ostream* os) {
  for (const auto& r : o.replies) *os << "{" << r.len << ", '" << r.type << "'} ";
  *os << (o.last == ScanStatus::kError ? "error: " + o.error : std::string("need more"))
      << " unconsumed=" << o.unconsumed;
}

// Feeds `input` as reads ending at `ends`, dropping each reply as a relaying connection does.
inline ScanOutcome FeedScanner(std::string_view input, const std::vector<size_t>& ends,
                               size_t max_bulk_len) {
  ReplyScanner scanner(max_bulk_len);
  std::string buf;
  ScanOutcome outcome;
  size_t fed = 0;
  for (size_t end : ends) {
    buf.append(input.substr(fed, end - fed));
    fed = end;
    for (;;) {
      const ScanStatus status = scanner.Scan(buf);
      if (status == ScanStatus::kReply) {
        EXPECT_GT(scanner.reply_len(), 0u);
        EXPECT_LE(scanner.reply_len(), buf.size());
        outcome.replies.push_back({scanner.reply_len(), scanner.reply_type()});
        buf.erase(0, scanner.reply_len());
        continue;
      }
      if (status == ScanStatus::kNeedMore) break;
      outcome.last = ScanStatus::kError;
      outcome.error = scanner.error();
      outcome.unconsumed = buf.size();
      EXPECT_EQ(scanner.Scan(buf), ScanStatus::kError);  // the error sticks
      return outcome;
    }
  }
  outcome.unconsumed = buf.size();
  return outcome;
}

// Scans whole, byte by byte and in random splits; all must agree. Returns the whole-buffer result.
inline ScanOutcome ScanAll(std::string_view input, size_t max_bulk_len = 1u << 30) {
  const auto plans = ChunkPlans(input.size(), static_cast<unsigned>(input.size()));
  const ScanOutcome whole = FeedScanner(input, plans[0].ends, max_bulk_len);
  for (size_t i = 1; i < plans.size(); ++i) {
    SCOPED_TRACE(plans[i].name);
    EXPECT_EQ(FeedScanner(input, plans[i].ends, max_bulk_len), whole);
  }
  return whole;
}

}  // namespace respite::resp::testing
