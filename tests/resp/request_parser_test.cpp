#include "resp/request_parser.h"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "tests/resp/alloc_counter.h"
#include "tests/resp/chunking.h"

namespace respite::resp {
namespace {

using testing::ChunkPlans;
using testing::g_allocations;
using testing::g_count_allocations;
using namespace std::string_literals;

struct Parsed {
  std::vector<std::string> argv;
  size_t raw_len = 0;
  bool is_inline = false;
  bool operator==(const Parsed&) const = default;
};

// What a connection sees: the commands, then how the stream ended.
struct Outcome {
  std::vector<Parsed> commands;
  ParseStatus last = ParseStatus::kNeedMore;  // kNeedMore (all input used) or kError
  std::string error;
  size_t unconsumed = 0;  // bytes the caller still holds at the end
  // After an error, how much was buffered depends on the reads; the rest must not.
  bool operator==(const Outcome& o) const {
    return commands == o.commands && last == o.last && error == o.error &&
           (last == ParseStatus::kError || unconsumed == o.unconsumed);
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  for (const auto& c : o.commands) {
    os << (c.is_inline ? "inline" : "multibulk") << " raw_len=" << c.raw_len << " [";
    for (const auto& a : c.argv) os << ::testing::PrintToString(a) << " ";
    os << "]\n";
  }
  return os << (o.last == ParseStatus::kError ? "error: " + o.error : "need more"s)
            << " unconsumed=" << o.unconsumed;
}

// Feeds `input` as reads ending at `ends`, keeping unconsumed bytes the way a connection does. With
// `move_buffer`, every call sees the bytes at a fresh address, as after a buffer reallocation.
Outcome Feed(std::string_view input, const std::vector<size_t>& ends, ParserLimits limits,
             bool move_buffer) {
  RequestParser parser(limits);
  Command cmd;
  std::string buf;
  Outcome outcome;
  size_t fed = 0;
  for (size_t end : ends) {
    buf.append(input.substr(fed, end - fed));
    fed = end;
    for (;;) {
      std::string moved;
      std::string_view view = buf;
      if (move_buffer) {
        moved = buf;
        view = moved;
      }
      const ParseStatus status = parser.Parse(view, &cmd);
      if (status == ParseStatus::kCommand) {
        EXPECT_GT(cmd.raw_len, 0u);
        EXPECT_LE(cmd.raw_len, view.size());
        EXPECT_FALSE(cmd.argv.empty());
        Parsed parsed{{}, cmd.raw_len, cmd.is_inline};
        for (std::string_view arg : cmd.argv) {
          if (!cmd.is_inline) {
            // Zero-copy: multibulk arguments are views into this very command's bytes.
            EXPECT_GE(arg.data(), view.data());
            EXPECT_LE(arg.data() + arg.size(), view.data() + cmd.raw_len);
          }
          parsed.argv.emplace_back(arg);
        }
        outcome.commands.push_back(std::move(parsed));
        buf.erase(0, cmd.raw_len);
        continue;
      }
      if (status == ParseStatus::kNeedMore) {
        EXPECT_GT(parser.bytes_needed(), view.size());
        break;
      }
      outcome.last = ParseStatus::kError;
      outcome.error = parser.error();
      outcome.unconsumed = buf.size();
      // The error sticks.
      EXPECT_EQ(parser.Parse(view, &cmd), ParseStatus::kError);
      return outcome;
    }
  }
  outcome.unconsumed = buf.size();
  return outcome;
}

// Parses whole, byte by byte and in random splits; all must agree. Returns the whole-buffer result.
Outcome ParseAll(std::string_view input, ParserLimits limits = {}) {
  const auto plans = ChunkPlans(input.size(), static_cast<unsigned>(input.size()));
  const Outcome whole = Feed(input, plans[0].ends, limits, false);
  for (size_t i = 1; i < plans.size(); ++i) {
    SCOPED_TRACE(plans[i].name);
    const bool move_buffer = input.size() <= 4096;
    EXPECT_EQ(Feed(input, plans[i].ends, limits, move_buffer), whole);
  }
  return whole;
}

Parsed Multi(std::vector<std::string> argv, size_t raw_len) {
  return {std::move(argv), raw_len, false};
}
Parsed Inline(std::vector<std::string> argv, size_t raw_len) {
  return {std::move(argv), raw_len, true};
}

std::string Encode(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// The error a Redis 7.0 server sends (without '-'), checked against whole and split feeding.
std::string ErrorOf(std::string_view input, ParserLimits limits = {}) {
  const Outcome o = ParseAll(input, limits);
  EXPECT_EQ(o.last, ParseStatus::kError) << o;
  return o.error;
}

TEST(RequestParser, Multibulk) {
  const std::string in = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
  const Outcome o = ParseAll(in);
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.commands[0], Multi({"SET", "k", "value"}, in.size()));
  EXPECT_EQ(o.last, ParseStatus::kNeedMore);
  EXPECT_EQ(o.unconsumed, 0u);
}

TEST(RequestParser, PipelineOfMultibulkAndInline) {
  const std::string a = Encode({"GET", "a"});
  const std::string b = "PING\r\n";
  const std::string c = Encode({"MSET", "x", "1", "y", "2"});
  const std::string d = "ECHO hi\n";
  const std::string partial = "*2\r\n$3\r\nGET\r\n$1\r\n";
  const Outcome o = ParseAll(a + b + c + d + partial);
  EXPECT_EQ(o.commands, (std::vector<Parsed>{Multi({"GET", "a"}, a.size()), Inline({"PING"}, 6),
                                             Multi({"MSET", "x", "1", "y", "2"}, c.size()),
                                             Inline({"ECHO", "hi"}, d.size())}));
  EXPECT_EQ(o.last, ParseStatus::kNeedMore);
  EXPECT_EQ(o.unconsumed, partial.size());
}

TEST(RequestParser, BinarySafeArguments) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  const std::vector<std::string> argv = {"SET", "k\r\n\0x"s, all_bytes, "", "\r\n", "$3\r\n*1"};
  const std::string in = Encode(argv);
  const Outcome o = ParseAll(in);
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.commands[0], Multi(argv, in.size()));
}

TEST(RequestParser, EmptyBulk) {
  const Outcome o = ParseAll("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.commands[0].argv, (std::vector<std::string>{"ECHO", ""}));
}

TEST(RequestParser, EmptyRequestsAreSkippedIntoNextRawLen) {
  const std::string empties = "*0\r\n*-1\r\n*-7\r\n\r\n\n   \t\r\n";
  const Outcome o = ParseAll(empties + "PING\r\n" + "*0\r\n");
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.commands[0], Inline({"PING"}, empties.size() + 6));
  // A trailing empty request stays with the caller until a real command follows.
  EXPECT_EQ(o.last, ParseStatus::kNeedMore);
  EXPECT_EQ(o.unconsumed, 4u);
}

TEST(RequestParser, OnlyEmptyRequests) {
  const Outcome o = ParseAll("\r\n*0\r\n");
  EXPECT_TRUE(o.commands.empty());
  EXPECT_EQ(o.last, ParseStatus::kNeedMore);
  EXPECT_EQ(o.unconsumed, 6u);
}

TEST(RequestParser, BigBulkByteByByte) {
  const std::string payload(1 << 20, 'x');
  const std::string in = Encode({"SET", "k", payload});
  const Outcome o = ParseAll(in);
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.commands[0].argv[2], payload);
}

TEST(RequestParser, BytesNeededForBulk) {
  RequestParser parser;
  Command cmd;
  const std::string head = "*2\r\n$3\r\nGET\r\n$10\r\nab";
  ASSERT_EQ(parser.Parse(head, &cmd), ParseStatus::kNeedMore);
  // The reader can size its buffer for the whole argument and its CRLF at once.
  EXPECT_EQ(parser.bytes_needed(), head.size() - 2 + 10 + 2);
  ASSERT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n$1", &cmd), ParseStatus::kNeedMore);
}

// 64 MB arriving in 4 KB reads: each call must cost O(new bytes), not O(buffered bytes); a parser
// that rescanned the payload would take minutes here.
TEST(RequestParser, HugeBulkIn4KReads) {
  const size_t size = 64u << 20;
  std::string in = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(size) + "\r\n";
  const size_t header = in.size();
  in.append(size, 'v');
  in += "\r\n";
  RequestParser parser;
  Command cmd;
  ParseStatus status = ParseStatus::kNeedMore;
  for (size_t end = 4096; status == ParseStatus::kNeedMore; end += 4096) {
    status = parser.Parse(std::string_view(in).substr(0, std::min(end, in.size())), &cmd);
    if (status == ParseStatus::kNeedMore && end >= header) {
      ASSERT_EQ(parser.bytes_needed(), in.size());
    }
  }
  ASSERT_EQ(status, ParseStatus::kCommand);
  EXPECT_EQ(cmd.raw_len, in.size());
  EXPECT_EQ(cmd.argv[2].size(), size);
}

TEST(RequestParser, RandomPipelines) {
  std::mt19937 rng(7);
  for (int round = 0; round < 40; ++round) {
    std::string in;
    std::vector<Parsed> expected;
    const int n = 1 + static_cast<int>(rng() % 20);
    for (int c = 0; c < n; ++c) {
      std::vector<std::string> argv;
      const bool as_inline = rng() % 3 == 0;
      const int argc = 1 + static_cast<int>(rng() % 5);
      for (int a = 0; a < argc; ++a) {
        std::string arg;
        const size_t len = rng() % 5 == 0 ? rng() % 3000 : rng() % 12;
        for (size_t i = 0; i < len; ++i) {
          arg.push_back(as_inline ? static_cast<char>('a' + rng() % 26)
                                  : static_cast<char>(rng() % 256));
        }
        if (as_inline && arg.empty()) arg = "z";
        argv.push_back(std::move(arg));
      }
      std::string raw;
      if (as_inline) {
        for (const auto& a : argv) raw += a + " ";
        raw += rng() % 2 ? "\r\n" : "\n";
      } else {
        raw = Encode(argv);
      }
      in += raw;
      expected.push_back({argv, raw.size(), as_inline});
    }
    const Outcome o = ParseAll(in);
    EXPECT_EQ(o.commands, expected);
    EXPECT_EQ(o.last, ParseStatus::kNeedMore);
    EXPECT_EQ(o.unconsumed, 0u);
  }
}

TEST(RequestParser, WholeCommandsAndSplitOnesAgreeOnMutatedHeaders) {
  // A complete command is parsed in one pass, a split one by the state machine; ParseAll checks
  // that both agree. Bytes mutated into headers hit every way the one pass gives up.
  const std::string alphabet = "0123456789\r\n$*-+ a\0"s;
  std::mt19937 rng(11);
  for (int round = 0; round < 400; ++round) {
    std::string in = Encode({"SET", "key", std::string(rng() % 20, 'v')}) + Encode({"GET", "key"});
    for (int m = 1 + static_cast<int>(rng() % 3); m > 0; --m) {
      in[rng() % in.size()] = alphabet[rng() % alphabet.size()];
    }
    SCOPED_TRACE(::testing::PrintToString(in));
    ParseAll(in);
  }
}

TEST(RequestParser, InvalidMultibulkLength) {
  for (const char* in : {"*abc\r\n", "*\r\n", "*-0\r\n", "*+1\r\n", "*01\r\n", "* 1\r\n", "*1 \r\n",
                         "*99999999999999999999\r\n", "*2147483648\r\n"}) {
    SCOPED_TRACE(in);
    EXPECT_EQ(ErrorOf(in), "ERR Protocol error: invalid multibulk length");
  }
  ParserLimits big;
  big.max_multibulk_len = size_t{1} << 40;
  // Redis 7.0 caps the count at INT_MAX whatever the limit says.
  EXPECT_EQ(ErrorOf("*2147483648\r\n", big), "ERR Protocol error: invalid multibulk length");
  EXPECT_EQ(ParseAll("*2147483647\r\n", big).last, ParseStatus::kNeedMore);
  EXPECT_EQ(ErrorOf("*1048577\r\n"), "ERR Protocol error: invalid multibulk length");
  EXPECT_EQ(ParseAll("*1048576\r\n").last, ParseStatus::kNeedMore);
}

TEST(RequestParser, InvalidBulkLength) {
  for (const char* in : {"*1\r\n$abc\r\n", "*1\r\n$-1\r\n", "*1\r\n$\r\n", "*1\r\n$01\r\n",
                         "*1\r\n$536870913\r\n", "*1\r\n$-0\r\n"}) {
    SCOPED_TRACE(in);
    EXPECT_EQ(ErrorOf(in), "ERR Protocol error: invalid bulk length");
  }
  EXPECT_EQ(ParseAll("*1\r\n$536870912\r\n").last, ParseStatus::kNeedMore);
}

TEST(RequestParser, ExpectedDollar) {
  EXPECT_EQ(ErrorOf("*1\r\nx\r\n"), "ERR Protocol error: expected '$', got 'x'");
  EXPECT_EQ(ErrorOf("*2\r\n$3\r\nGET\r\n:1\r\n"), "ERR Protocol error: expected '$', got ':'");
  // Redis turns CR and LF in the message into spaces.
  EXPECT_EQ(ErrorOf("*1\r\n\r\n\r\n"), "ERR Protocol error: expected '$', got ' '");
  EXPECT_EQ(ErrorOf("*1\r\n\x01\r\n"), "ERR Protocol error: expected '$', got '\x01'");
  EXPECT_EQ(ErrorOf("*1\r\n\xff\r\n"), "ERR Protocol error: expected '$', got '\xff'");
  // The check waits for the whole line, as in Redis.
  EXPECT_EQ(ParseAll("*1\r\nxyz").last, ParseStatus::kNeedMore);
}

TEST(RequestParser, TooBigInlineRequest) {
  EXPECT_EQ(ParseAll(std::string(65536, 'a')).last, ParseStatus::kNeedMore);
  EXPECT_EQ(ErrorOf(std::string(65537, 'a')), "ERR Protocol error: too big inline request");
  // Judged on the line, whatever the reads: a long line that arrives at once fails too.
  EXPECT_EQ(ErrorOf(std::string(70000, 'a') + "\r\n"),
            "ERR Protocol error: too big inline request");
  const Outcome ok = ParseAll("a" + std::string(65534, 'b') + "\r\n");
  ASSERT_EQ(ok.commands.size(), 1u);
  EXPECT_EQ(ok.commands[0].argv[0].size(), 65535u);
}

TEST(RequestParser, TooBigCountStrings) {
  EXPECT_EQ(ErrorOf("*" + std::string(65536, '1')),
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(ParseAll("*" + std::string(65535, '1')).last, ParseStatus::kNeedMore);
  EXPECT_EQ(ErrorOf("*" + std::string(65536, '1') + "\r\n"),
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(ErrorOf("*1\r\n$" + std::string(65536, '1')),
            "ERR Protocol error: too big bulk count string");
  EXPECT_EQ(ParseAll("*1\r\n$" + std::string(65535, '1')).last, ParseStatus::kNeedMore);
}

TEST(RequestParser, UnbalancedQuotes) {
  for (const char* in : {"PING \"a\r\n", "ECHO \"a\"b\r\n", "ECHO 'a'b\r\n", "ECHO \"\\\r\n",
                         "ECHO 'abc\r\n", "ECHO \"a\\\"\r\n"}) {
    SCOPED_TRACE(in);
    EXPECT_EQ(ErrorOf(in), "ERR Protocol error: unbalanced quotes in request");
  }
}

TEST(RequestParser, NulByteInLineNeverEndsIt) {
  // Redis searches lines with strchr(), which stops at NUL: it waits, then hits the size limit.
  EXPECT_EQ(ParseAll("PI\0NG\r\n"s).last, ParseStatus::kNeedMore);
  EXPECT_EQ(ParseAll("*1\0\r\n"s).last, ParseStatus::kNeedMore);
  EXPECT_EQ(ParseAll("*1\r\n$4\0\r\nPING\r\n"s).last, ParseStatus::kNeedMore);
  EXPECT_EQ(ErrorOf("PI\0NG\r\n"s + std::string(70000, 'a')),
            "ERR Protocol error: too big inline request");
  EXPECT_EQ(ErrorOf("*1\0\r\n"s + std::string(70000, 'a')),
            "ERR Protocol error: too big mbulk count string");
  // A NUL after the line end is just payload.
  EXPECT_EQ(ParseAll("PING\r\n\0"s).commands.size(), 1u);
  // Far into a long line as near its start (short lines and long ones are searched differently).
  const std::string long_line = "SET key " + std::string(40, 'v');
  EXPECT_EQ(ParseAll(long_line + "\0x\r\n"s).last, ParseStatus::kNeedMore);
  EXPECT_EQ(ParseAll(long_line + "\r\n\0"s).commands.size(), 1u);
  EXPECT_EQ(ParseAll("*1\r\n$" + std::string(30, '1') + "\0\r\n"s).last, ParseStatus::kNeedMore);
}

TEST(RequestParser, LenientLikeRedis) {
  // Redis skips the two bytes after a header line's CR and after a payload without checking them.
  const Outcome o = ParseAll("*1\rX$4\r\nPINGXY*1\r\n$4\rXPING\r\n");
  EXPECT_EQ(o.commands, (std::vector<Parsed>{Multi({"PING"}, 14), Multi({"PING"}, 14)}));
}

TEST(RequestParser, InlineSplitting) {
  struct Case {
    std::string in;
    std::vector<std::string> argv;
  };
  const std::vector<Case> cases = {
      {"SET k v\r\n", {"SET", "k", "v"}},
      {"  SET\t k   v  \r\n", {"SET", "k", "v"}},
      {"PING\n", {"PING"}},
      {"ECHO \"\\x41\\x4\\n\\q\"\r\n", {"ECHO", "Ax4\nq"}},
      {"ECHO \"\\x4a\\x4B\\r\\t\\b\\a\\\\\\\"\"\r\n", {"ECHO", "JK\r\t\b\a\\\""}},
      {"ECHO 'it\\'s' \r\n", {"ECHO", "it's"}},
      {"ECHO 'no \\n escape'\r\n", {"ECHO", "no \\n escape"}},
      {"ECHO a\"b c\"\r\n", {"ECHO", "ab c"}},
      {"ECHO \"\" ''\r\n", {"ECHO", "", ""}},
      {"ECHO a\vb\r\n", {"ECHO", "a\vb"}},
      {"ECHO\va\r\n", {"ECHO\va"}},
      {"ECHO \"a\"\vx\r\n", {"ECHO", "a", "x"}},
      {"ECHO a\rb\r\n", {"ECHO", "a", "b"}},
      {"ECHO \xc3\xa9t\xc3\xa9\r\n", {"ECHO", "\xc3\xa9t\xc3\xa9"}},
      {"ECHO \"\\x00\"\r\n", {"ECHO", "\0"s}},
      {"ECHO x\r\r\n", {"ECHO", "x"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    const Outcome o = ParseAll(c.in);
    ASSERT_EQ(o.commands.size(), 1u) << o;
    EXPECT_EQ(o.commands[0], Inline(c.argv, c.in.size()));
  }
}

TEST(RequestParser, SmallLimits) {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  limits.max_multibulk_len = 3;
  limits.max_inline_len = 16;
  EXPECT_EQ(ParseAll(Encode({"a", "b", "0123456789"}), limits).commands.size(), 1u);
  EXPECT_EQ(ErrorOf(Encode({"a", "01234567890"}), limits),
            "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorOf(Encode({"a", "b", "c", "d"}), limits),
            "ERR Protocol error: invalid multibulk length");
  EXPECT_EQ(ParseAll(std::string(16, 'a') + "\n", limits).commands.size(), 1u);
  EXPECT_EQ(ParseAll(std::string(15, 'a') + "\r\n", limits).commands.size(), 1u);
  EXPECT_EQ(ErrorOf(std::string(17, 'a') + "\n", limits),
            "ERR Protocol error: too big inline request");
  EXPECT_EQ(ErrorOf("*0000000000000001\r\n", limits),
            "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(ErrorOf("*1\r\n$0000000000000001\r\n", limits),
            "ERR Protocol error: too big bulk count string");
}

TEST(RequestParser, ErrorAfterCommandsKeepsThem) {
  const Outcome o = ParseAll("PING\r\n*1\r\n$x\r\n");
  ASSERT_EQ(o.commands.size(), 1u);
  EXPECT_EQ(o.last, ParseStatus::kError);
  EXPECT_EQ(o.error, "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(o.unconsumed, 8u);
}

TEST(RequestParser, ResetForgetsPartialCommand) {
  RequestParser parser;
  Command cmd;
  ASSERT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n", &cmd), ParseStatus::kNeedMore);
  parser.Reset();
  ASSERT_EQ(parser.Parse("PING\r\n", &cmd), ParseStatus::kCommand);
  EXPECT_EQ(cmd.argv, (std::vector<std::string_view>{"PING"}));
  ASSERT_EQ(parser.Parse("*x\r\n", &cmd), ParseStatus::kError);
  parser.Reset();
  EXPECT_TRUE(parser.error().empty());
  ASSERT_EQ(parser.Parse("*1\r\n$4\r\nPING\r\n", &cmd), ParseStatus::kCommand);
}

TEST(RequestParser, NoAllocationPerCommandOnceWarm) {
  std::string pipeline;
  for (int i = 0; i < 100; ++i) {
    pipeline += Encode({"SET", "key:" + std::to_string(i), std::string(100, 'v')});
    pipeline += "GET key\r\n";
  }
  RequestParser parser;
  Command cmd;
  auto run = [&] {
    std::string_view rest = pipeline;
    int n = 0;
    while (parser.Parse(rest, &cmd) == ParseStatus::kCommand) {
      rest.remove_prefix(cmd.raw_len);
      ++n;
    }
    return n;
  };
  ASSERT_EQ(run(), 200);  // warm up: vectors reach their size
  g_allocations = 0;
  g_count_allocations = true;
  const int n = run();
  g_count_allocations = false;
  EXPECT_EQ(n, 200);
  EXPECT_EQ(g_allocations.load(), 0);
}

}  // namespace
}  // namespace respite::resp
