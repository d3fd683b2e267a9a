#include "resp/reply_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "resp/reply_scanner.h"
#include "tests/resp/scan_feed.h"

namespace respite::resp {
namespace {

using namespace std::string_literals;
using testing::Reply;
using testing::ScanAll;

template <typename F>
std::string Write(int protocol, F&& f) {
  std::string out;
  ReplyWriter w(&out, protocol);
  f(w);
  return out;
}

TEST(ReplyWriter, Resp2) {
  auto w2 = [](auto f) { return Write(2, f); };
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Ok(); }), "+OK\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.SimpleString("PONG"); }), "+PONG\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Error("ERR unknown command"); }), "-ERR unknown command\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Integer(-42); }), ":-42\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); }),
            ":-9223372036854775808\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Bulk("a\r\nb\0"s); }), "$5\r\na\r\nb\0\r\n"s);
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Bulk(""); }), "$0\r\n\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Null(); }), "$-1\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.ArrayHeader(3); }), "*3\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.MapHeader(2); }), "*4\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.SetHeader(2); }), "*2\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.PushHeader(3); }), "*3\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Double(0.1); }), "$19\r\n0.10000000000000001\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Double(1.5); }), "$3\r\n1.5\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Double(INFINITY); }), "$3\r\ninf\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Double(-INFINITY); }), "$4\r\n-inf\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Boolean(true); }), ":1\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Boolean(false); }), ":0\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Verbatim("txt", "hello"); }), "$5\r\nhello\r\n");
  EXPECT_EQ(w2([](ReplyWriter& w) { w.Raw(":1\r\n"); }), ":1\r\n");
}

TEST(ReplyWriter, Resp3) {
  auto w3 = [](auto f) { return Write(3, f); };
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Null(); }), "_\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.NullArray(); }), "_\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.MapHeader(2); }), "%2\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.SetHeader(2); }), "~2\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.PushHeader(3); }), ">3\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Double(0.1); }), ",0.10000000000000001\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Double(INFINITY); }), ",inf\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Double(-INFINITY); }), ",-inf\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Double(-NAN); }), ",nan\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Boolean(true); }), "#t\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Boolean(false); }), "#f\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Verbatim("txt", "hello"); }), "=9\r\ntxt:hello\r\n");
  // As Redis: the format is padded or cut to three bytes.
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Verbatim("md", ""); }), "=4\r\nmd :\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Verbatim("json", "x"); }), "=5\r\njso:x\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Integer(7); }), ":7\r\n");
  EXPECT_EQ(w3([](ReplyWriter& w) { w.Bulk("x"); }), "$1\r\nx\r\n");
}

TEST(ReplyWriter, ErrorKeepsOneLine) {
  // As Redis' addReplyErrorFormat(): CR/LF trimmed at the ends, spaces inside.
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error("ERR a\nb\n"); }), "-ERR a b\r\n");
  EXPECT_EQ(Write(2, [](ReplyWriter& w) { w.Error("\r\nERR x\r\ny"); }), "-ERR x  y\r\n");
  EXPECT_EQ(Write(3, [](ReplyWriter& w) { w.Error("WRONGTYPE Operation"); }),
            "-WRONGTYPE Operation\r\n");
}

TEST(FormatDouble, MatchesRedis) {
  // Redis 7.0 formats reply doubles with "%.17g".
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(3.0), "3");
  EXPECT_EQ(FormatDouble(0.0), "0");
  EXPECT_EQ(FormatDouble(-0.0), "-0");
  EXPECT_EQ(FormatDouble(1e17), "1e+17");
  EXPECT_EQ(FormatDouble(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(FormatDouble(1e-300), "1e-300");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::denorm_min()), "-4.9406564584124654e-324");
  EXPECT_EQ(FormatDouble(INFINITY), "inf");
  EXPECT_EQ(FormatDouble(-INFINITY), "-inf");
  EXPECT_EQ(FormatDouble(NAN), "nan");
  EXPECT_EQ(FormatDouble(-NAN), "nan");
}

// Writes a random scalar reply; returns the type byte the scanner should report for it.
char WriteScalar(ReplyWriter& w, std::mt19937& rng) {
  const bool resp3 = w.protocol() == 3;
  switch (rng() % 9) {
    case 0:
      w.SimpleString("s" + std::to_string(rng() % 100));
      return '+';
    case 1:
      w.Error("ERR e\r\nx");
      return '-';
    case 2:
      w.Integer(static_cast<int64_t>(rng()) - (int64_t{1} << 31));
      return ':';
    case 3: {
      std::string s(rng() % 5 == 0 ? rng() % 5000 : rng() % 8, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      w.Bulk(s);
      return '$';
    }
    case 4:
      w.Null();
      return resp3 ? '_' : '$';
    case 5:
      w.NullArray();
      return resp3 ? '_' : '*';
    case 6:
      w.Double(std::ldexp(static_cast<double>(rng()), static_cast<int>(rng() % 200) - 100));
      return resp3 ? ',' : '$';
    case 7:
      w.Boolean(rng() % 2 == 0);
      return resp3 ? '#' : ':';
    default:
      w.Verbatim("txt", "v\r\n");
      return resp3 ? '=' : '$';
  }
}

// Writes one complete random reply (aggregates filled) and returns its top-level type.
char WriteRandomReply(ReplyWriter& w, std::mt19937& rng, int depth = 0) {
  const bool resp3 = w.protocol() == 3;
  if (depth < 4 && rng() % 3 == 0) {
    const size_t n = rng() % 4;
    char type = '*';
    size_t elements = n;
    switch (rng() % 4) {
      case 0:
        w.ArrayHeader(n);
        break;
      case 1:
        w.MapHeader(n);
        type = resp3 ? '%' : '*';
        elements = 2 * n;
        break;
      case 2:
        w.SetHeader(n);
        type = resp3 ? '~' : '*';
        break;
      default:
        w.PushHeader(n);
        type = resp3 ? '>' : '*';
        break;
    }
    for (size_t i = 0; i < elements; ++i) WriteRandomReply(w, rng, depth + 1);
    return type;
  }
  return WriteScalar(w, rng);
}

TEST(ReplyWriter, RoundTripThroughScanner) {
  for (int protocol : {2, 3}) {
    std::mt19937 rng(protocol);
    for (int round = 0; round < 30; ++round) {
      std::string out;
      ReplyWriter w(&out, protocol);
      std::vector<Reply> expected;
      const int n = 1 + static_cast<int>(rng() % 30);
      for (int i = 0; i < n; ++i) {
        const size_t before = out.size();
        const char type = WriteRandomReply(w, rng);
        expected.push_back({out.size() - before, type});
      }
      SCOPED_TRACE(::testing::Message() << "RESP" << protocol << " round " << round);
      const auto o = ScanAll(out);
      EXPECT_EQ(o.replies, expected);
      EXPECT_EQ(o.last, ScanStatus::kNeedMore) << o.error;
      EXPECT_EQ(o.unconsumed, 0u);
    }
  }
}

}  // namespace
}  // namespace respite::resp
