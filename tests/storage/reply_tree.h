#pragma once
// Test helper: parses one raw RESP2/RESP3 reply (as StoreHarness::Run returns it) into a tree, for
// replies whose element order is unspecified (SMEMBERS, HGETALL, SRANDMEMBER, HSCAN pages, ...).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace respite::storage {

struct ReplyTree {
  char type = 0;     // the RESP type byte: '*', '~', '%', '$', ':', '+', '-', '_', ','
  std::string text;  // bulk / simple / error / integer / double text
  std::vector<ReplyTree> elements;  // aggregates; maps hold 2n elements (key, value, ...)
  bool null = false;                // $-1, *-1, _

  // The texts of the elements (bulks of a flat aggregate).
  std::vector<std::string> Texts() const {
    std::vector<std::string> out;
    for (const ReplyTree& e : elements) out.push_back(e.text);
    return out;
  }
  std::vector<std::string> SortedTexts() const {
    std::vector<std::string> out = Texts();
    std::sort(out.begin(), out.end());
    return out;
  }
};

// Parses one reply starting at *pos and advances *pos past it. Returns false on malformed input.
inline bool ParseReplyAt(std::string_view in, size_t* pos, ReplyTree* out) {
  if (*pos >= in.size()) return false;
  const size_t eol = in.find("\r\n", *pos);
  if (eol == std::string_view::npos) return false;
  out->type = in[*pos];
  const std::string line(in.substr(*pos + 1, eol - *pos - 1));
  *pos = eol + 2;
  switch (out->type) {
    case '+':
    case '-':
    case ':':
    case ',':
    case '#':
    case '(':
      out->text = line;
      return true;
    case '_':
      out->null = true;
      return true;
    case '$':
    case '=': {
      const int64_t n = std::stoll(line);
      if (n < 0) {
        out->null = true;
        return true;
      }
      if (*pos + static_cast<size_t>(n) + 2 > in.size()) return false;
      out->text = std::string(in.substr(*pos, static_cast<size_t>(n)));
      *pos += static_cast<size_t>(n) + 2;
      return true;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      int64_t n = std::stoll(line);
      if (n < 0) {
        out->null = true;
        return true;
      }
      if (out->type == '%') n *= 2;
      out->elements.resize(static_cast<size_t>(n));
      for (ReplyTree& e : out->elements) {
        if (!ParseReplyAt(in, pos, &e)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// Parses a whole reply; a test failure when it is malformed or has trailing bytes.
inline ReplyTree ParseReply(std::string_view in) {
  ReplyTree tree;
  size_t pos = 0;
  EXPECT_TRUE(ParseReplyAt(in, &pos, &tree)) << "malformed reply: " << in;
  EXPECT_EQ(pos, in.size()) << "trailing bytes in reply: " << in;
  return tree;
}

}  // namespace respite::storage
