// Fuzzes RequestParser: no crash, sane consumed counts, the same commands whether the input
// arrives whole, one byte at a time or in random reads, and multibulk commands round-trip.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resp/request_parser.h"
#include "tests/fuzz/fuzz_util.h"

namespace respite::fuzz {
namespace {

using resp::Command;
using resp::ParserLimits;
using resp::ParseStatus;
using resp::RequestParser;

struct Parsed {
  std::vector<std::string> argv;
  size_t raw_len;
  bool is_inline;
  bool operator==(const Parsed&) const = default;
};

struct Outcome {
  std::vector<Parsed> commands;
  ParseStatus last = ParseStatus::kNeedMore;
  std::string error;
  size_t unconsumed = 0;
};

bool SameOutcome(const Outcome& a, const Outcome& b) {
  return a.commands == b.commands && a.last == b.last && a.error == b.error &&
         (a.last == ParseStatus::kError || a.unconsumed == b.unconsumed);
}

// Feeds `input` as reads ending at `ends`, as a connection does. With `move_buffer`, every call
// sees the bytes at a fresh address, as after a buffer reallocation.
Outcome Feed(std::string_view input, const std::vector<size_t>& ends, const ParserLimits& limits,
             bool move_buffer) {
  RequestParser parser(limits);
  Command cmd;
  std::string buf;
  Outcome out;
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
      if (status == ParseStatus::kNeedMore) {
        FUZZ_CHECK(parser.bytes_needed() > view.size());
        break;
      }
      if (status == ParseStatus::kError) {
        FUZZ_CHECK(parser.error().starts_with("ERR Protocol error: "));
        FUZZ_CHECK(parser.Parse(view, &cmd) == ParseStatus::kError);
        out.last = status;
        out.error = parser.error();
        out.unconsumed = buf.size();
        return out;
      }
      FUZZ_CHECK(cmd.raw_len > 0 && cmd.raw_len <= view.size());
      FUZZ_CHECK(!cmd.argv.empty());
      Parsed parsed{{}, cmd.raw_len, cmd.is_inline};
      size_t arg_bytes = 0;
      for (std::string_view arg : cmd.argv) {
        arg_bytes += arg.size();
        if (cmd.is_inline) {
          FUZZ_CHECK(arg.size() <= limits.max_inline_len);
        } else {
          // Zero-copy views into this command's own bytes.
          FUZZ_CHECK(arg.data() >= view.data());
          FUZZ_CHECK(arg.data() + arg.size() <= view.data() + cmd.raw_len);
          FUZZ_CHECK(arg.size() <= limits.max_bulk_len);
        }
        parsed.argv.emplace_back(arg);
      }
      FUZZ_CHECK(arg_bytes < cmd.raw_len);
      if (!cmd.is_inline) FUZZ_CHECK(cmd.argv.size() <= limits.max_multibulk_len);
      out.commands.push_back(std::move(parsed));
      buf.erase(0, cmd.raw_len);
    }
  }
  out.unconsumed = buf.size();
  return out;
}

std::string Encode(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

void Check(std::string_view input, const ParserLimits& limits) {
  const Outcome whole = Feed(input, {input.size()}, limits, false);
  FUZZ_CHECK(SameOutcome(whole, Feed(input, RandomReads(input.size(), Hash(input)), limits, true)));
  if (input.size() <= 256) {
    FUZZ_CHECK(SameOutcome(whole, Feed(input, ByteReads(input.size()), limits, true)));
  }
  size_t offset = 0;
  for (const Parsed& cmd : whole.commands) {
    // A proper prefix of a command is never a command or an error.
    RequestParser prefix_parser(limits);
    Command scratch;
    const size_t cut = static_cast<size_t>(Hash(input.substr(offset, cmd.raw_len)) % cmd.raw_len);
    FUZZ_CHECK(prefix_parser.Parse(input.substr(offset, cut), &scratch) == ParseStatus::kNeedMore);
    // The canonical encoding of what was parsed parses back to the same arguments.
    bool encodable = cmd.argv.size() <= limits.max_multibulk_len;
    for (const auto& arg : cmd.argv) encodable = encodable && arg.size() <= limits.max_bulk_len;
    if (encodable) {
      const std::string encoded = Encode(cmd.argv);
      RequestParser again(limits);
      Command back;
      FUZZ_CHECK(again.Parse(encoded, &back) == ParseStatus::kCommand);
      FUZZ_CHECK(back.raw_len == encoded.size());
      FUZZ_CHECK(std::vector<std::string>(back.argv.begin(), back.argv.end()) == cmd.argv);
    }
    offset += cmd.raw_len;
  }
}

}  // namespace
}  // namespace respite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  respite::fuzz::Check(input, respite::resp::ParserLimits{});
  // Tiny limits, so that every limit is reached by small inputs.
  respite::resp::ParserLimits tiny;
  tiny.max_bulk_len = 16;
  tiny.max_multibulk_len = 4;
  tiny.max_inline_len = 24;
  respite::fuzz::Check(input, tiny);
  return 0;
}
