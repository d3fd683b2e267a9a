// Splits a shebang line ("#!lua name=lib flags=no-writes") into words as Redis' sdssplitargs
// does: blanks separate words; "double quotes" take \n \r \t \b \a \" \\ and \xHH escapes,
// 'single quotes' take \'; a closing quote must end its word.

#include <cctype>

#include "storage/scripting/lua_internal.h"

namespace respite::storage::scripting {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool SplitArgs(std::string_view line, std::vector<std::string>* words) {
  words->clear();
  size_t p = 0;
  const auto at = [&](size_t i) { return i < line.size() ? line[i] : '\0'; };
  for (;;) {
    while (p < line.size() && std::isspace(static_cast<unsigned char>(line[p]))) ++p;
    if (p >= line.size()) return true;
    std::string word;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (p >= line.size()) return false;  // unterminated quotes
        if (line[p] == '\\' && at(p + 1) == 'x' && HexValue(at(p + 2)) >= 0 &&
            HexValue(at(p + 3)) >= 0) {
          word.push_back(static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3))));
          p += 3;
        } else if (line[p] == '\\' && p + 1 < line.size()) {
          ++p;
          switch (line[p]) {
            case 'n':
              word.push_back('\n');
              break;
            case 'r':
              word.push_back('\r');
              break;
            case 't':
              word.push_back('\t');
              break;
            case 'b':
              word.push_back('\b');
              break;
            case 'a':
              word.push_back('\a');
              break;
            default:
              word.push_back(line[p]);
          }
        } else if (line[p] == '"') {
          if (p + 1 < line.size() && !std::isspace(static_cast<unsigned char>(line[p + 1]))) {
            return false;
          }
          done = true;
        } else {
          word.push_back(line[p]);
        }
      } else if (in_single) {
        if (p >= line.size()) return false;
        if (line[p] == '\\' && at(p + 1) == '\'') {
          ++p;
          word.push_back('\'');
        } else if (line[p] == '\'') {
          if (p + 1 < line.size() && !std::isspace(static_cast<unsigned char>(line[p + 1]))) {
            return false;
          }
          done = true;
        } else {
          word.push_back(line[p]);
        }
      } else if (p >= line.size() || std::isspace(static_cast<unsigned char>(line[p]))) {
        done = true;
      } else if (line[p] == '"') {
        in_double = true;
      } else if (line[p] == '\'') {
        in_single = true;
      } else {
        word.push_back(line[p]);
      }
      if (p < line.size()) ++p;
    }
    words->push_back(std::move(word));
  }
}

}  // namespace respite::storage::scripting
