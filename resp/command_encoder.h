#pragma once
// Encodes a command as a RESP multibulk request (what a client sends). Header-only; no I/O.

#include <initializer_list>
#include <string>
#include <string_view>

namespace respite::resp {

template <typename Range>
void AppendCommandRange(std::string* out, const Range& argv) {
  size_t n = 0;
  for (const auto& a : argv) {
    (void)a;
    ++n;
  }
  out->push_back('*');
  out->append(std::to_string(n));
  out->append("\r\n");
  for (std::string_view a : argv) {
    out->push_back('$');
    out->append(std::to_string(a.size()));
    out->append("\r\n");
    out->append(a);
    out->append("\r\n");
  }
}

inline void AppendCommand(std::string* out, std::initializer_list<std::string_view> argv) {
  AppendCommandRange(out, argv);
}

}  // namespace respite::resp
