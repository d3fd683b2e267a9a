#pragma once
// The store directory holds the journal and its key: only respite's user may enter it.

#include <string>

namespace respite::storage {

// Creates `path` (mode 0700, parents as needed) or, when it exists, makes it 0700; then checks
// that it really is a directory of this user that no one else can enter. Returns "" or why not
// (a file system that ignores modes, one mounted read-only, another user's directory).
std::string MakePrivateDir(const std::string& path);

}  // namespace respite::storage
