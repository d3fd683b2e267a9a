#include "storage/private_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace respite::storage {

std::string MakePrivateDir(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return "cannot create " + path + ": " + std::strerror(errno);
  }
  if (::chmod(path.c_str(), 0700) != 0) {
    return "cannot make " + path + " private (mode 0700): " + std::strerror(errno);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "cannot stat " + path + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return path + " is not a directory";
  if (st.st_uid != ::geteuid()) {
    return path + " belongs to uid " + std::to_string(st.st_uid) + ", not to respite's uid " +
           std::to_string(::geteuid());
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return path + " stays mode " + mode + " after chmod 0700 (a file system without modes?)";
  }
  return {};
}

}  // namespace respite::storage
