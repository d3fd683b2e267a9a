#include "resp/reply_scanner.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "tests/resp/chunking.h"
#include "tests/resp/scan_feed.h"

namespace respite::resp {
namespace {

using namespace std::string_literals;
using testing::Reply;
using testing::ScanAll;
using testing::ScanOutcome;

std::vector<Reply> Replies(std::initializer_list<std::pair<std::string_view, char>> parts) {
  std::vector<Reply> out;
  for (const auto& [bytes, type] : parts) out.push_back({bytes.size(), type});
  return out;
}

// Scans one input that must be exactly one reply of `type`.
void ExpectOneReply(std::string_view in, char type) {
  SCOPED_TRACE(::testing::PrintToString(std::string(in)));
  const ScanOutcome o = ScanAll(in);
  EXPECT_EQ(o.last, ScanStatus::kNeedMore) << o.error;
  ASSERT_EQ(o.replies.size(), 1u);
  EXPECT_EQ(o.replies[0], (Reply{in.size(), type}));
  EXPECT_EQ(o.unconsumed, 0u);
  // Every proper prefix is incomplete, never an error.
  for (size_t i = 0; i < in.size(); ++i) {
    ReplyScanner scanner;
    ASSERT_EQ(scanner.Scan(in.substr(0, i)), ScanStatus::kNeedMore) << "prefix " << i;
  }
}

std::string ErrorOf(std::string_view in, size_t max_bulk_len = 1u << 30) {
  const ScanOutcome o = ScanAll(in, max_bulk_len);
  EXPECT_EQ(o.last, ScanStatus::kError) << ::testing::PrintToString(std::string(in));
  return o.error;
}

TEST(ReplyScanner, Resp2Types) {
  ExpectOneReply("+OK\r\n", '+');
  ExpectOneReply("+\r\n", '+');
  ExpectOneReply("-ERR unknown command 'x'\r\n", '-');
  ExpectOneReply(":0\r\n", ':');
  ExpectOneReply(":-9223372036854775808\r\n", ':');
  ExpectOneReply(":9223372036854775807\r\n", ':');
  ExpectOneReply("$5\r\nhello\r\n", '$');
  ExpectOneReply("$0\r\n\r\n", '$');
  ExpectOneReply("$-1\r\n", '$');
  ExpectOneReply("$4\r\n\r\n\r\n\r\n", '$');
  ExpectOneReply("$3\r\n\0\0\0\r\n"s, '$');
  ExpectOneReply("*-1\r\n", '*');
  ExpectOneReply("*0\r\n", '*');
  ExpectOneReply("*3\r\n:1\r\n$-1\r\n+x\r\n", '*');
  ExpectOneReply("*2\r\n*2\r\n:1\r\n*0\r\n*-1\r\n", '*');
  ExpectOneReply("*2\r\n-ERR a\r\n$4\r\n*1\r\n\r\n", '*');
}

TEST(ReplyScanner, Resp3Types) {
  ExpectOneReply("_\r\n", '_');
  ExpectOneReply(",3.14\r\n", ',');
  ExpectOneReply(",-inf\r\n", ',');
  ExpectOneReply(",nan\r\n", ',');
  ExpectOneReply("#t\r\n", '#');
  ExpectOneReply("#f\r\n", '#');
  ExpectOneReply("(3492890328409238509324850943850943825024385\r\n", '(');
  ExpectOneReply("(-1\r\n", '(');
  ExpectOneReply("!21\r\nSYNTAX invalid syntax\r\n", '!');
  ExpectOneReply("=15\r\ntxt:Some string\r\n", '=');
  ExpectOneReply("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", '%');
  ExpectOneReply("%0\r\n", '%');
  ExpectOneReply("~3\r\n+a\r\n+b\r\n_\r\n", '~');
  ExpectOneReply(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", '>');
  ExpectOneReply("%1\r\n*2\r\n:1\r\n:2\r\n~1\r\n%1\r\n#t\r\n,1.5\r\n", '%');
}

TEST(ReplyScanner, AttributesArePrefixOfTheReply) {
  // An attribute at top level belongs to the reply after it; the type is that reply's.
  ExpectOneReply(
      "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
      "*2\r\n:2039123\r\n:9543892\r\n",
      '*');
  ExpectOneReply("|0\r\n:1\r\n", ':');
  ExpectOneReply("|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n$-1\r\n", '$');
  // Inside an aggregate an attribute does not count as an element.
  ExpectOneReply("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n", '*');
  ExpectOneReply("*1\r\n|1\r\n+a\r\n|1\r\n+b\r\n+c\r\n+d\r\n:2\r\n", '*');
}

TEST(ReplyScanner, Pipeline) {
  const std::string a = "+OK\r\n", b = "*2\r\n$1\r\na\r\n$-1\r\n", c = ":7\r\n",
                    d = ">2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n", e = "|1\r\n+a\r\n+b\r\n_\r\n";
  const std::string partial = "*3\r\n:1\r\n$5\r\nhel";
  const ScanOutcome o = ScanAll(a + b + c + d + e + partial);
  EXPECT_EQ(o.replies, Replies({{a, '+'}, {b, '*'}, {c, ':'}, {d, '>'}, {e, '_'}}));
  EXPECT_EQ(o.last, ScanStatus::kNeedMore);
  EXPECT_EQ(o.unconsumed, partial.size());
}

TEST(ReplyScanner, DeepNestingUsesNoRecursion) {
  const int depth = 100000;
  std::string in;
  for (int i = 0; i < depth; ++i) in += "*1\r\n";
  in += ":1\r\n";
  const ScanOutcome o = ScanAll(in);
  ASSERT_EQ(o.replies.size(), 1u);
  EXPECT_EQ(o.replies[0].len, in.size());
}

TEST(ReplyScanner, BigArrayInChunks) {
  std::string in = "*200000\r\n";
  for (int i = 0; i < 100000; ++i) in += "$3\r\nabc\r\n:12345\r\n";
  in += "+next\r\n";
  const ScanOutcome o = ScanAll(in);
  EXPECT_EQ(o.replies, (std::vector<Reply>{{in.size() - 7, '*'}, {7, '+'}}));
}

// 64 MB arriving in 4 KB reads costs O(total bytes): a scanner that rescanned the payload on
// each call would take minutes here.
TEST(ReplyScanner, HugeBulkIn4KReads) {
  const size_t size = 64u << 20;
  std::string in = "*2\r\n$" + std::to_string(size) + "\r\n";
  in.append(size, 'v');
  in += "\r\n+tail\r\n";
  ReplyScanner scanner;
  ScanStatus status = ScanStatus::kNeedMore;
  size_t end = 0;
  while (status == ScanStatus::kNeedMore && end < in.size()) {
    end = std::min(in.size(), end + 4096);
    status = scanner.Scan(std::string_view(in).substr(0, end));
  }
  ASSERT_EQ(status, ScanStatus::kReply);
  EXPECT_EQ(scanner.reply_len(), in.size());
  EXPECT_EQ(scanner.reply_type(), '*');
}

TEST(ReplyScanner, LongSimpleLineInSmallReads) {
  const std::string in = "+" + std::string(1 << 20, 'x') + "\r\n";
  const ScanOutcome o = ScanAll(in);
  EXPECT_EQ(o.replies, (std::vector<Reply>{{in.size(), '+'}}));
}

TEST(ReplyScanner, Errors) {
  EXPECT_EQ(ErrorOf("x\r\n"), "invalid reply type byte 'x'");
  EXPECT_EQ(ErrorOf("\x01"), "invalid reply type byte '\\x01'");
  EXPECT_EQ(ErrorOf("*2\r\n:1\r\n@foo\r\n"), "invalid reply type byte '@'");
  EXPECT_EQ(ErrorOf("\r\n"), "invalid reply type byte '\\x0d'");
  EXPECT_EQ(ErrorOf(":abc\r\n"), "invalid integer reply");
  EXPECT_EQ(ErrorOf(":\r\n"), "invalid integer reply");
  EXPECT_EQ(ErrorOf(":9223372036854775808\r\n"), "invalid integer reply");
  EXPECT_EQ(ErrorOf(":+1\r\n"), "invalid integer reply");
  // Numbers as Redis writes them (and hiredis checks lengths): no leading zeros, "-0" or spaces.
  EXPECT_EQ(ErrorOf(":-0\r\n"), "invalid integer reply");
  EXPECT_EQ(ErrorOf(":01\r\n"), "invalid integer reply");
  EXPECT_EQ(ErrorOf(": 1\r\n"), "invalid integer reply");
  EXPECT_EQ(ErrorOf("$01\r\nx\r\n"), "invalid blob length");
  EXPECT_EQ(ErrorOf("$-0\r\n"), "invalid blob length");
  EXPECT_EQ(ErrorOf("*+1\r\n:1\r\n"), "invalid aggregate length");
  EXPECT_EQ(ErrorOf("*-\r\n"), "invalid aggregate length");
  EXPECT_EQ(ErrorOf("$x\r\n"), "invalid blob length");
  EXPECT_EQ(ErrorOf("$-2\r\n"), "invalid blob length");
  EXPECT_EQ(ErrorOf("!-1\r\n"), "invalid blob length");
  EXPECT_EQ(ErrorOf("$3\r\nabcde"), "blob string not terminated by CRLF");
  EXPECT_EQ(ErrorOf("$3\r\nabc\n\r"), "blob string not terminated by CRLF");
  EXPECT_EQ(ErrorOf("$?\r\n;4\r\nabcd\r\n;0\r\n"), "streamed strings are not supported");
  EXPECT_EQ(ErrorOf("*?\r\n:1\r\n.\r\n"), "streamed aggregates are not supported");
  EXPECT_EQ(ErrorOf("*-2\r\n"), "invalid aggregate length");
  EXPECT_EQ(ErrorOf("%-1\r\n"), "invalid aggregate length");
  EXPECT_EQ(ErrorOf("*1x\r\n"), "invalid aggregate length");
  EXPECT_EQ(ErrorOf("*9999999999999\r\n"), "invalid aggregate length");
  EXPECT_EQ(ErrorOf("#x\r\n"), "invalid boolean reply");
  EXPECT_EQ(ErrorOf("_x\r\n"), "invalid null reply");
  EXPECT_EQ(ErrorOf(",\r\n"), "invalid double reply");
  EXPECT_EQ(ErrorOf("(1.5\r\n"), "invalid big number reply");
  EXPECT_EQ(ErrorOf("=3\r\nabc\r\n"), "verbatim string without a format prefix");
  EXPECT_EQ(ErrorOf("=4\r\nabcd\r\n"), "verbatim string without a format prefix");
  EXPECT_EQ(ErrorOf("+OK\rX"), "reply line not terminated by CRLF");
  EXPECT_EQ(ErrorOf(":" + std::string(40, '1')), "reply line too long");
  EXPECT_EQ(ErrorOf("$11\r\n", 10), "invalid blob length");
  EXPECT_EQ(ScanAll("$10\r\n0123456789\r\n", 10).replies.size(), 1u);
  EXPECT_EQ(ErrorOf("+" + std::string(11, 'a') + "\r\n", 10), "reply line too long");
}

TEST(ReplyScanner, ErrorAfterRepliesKeepsThem) {
  const ScanOutcome o = ScanAll("+OK\r\n:1\r\n?\r\n");
  EXPECT_EQ(o.replies, (std::vector<Reply>{{5, '+'}, {4, ':'}}));
  EXPECT_EQ(o.last, ScanStatus::kError);
  EXPECT_EQ(o.unconsumed, 3u);
}

TEST(ReplyScanner, Reset) {
  ReplyScanner scanner;
  ASSERT_EQ(scanner.Scan("*3\r\n:1\r\n"), ScanStatus::kNeedMore);
  scanner.Reset();
  ASSERT_EQ(scanner.Scan(":5\r\n"), ScanStatus::kReply);
  EXPECT_EQ(scanner.reply_len(), 4u);
  ASSERT_EQ(scanner.Scan("?"), ScanStatus::kError);
  ASSERT_EQ(scanner.Scan(":5\r\n"), ScanStatus::kError);
  scanner.Reset();
  EXPECT_TRUE(scanner.error().empty());
  ASSERT_EQ(scanner.Scan(":5\r\n"), ScanStatus::kReply);
}

}  // namespace
}  // namespace respite::resp
