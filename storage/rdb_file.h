#pragma once
// Turns an RDB file (what upstream sends a replica at a full resync) into the commands that
// recreate its data on the local store: each key as RESTORE with the value's DUMP payload and its
// absolute expiry, each function library as FUNCTION LOAD REPLACE. The values themselves are not
// decoded here: the RDB reader finds where each one ends and RESTORE decodes it on the store.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/rdb_value.h"

namespace respite::storage::rdb {

struct FileCommand {
  int db = 0;
  std::vector<std::string> argv;
};

class FileCommands {
 public:
  // `rdb` must stay valid while this object is used.
  explicit FileCommands(std::string_view rdb);
  FileCommands(const FileCommands&) = delete;
  FileCommands& operator=(const FileCommands&) = delete;

  // The next command. False at the end of the file (error() empty) or on malformed or unsupported
  // input (error() says what: module types cannot be loaded without the module).
  bool Next(FileCommand* out);
  const std::string& error() const { return error_; }
  uint64_t keys() const { return keys_; }

 private:
  bool Fail(std::string what);

  std::string_view rdb_;
  Reader reader_;
  bool started_ = false;
  bool done_ = false;
  int db_ = 0;
  uint64_t keys_ = 0;
  std::string error_;
};

}  // namespace respite::storage::rdb
