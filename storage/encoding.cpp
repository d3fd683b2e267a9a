#include "storage/encoding.h"

namespace respite::storage {

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kString:
      return "string";
    case Type::kHash:
      return "hash";
    case Type::kList:
      return "list";
    case Type::kSet:
      return "set";
    case Type::kZSet:
      return "zset";
    case Type::kStream:
      return "stream";
    case Type::kNone:
      break;
  }
  return "none";
}

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c != 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return end;  // empty: no upper bound
}

// Layout: [format:1][type:1][expire_ms:8][version:8][size:8][payload...]
namespace {
constexpr char kMetaFormat = 1;
constexpr size_t kMetaHeader = MetaValue::kHeaderBytes;
}  // namespace

std::string MetaValue::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

void MetaValue::EncodeTo(std::string* out) const {
  out->clear();
  out->reserve(kMetaHeader + payload.size());
  out->push_back(kMetaFormat);
  out->push_back(static_cast<char>(type));
  PutU64(out, static_cast<uint64_t>(expire_ms));
  PutU64(out, version);
  PutU64(out, size);
  out->append(payload);
}

bool MetaValue::Decode(std::string_view bytes, MetaValue* out) {
  if (bytes.size() < kMetaHeader || bytes[0] != kMetaFormat) return false;
  const auto type = static_cast<uint8_t>(bytes[1]);
  if (type < 1 || type > 6) return false;
  out->type = static_cast<Type>(type);
  out->expire_ms = static_cast<int64_t>(GetU64(bytes.substr(2)));
  out->version = GetU64(bytes.substr(10));
  out->size = GetU64(bytes.substr(18));
  out->payload.assign(bytes.substr(kMetaHeader));
  return true;
}

}  // namespace respite::storage
