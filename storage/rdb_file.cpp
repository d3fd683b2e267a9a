#include "storage/rdb_file.h"

#include <cstring>

namespace respite::storage::rdb {

namespace {

// RDB opcodes (Redis 7.0, rdb.h), documented in the RDB file format.
constexpr uint8_t kFunction2 = 0xF5;
constexpr uint8_t kFunctionPreGa = 0xF6;
constexpr uint8_t kModuleAux = 0xF7;
constexpr uint8_t kIdle = 0xF8;
constexpr uint8_t kFreq = 0xF9;
constexpr uint8_t kAux = 0xFA;
constexpr uint8_t kResizeDb = 0xFB;
constexpr uint8_t kExpireTimeMs = 0xFC;
constexpr uint8_t kExpireTime = 0xFD;
constexpr uint8_t kSelectDb = 0xFE;
constexpr uint8_t kEof = 0xFF;
constexpr uint8_t kModuleTypeV1 = 6;
constexpr uint8_t kModuleTypeV2 = 7;
constexpr int kDatabases = 16;

uint64_t LittleEndian(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

}  // namespace

FileCommands::FileCommands(std::string_view rdb) : rdb_(rdb), reader_(rdb) {}

bool FileCommands::Fail(std::string what) {
  error_ = "RDB from upstream: " + std::move(what) + " at byte " + std::to_string(reader_.offset());
  done_ = true;
  return false;
}

bool FileCommands::Next(FileCommand* out) {
  if (done_) return false;
  if (!started_) {
    started_ = true;
    char magic[9];
    if (!reader_.ReadFixed(magic, sizeof magic) || std::memcmp(magic, "REDIS", 5) != 0) {
      return Fail("not an RDB file");
    }
    const int version = std::atoi(std::string(magic + 5, 4).c_str());
    if (version < 1 || version > 10) return Fail("RDB version " + std::to_string(version));
  }
  int64_t expire_ms = -1;
  for (;;) {
    uint8_t op;
    if (!reader_.ReadByte(&op)) return Fail("truncated");
    switch (op) {
      case kAux: {
        std::string field, value;
        if (!reader_.ReadString(&field) || !reader_.ReadString(&value)) return Fail("bad AUX");
        continue;
      }
      case kResizeDb: {
        uint64_t a, b;
        if (!reader_.ReadLength(&a) || !reader_.ReadLength(&b)) return Fail("bad RESIZEDB");
        continue;
      }
      case kSelectDb: {
        uint64_t db;
        if (!reader_.ReadLength(&db) || db >= kDatabases) return Fail("bad SELECTDB");
        db_ = static_cast<int>(db);
        continue;
      }
      case kExpireTimeMs: {
        unsigned char b[8];
        if (!reader_.ReadFixed(b, 8)) return Fail("bad EXPIRETIME_MS");
        expire_ms = static_cast<int64_t>(LittleEndian(b, 8));
        continue;
      }
      case kExpireTime: {
        unsigned char b[4];
        if (!reader_.ReadFixed(b, 4)) return Fail("bad EXPIRETIME");
        expire_ms = static_cast<int64_t>(LittleEndian(b, 4)) * 1000;
        continue;
      }
      case kIdle: {
        uint64_t idle;
        if (!reader_.ReadLength(&idle)) return Fail("bad IDLE");
        continue;  // LRU hints: the local store keeps its own
      }
      case kFreq: {
        uint8_t freq;
        if (!reader_.ReadByte(&freq)) return Fail("bad FREQ");
        continue;
      }
      case kFunction2: {
        std::string code;
        if (!reader_.ReadString(&code)) return Fail("bad FUNCTION");
        out->db = 0;
        out->argv = {"FUNCTION", "LOAD", "REPLACE", std::move(code)};
        return true;
      }
      case kFunctionPreGa:
        return Fail("functions in the pre-7.0 GA format");
      case kModuleAux:
        return Fail("module data (a module's values cannot be loaded without the module)");
      case kEof: {
        // A CRC64 of everything before it follows (zero when upstream has rdbchecksum off).
        const size_t body = reader_.offset();
        unsigned char b[8];
        if (reader_.ReadFixed(b, 8)) {
          const uint64_t stored = LittleEndian(b, 8);
          if (stored != 0 && stored != Crc64(0, rdb_.substr(0, body))) {
            return Fail("checksum mismatch");
          }
        }
        done_ = true;
        return false;
      }
      default:
        break;
    }
    // A key: its type byte was `op`.
    if (op == kModuleTypeV1 || op == kModuleTypeV2) {
      return Fail("a module type (its values cannot be loaded without the module)");
    }
    std::string key;
    if (!reader_.ReadString(&key)) return Fail("bad key");
    const size_t begin = reader_.offset();
    if (!reader_.SkipValue(op)) return Fail("bad value of type " + std::to_string(op));
    const std::string_view value = rdb_.substr(begin, reader_.offset() - begin);
    ++keys_;
    out->db = db_;
    out->argv.clear();
    out->argv.reserve(6);
    out->argv.emplace_back("RESTORE");
    out->argv.push_back(std::move(key));
    out->argv.push_back(expire_ms >= 0 ? std::to_string(expire_ms) : "0");
    out->argv.push_back(MakeDumpPayload(op, value));
    out->argv.emplace_back("REPLACE");
    if (expire_ms >= 0) out->argv.emplace_back("ABSTTL");
    return true;
  }
}

}  // namespace respite::storage::rdb
