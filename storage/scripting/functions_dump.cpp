// FUNCTION DUMP and FUNCTION RESTORE in Redis 7.0's payload format, so a dump moves between the
// local store and Redis both ways: for each library an RDB_OPCODE_FUNCTION2 byte and its code
// as an RDB string, then the RDB version (2 bytes) and a CRC-64 (Jones; 8 bytes), both
// little-endian. Strings are written plainly; reading also takes the integer and LZF encodings
// Redis writes.

#include <cstdint>
#include <string>
#include <vector>

#include "resp/ascii.h"
#include "storage/command_context.h"
#include "storage/scripting/functions.h"

namespace respite::storage {

namespace {

constexpr uint8_t kOpcodeFunction2 = 245;
constexpr uint8_t kOpcodeFunctionOld = 246;  // 7.0 release candidates; not written since
constexpr uint16_t kRdbVersion = 10;

}  // namespace

uint64_t DumpCrc64(std::string_view data) {
  uint64_t crc = 0;
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x95AC9329AC4BC9B5ull : crc >> 1;
    }
  }
  return crc;
}

namespace {

void AppendLength(std::string* out, uint64_t len) {
  if (len < (1u << 6)) {
    out->push_back(static_cast<char>(len));
  } else if (len < (1u << 14)) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xFF));
  } else if (len <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(len >> shift));
  }
}

// Reads RDB-encoded values from a payload; every read fails cleanly past the end.
class RdbReader {
 public:
  explicit RdbReader(std::string_view data) : data_(data) {}
  size_t pos() const { return pos_; }

  bool Byte(uint8_t* b) {
    if (pos_ >= data_.size()) return false;
    *b = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }

  // A length, or with *encoded an encoding tag (0-3).
  bool Length(uint64_t* len, bool* encoded) {
    uint8_t first = 0;
    if (!Byte(&first)) return false;
    *encoded = false;
    switch (first >> 6) {
      case 0:
        *len = first & 0x3F;
        return true;
      case 1: {
        uint8_t second = 0;
        if (!Byte(&second)) return false;
        *len = (static_cast<uint64_t>(first & 0x3F) << 8) | second;
        return true;
      }
      case 3:
        *encoded = true;
        *len = first & 0x3F;
        return true;
      default: {
        const int bytes = first == 0x80 ? 4 : first == 0x81 ? 8 : 0;
        if (bytes == 0 || pos_ + bytes > data_.size()) return false;
        *len = 0;
        for (int i = 0; i < bytes; ++i) *len = (*len << 8) | static_cast<uint8_t>(data_[pos_++]);
        return true;
      }
    }
  }

  bool String(std::string* out) {
    uint64_t len = 0;
    bool encoded = false;
    if (!Length(&len, &encoded)) return false;
    if (!encoded) return Raw(len, out);
    if (len <= 2) {  // 8, 16 or 32-bit integer, little-endian
      const size_t bytes = size_t{1} << len;
      if (pos_ + bytes > data_.size()) return false;
      uint32_t v = 0;
      for (size_t i = 0; i < bytes; ++i) {
        v |= static_cast<uint32_t>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
      }
      pos_ += bytes;
      const int64_t value = bytes == 1   ? static_cast<int8_t>(v)
                            : bytes == 2 ? static_cast<int16_t>(v)
                                         : static_cast<int32_t>(v);
      *out = std::to_string(value);
      return true;
    }
    if (len != 3) return false;
    uint64_t compressed = 0;
    uint64_t plain = 0;
    std::string packed;
    return Length(&compressed, &encoded) && !encoded && Length(&plain, &encoded) && !encoded &&
           Raw(compressed, &packed) && Unlzf(packed, plain, out);
  }

 private:
  bool Raw(uint64_t len, std::string* out) {
    if (len > data_.size() - pos_) return false;
    out->assign(data_.substr(pos_, len));
    pos_ += len;
    return true;
  }

  // LZF: a control byte below 32 copies that many plus one literal bytes; above, its top three
  // bits (7: plus the next byte) plus two are a length copied from a distance back.
  static bool Unlzf(std::string_view in, uint64_t expected, std::string* out) {
    if (expected > (512ull << 20)) return false;
    out->clear();
    out->reserve(expected);
    size_t i = 0;
    while (i < in.size()) {
      const uint8_t ctrl = static_cast<uint8_t>(in[i++]);
      if (ctrl < 32) {
        const size_t n = ctrl + 1u;
        if (i + n > in.size() || out->size() + n > expected) return false;
        out->append(in.substr(i, n));
        i += n;
        continue;
      }
      size_t n = ctrl >> 5;
      if (n == 7) {
        if (i >= in.size()) return false;
        n += static_cast<uint8_t>(in[i++]);
      }
      if (i >= in.size()) return false;
      const size_t back = ((ctrl & 0x1Fu) << 8) + static_cast<uint8_t>(in[i++]) + 1;
      n += 2;
      if (back > out->size() || out->size() + n > expected) return false;
      size_t from = out->size() - back;
      for (size_t k = 0; k < n; ++k) out->push_back((*out)[from++]);
    }
    return out->size() == expected;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

void ScriptRunner::FunctionDump(CommandContext& ctx) {
  std::string payload;
  for (const auto& [name, library] : functions_->libraries) {
    payload.push_back(static_cast<char>(kOpcodeFunction2));
    AppendLength(&payload, library.code.size());
    payload += library.code;
  }
  payload.push_back(static_cast<char>(kRdbVersion & 0xFF));
  payload.push_back(static_cast<char>(kRdbVersion >> 8));
  const uint64_t crc = DumpCrc64(payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(crc >> (8 * i)));
  ctx.out.Bulk(payload);
}

void ScriptRunner::FunctionRestore(CommandContext& ctx) {
  if (ctx.argv.size() > 4) {
    ctx.out.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(ctx.argv[1]) + "'. Try FUNCTION HELP.");
    return;
  }
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (ctx.argv.size() == 4) {
    const std::string p = resp::AsciiLower(ctx.argv[3]);
    if (p == "replace") {
      policy = Policy::kReplace;
    } else if (p == "flush") {
      policy = Policy::kFlush;
    } else if (p != "append") {
      ctx.out.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
      return;
    }
  }
  const std::string_view data = ctx.argv[2];
  bool footer_ok = data.size() >= 10;
  if (footer_ok) {
    const uint16_t version =
        static_cast<uint16_t>(static_cast<uint8_t>(data[data.size() - 10]) |
                              static_cast<uint8_t>(data[data.size() - 9]) << 8);
    uint64_t crc = 0;
    for (int i = 7; i >= 0; --i) crc = (crc << 8) | static_cast<uint8_t>(data[data.size() - 8 + i]);
    footer_ok = version <= kRdbVersion && crc == DumpCrc64(data.substr(0, data.size() - 8));
  }
  if (!footer_ok) {
    ctx.out.Error("ERR DUMP payload version or checksum are wrong");
    return;
  }

  // Load the payload's libraries apart first: nothing changes unless all of them load.
  Functions restored(functions_->caller, functions_->engine);
  restored.persist = false;
  RdbReader reader(data);
  std::string error;
  while (data.size() - reader.pos() > 10) {
    uint8_t type = 0;
    if (!reader.Byte(&type)) {
      error = "can not read data type";
      break;
    }
    if (type != kOpcodeFunction2 && type != kOpcodeFunctionOld) {
      error = "given type is not a function";
      break;
    }
    std::string code;
    if (type == kOpcodeFunctionOld || !reader.String(&code)) {
      error = type == kOpcodeFunctionOld ? "failed loading the given functions payload"
                                         : "Failed loading library payload";
      break;
    }
    std::string load_error;
    if (restored.Load(code, /*replace=*/false, &load_error).empty()) {
      error = load_error.substr(4);  // Load's texts start "ERR "
      break;
    }
  }
  if (error.empty() && policy != Policy::kFlush) {
    for (const auto& [name, library] : restored.libraries) {
      if (functions_->libraries.count(name) != 0 && policy == Policy::kAppend) {
        error = "Library " + name + " already exists";
        break;
      }
      for (const Functions::Function& f : library.functions) {
        auto it = functions_->function_library.find(resp::AsciiLower(f.name));
        if (it != functions_->function_library.end() &&
            (policy == Policy::kAppend || restored.libraries.count(it->second) == 0)) {
          error = "Function " + f.name + " already exists";
          break;
        }
      }
      if (!error.empty()) break;
    }
  }
  if (!error.empty()) {
    ctx.out.Error("ERR " + error);
    return;
  }
  if (policy == Policy::kFlush) functions_->Flush();
  for (const auto& [name, library] : restored.libraries) {
    std::string load_error;
    functions_->Load(library.code, /*replace=*/true, &load_error);
  }
  CountFunctions();
  std::vector<std::string> journal = {"FUNCTION", "RESTORE", std::string(data)};
  if (ctx.argv.size() == 4) journal.emplace_back(ctx.argv[3]);
  ctx.JournalAs(std::move(journal));
  ctx.out.Ok();
}

}  // namespace respite::storage
