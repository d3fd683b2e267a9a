// libFuzzer target: an RDB file as upstream sends it at a full resync (fallback.warm: replica).
// Whatever the bytes, walking it must end (EOF or an error), never read past the input, and every
// key it yields must carry a DUMP payload that ends with RDB version and CRC64 (10 bytes).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/rdb_file.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Most inputs start with a valid header so the fuzzer spends its time past it.
  std::string input(reinterpret_cast<const char*>(data), size);
  if (size > 0 && (data[0] & 1)) input = "REDIS0010" + input.substr(1);
  respite::storage::rdb::FileCommands walk(input);
  respite::storage::rdb::FileCommand cmd;
  size_t steps = 0;
  while (walk.Next(&cmd)) {
    FUZZ_CHECK(++steps <= input.size());  // every command consumes input
    FUZZ_CHECK(!cmd.argv.empty());
    if (cmd.argv[0] == "RESTORE") FUZZ_CHECK(cmd.argv.size() >= 5 && cmd.argv[3].size() >= 11);
  }
  FUZZ_CHECK(!walk.Next(&cmd));  // stays at its end
  return 0;
}
