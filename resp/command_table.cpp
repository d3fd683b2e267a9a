#include "resp/command_table.h"

#include <climits>
#include <utility>

namespace respite::resp {

namespace {

// Names up to this length are lower-cased on the stack; longer ones (no built-in name is) take a
// heap copy and can only match a learned entry.
constexpr size_t kStackNameLen = 64;

// Nesting guard for the reply walker: a COMMAND reply nests about six levels (entry, key specs,
// spec map, begin_search, ...) plus one entry level per subcommand level.
constexpr int kMaxDepth = 32;

constexpr char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

void LowerInto(std::string_view in, char* out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = ToLower(in[i]);
}

std::string Lower(std::string_view in) {
  std::string out(in.size(), '\0');
  LowerInto(in, out.data());
  return out;
}

struct FlagName {
  std::string_view name;
  uint32_t flag;
};

// Redis' COMMAND flag names that respite keeps; the others are ignored. Redis 7.0 never reports
// may_replicate (its COMMAND hides that flag), so kCmdMayReplicate only comes from here if a later
// Redis starts to.
constexpr FlagName kFlagNames[] = {
    {"write", kCmdWrite},
    {"readonly", kCmdReadOnly},
    {"denyoom", kCmdDenyOom},
    {"admin", kCmdAdmin},
    {"pubsub", kCmdPubSub},
    {"noscript", kCmdNoScript},
    {"blocking", kCmdBlocking},
    {"loading", kCmdLoading},
    {"stale", kCmdStale},
    {"skip_monitor", kCmdSkipMonitor},
    {"fast", kCmdFast},
    {"no_auth", kCmdNoAuth},
    {"may_replicate", kCmdMayReplicate},
    {"movablekeys", kCmdMovableKeys},
    {"no_multi", kCmdNoMulti},
    {"allow_busy", kCmdAllowBusy},
};

uint32_t FlagFromName(std::string_view name) {
  for (const FlagName& f : kFlagNames) {
    if (f.name == name) return f.flag;
  }
  return 0;
}

// Parses a decimal integer that fills all of `s` (optional leading '-').
bool ParseInt64(std::string_view s, int64_t* out) {
  bool neg = false;
  size_t i = 0;
  if (!s.empty() && s[0] == '-') {
    neg = true;
    i = 1;
  }
  if (i == s.size()) return false;
  uint64_t v = 0;
  const uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

// Walks RESP values in a complete buffer. Every method returns false on malformed or truncated
// input and then leaves the position unspecified; callers give up on the first false.
class RespWalker {
 public:
  explicit RespWalker(std::string_view in) : in_(in) {}

  bool AtEnd() const { return pos_ == in_.size(); }

  // Reads a type byte and the rest of its line ("*3", "$5", "+OK", ...).
  bool Header(char* type, std::string_view* line) {
    if (pos_ >= in_.size()) return false;
    const size_t end = in_.find("\r\n", pos_ + 1);
    if (end == std::string_view::npos) return false;
    *type = in_[pos_];
    *line = in_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 2;
    return true;
  }

  // Reads a length or count line; -1 (null) is returned as is, other negatives fail. A count can
  // never exceed the bytes left, which also bounds any loop over it.
  bool Length(std::string_view line, int64_t* n) const {
    if (!ParseInt64(line, n) || *n < -1) return false;
    return *n <= static_cast<int64_t>(in_.size() - pos_);
  }

  // Skips `len` payload bytes and the CRLF after them.
  bool Payload(int64_t len, std::string_view* out) {
    const size_t n = static_cast<size_t>(len);
    if (in_.size() - pos_ < n + 2 || in_.compare(pos_ + n, 2, "\r\n") != 0) return false;
    *out = in_.substr(pos_, n);
    pos_ += n + 2;
    return true;
  }

  // A simple or bulk string (not null).
  bool String(std::string_view* out) {
    char type;
    std::string_view line;
    if (!Header(&type, &line)) return false;
    if (type == '+') {
      *out = line;
      return true;
    }
    int64_t len;
    return type == '$' && Length(line, &len) && len >= 0 && Payload(len, out);
  }

  // An integer that fits an int.
  bool Int(int* out) {
    char type;
    std::string_view line;
    int64_t v;
    if (!Header(&type, &line) || type != ':' || !ParseInt64(line, &v)) return false;
    if (v < INT_MIN || v > INT_MAX) return false;
    *out = static_cast<int>(v);
    return true;
  }

  // An array header ('*', or a RESP3 set '~'); *n is -1 for a null array.
  bool Array(int64_t* n) {
    char type;
    std::string_view line;
    return Header(&type, &line) && (type == '*' || type == '~') && Length(line, n);
  }

  // Whether the next value is an array header (without consuming it).
  bool NextIsArray() const { return pos_ < in_.size() && (in_[pos_] == '*' || in_[pos_] == '~'); }

  // Whether the next value is a RESP2/RESP3 null ("$-1", "*-1", "_"); consumes it if so.
  bool SkipNull() {
    if (in_.compare(pos_, 5, "$-1\r\n") == 0 || in_.compare(pos_, 5, "*-1\r\n") == 0) {
      pos_ += 5;
      return true;
    }
    if (in_.compare(pos_, 3, "_\r\n") == 0) {
      pos_ += 3;
      return true;
    }
    return false;
  }

  // Skips one complete value of any RESP2/RESP3 type.
  bool Skip(int depth) {
    if (depth > kMaxDepth) return false;
    char type;
    std::string_view line;
    if (!Header(&type, &line)) return false;
    int64_t n;
    switch (type) {
      case '+':
      case '-':
      case ':':
      case '_':
      case '#':
      case ',':
      case '(':
        return true;
      case '$':
      case '!':
      case '=': {
        std::string_view payload;
        if (!Length(line, &n)) return false;
        return n == -1 ? type == '$' : Payload(n, &payload);
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|':
        if (!Length(line, &n)) return false;
        if (n == -1) return type == '*';
        if (type == '%' || type == '|') n *= 2;  // n <= input size, so this cannot overflow
        for (int64_t i = 0; i < n; ++i) {
          if (!Skip(depth + 1)) return false;
        }
        return true;
      default:
        return false;
    }
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// Index of the subcommands element in a Redis 7 COMMAND entry.
constexpr int64_t kSubcommandsIndex = 9;

// Parses one command entry (and, recursively, its subcommands) into specs/names. `parent` is the
// container's lower-case name for subcommand entries, empty at the top level.
bool ParseEntry(RespWalker& w, std::string_view parent, int depth, std::vector<CommandSpec>* specs,
                std::vector<std::unique_ptr<std::string>>* names) {
  if (depth > kMaxDepth) return false;
  int64_t fields;
  if (!w.Array(&fields) || fields < 6) return false;

  std::string_view raw_name;
  if (!w.String(&raw_name) || raw_name.empty()) return false;
  auto name = std::make_unique<std::string>();
  // Redis 7 names subcommands "parent|sub" already; older replies may give just "sub".
  if (!parent.empty() && raw_name.find('|') == std::string_view::npos) {
    name->reserve(parent.size() + 1 + raw_name.size());
    name->append(parent).push_back('|');
  }
  name->append(Lower(raw_name));

  CommandSpec spec;
  spec.name = *name;
  names->push_back(std::move(name));
  int64_t flag_count;
  if (!w.Int(&spec.arity) || !w.Array(&flag_count) || flag_count < 0) return false;
  for (int64_t i = 0; i < flag_count; ++i) {
    std::string_view flag;
    if (!w.String(&flag)) return false;
    spec.flags |= FlagFromName(flag);
  }
  if (!w.Int(&spec.first_key) || !w.Int(&spec.last_key) || !w.Int(&spec.key_step)) return false;

  const size_t self = specs->size();
  specs->push_back(spec);
  for (int64_t i = 6; i < fields; ++i) {
    if (i != kSubcommandsIndex || !w.NextIsArray()) {
      if (!w.Skip(depth + 1)) return false;
      continue;
    }
    int64_t subs;
    if (!w.Array(&subs)) return false;
    for (int64_t j = 0; j < subs; ++j) {
      if (!ParseEntry(w, (*specs)[self].name, depth + 1, specs, names)) return false;
    }
    if (subs > 0) (*specs)[self].flags |= kCmdContainer;
  }
  return true;
}

}  // namespace

CommandTable& CommandTable::Instance() {
  static CommandTable table;
  return table;
}

CommandTable::CommandTable() : builtin_(kBuiltinCommands, kBuiltinCommands + kBuiltinCommandCount) {
  // builtin_ never changes size after this, so pointers into it stay valid for the process.
  index_.reserve(builtin_.size());
  for (const CommandSpec& spec : builtin_) index_.emplace(spec.name, &spec);
}

const CommandSpec* CommandTable::FindLower(std::string_view lower) const {
  if (auto it = index_.find(lower); it != index_.end()) return it->second;
  std::lock_guard<std::mutex> lock(learned_mu_);
  auto it = learned_.find(lower);
  return it == learned_.end() ? nullptr : it->second.get();
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (name.size() > kStackNameLen) return FindLower(Lower(name));
  char buf[kStackNameLen];
  LowerInto(name, buf);
  return FindLower(std::string_view(buf, name.size()));
}

const CommandSpec* CommandTable::Find(std::string_view name, std::string_view sub) const {
  const size_t len = name.size() + 1 + sub.size();
  if (len > kStackNameLen) {
    std::string full;
    full.reserve(len);
    full.append(name).push_back('|');
    full.append(sub);
    return FindLower(Lower(full));
  }
  char buf[kStackNameLen];
  LowerInto(name, buf);
  buf[name.size()] = '|';
  LowerInto(sub, buf + name.size() + 1);
  return FindLower(std::string_view(buf, len));
}

bool CommandTable::Learn(const CommandSpec& spec) {
  if (spec.name.empty()) return false;
  std::string lower = Lower(spec.name);
  if (index_.count(lower) != 0) return false;
  std::lock_guard<std::mutex> lock(learned_mu_);
  if (learned_.count(lower) != 0) return false;
  learned_names_.push_back(std::make_unique<std::string>(lower));
  auto copy = std::make_unique<CommandSpec>(spec);
  copy->name = *learned_names_.back();
  copy->flags |= kCmdLearned;
  learned_.emplace(std::move(lower), std::move(copy));
  return true;
}

bool ParseCommandReply(std::string_view reply, std::vector<CommandSpec>* specs,
                       std::vector<std::unique_ptr<std::string>>* names) {
  if (specs == nullptr || names == nullptr) return false;
  // Parse into locals so that a failure leaves the outputs untouched.
  std::vector<CommandSpec> parsed;
  std::vector<std::unique_ptr<std::string>> owned;
  RespWalker w(reply);
  int64_t count;
  if (!w.Array(&count) || count < 0) return false;
  for (int64_t i = 0; i < count; ++i) {
    // COMMAND INFO answers a null for each name it does not know.
    if (w.SkipNull()) continue;
    if (!ParseEntry(w, {}, 0, &parsed, &owned)) return false;
  }
  if (!w.AtEnd()) return false;
  specs->insert(specs->end(), parsed.begin(), parsed.end());
  for (auto& n : owned) names->push_back(std::move(n));
  return true;
}

}  // namespace respite::resp
