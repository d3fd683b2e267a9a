#pragma once
// Runs one of respite's command-line tools in-process, capturing what it prints.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/cli.h"

namespace respite::cli {

struct Ran {
  int code = 0;
  std::string out;
  std::string err;
};

inline Ran Tool(const std::vector<std::string>& args,
                const std::vector<std::string>& environ = {}) {
  char* out_buf = nullptr;
  char* err_buf = nullptr;
  size_t out_len = 0;
  size_t err_len = 0;
  std::FILE* out = open_memstream(&out_buf, &out_len);
  std::FILE* err = open_memstream(&err_buf, &err_len);
  Ran r;
  r.code = RunTool(args, environ, out, err);
  std::fclose(out);
  std::fclose(err);
  r.out.assign(out_buf, out_len);
  r.err.assign(err_buf, err_len);
  std::free(out_buf);
  std::free(err_buf);
  return r;
}

}  // namespace respite::cli
