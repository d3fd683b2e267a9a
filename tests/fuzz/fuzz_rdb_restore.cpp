// RESTORE's payload decoding: the bytes after the type byte as RDB value of that type (the first
// input byte). Whatever decodes must encode again and decode to the same value; the Reader's
// SkipValue and the DUMP footer check must never read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/rdb_codec.h"
#include "storage/rdb_value.h"

using namespace respite::storage::rdb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const uint8_t type = data[0];
  const std::string_view value = in.substr(1);

  Reader skip(value);
  (void)skip.SkipValue(type);
  uint8_t split_type;
  std::string_view split_value;
  (void)SplitDumpPayload(in, &split_type, &split_value);

  RdbObject obj;
  size_t consumed = 0;
  if (!DecodeValue(type, value, &obj, &consumed)) return 0;
  uint8_t type2;
  std::string bytes;
  EncodeValue(obj, EncodeLimits(), &type2, &bytes);
  RdbObject back;
  if (!DecodeValue(type2, bytes, &back)) std::abort();
  if (back.type != obj.type || back.str != obj.str || back.hash != obj.hash) std::abort();
  // Sets come back as intsets sorted; lists and sorted sets keep the order they were given.
  if (obj.type == respite::storage::Type::kList && back.items != obj.items) std::abort();
  if (back.items.size() != obj.items.size() || back.zset.size() != obj.zset.size()) std::abort();
  return 0;
}
