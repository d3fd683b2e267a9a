#include "storage/local_config.h"

#include <charconv>
#include <climits>
#include <vector>

#include "resp/ascii.h"
#include "storage/glob.h"
#include "storage/scripting/script_runner.h"

namespace respite::storage {

namespace {

enum class Type { kBool, kInt, kMemory, kEnum, kKeyspaceEvents, kSave, kImmutable };

struct Param {
  std::string_view name;
  std::string_view alias;  // Redis' old name, or empty
  Type type;
  std::string_view initial;
  long double min = 0;
  long double max = 0;
  std::string_view choices = {};  // kEnum: ", "-separated, in Redis' order
};

constexpr long double kLongMax = static_cast<long double>(LLONG_MAX);

constexpr Param kParams[] = {
    {"appendonly", "", Type::kBool, "no"},
    {"lazyfree-lazy-user-flush", "", Type::kBool, "no"},
    {"busy-reply-threshold", "lua-time-limit", Type::kInt, "5000", 0, kLongMax},
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", Type::kInt, "512", 0, kLongMax},
    {"hash-max-listpack-value", "hash-max-ziplist-value", Type::kMemory, "64", 0, kLongMax},
    {"set-max-intset-entries", "", Type::kInt, "512", 0, kLongMax},
    {"zset-max-listpack-entries", "zset-max-ziplist-entries", Type::kInt, "128", 0, kLongMax},
    {"zset-max-listpack-value", "zset-max-ziplist-value", Type::kMemory, "64", 0, kLongMax},
    {"list-max-listpack-size", "list-max-ziplist-size", Type::kInt, "-2", INT_MIN, INT_MAX},
    {"list-compress-depth", "", Type::kInt, "0", 0, INT_MAX},
    {"stream-node-max-entries", "", Type::kInt, "100", 0, kLongMax},
    {"stream-node-max-bytes", "", Type::kMemory, "4096", 0, kLongMax},
    {"hll-sparse-max-bytes", "", Type::kMemory, "3000", 0, kLongMax},
    {"maxmemory", "", Type::kMemory, "0", 0, 18446744073709551615.0L},
    {"maxmemory-policy", "", Type::kEnum, "noeviction", 0, 0,
     "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
     "allkeys-random, noeviction"},
    {"notify-keyspace-events", "", Type::kKeyspaceEvents, ""},
    // Accepted for clients that set it; the store always validates a RESTORE payload whole, as
    // Redis does with "yes" (it decodes every value into its own model).
    {"sanitize-dump-payload", "", Type::kEnum, "no", 0, 0, "no, yes, clients"},
    {"save", "", Type::kSave, ""},
    {"timeout", "", Type::kInt, "0", 0, INT_MAX},
    {"maxclients", "", Type::kInt, "10000", 1, UINT_MAX},
    {"proto-max-bulk-len", "", Type::kMemory, "536870912", 1024 * 1024, kLongMax},
    {"databases", "", Type::kImmutable, "16"},
};

const Param* Find(std::string_view name) {
  for (const Param& p : kParams) {
    if (resp::EqualsIgnoreCase(p.name, name) ||
        (!p.alias.empty() && resp::EqualsIgnoreCase(p.alias, name)))
      return &p;
  }
  return nullptr;
}

// Redis' memtoull: a number with an optional unit (k, kb, m, mb, g, gb; case-insensitive).
bool ParseMemory(std::string_view s, long double* out) {
  size_t digits = 0;
  while (digits < s.size() &&
         ((s[digits] >= '0' && s[digits] <= '9') || (digits == 0 && s[0] == '-'))) {
    ++digits;
  }
  std::string unit(s.substr(digits));
  for (char& c : unit) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  long double mul = 1;
  if (unit == "k")
    mul = 1000;
  else if (unit == "kb")
    mul = 1024;
  else if (unit == "m")
    mul = 1000 * 1000;
  else if (unit == "mb")
    mul = 1024 * 1024;
  else if (unit == "g")
    mul = 1000.0L * 1000 * 1000;
  else if (unit == "gb")
    mul = 1024.0L * 1024 * 1024;
  else if (!unit.empty())
    return false;
  if (digits == 0) return false;
  unsigned long long v = 0;
  const char* begin = s.data() + (s[0] == '-' ? 1 : 0);
  auto [p, ec] = std::from_chars(begin, s.data() + digits, v);
  if (ec != std::errc() || p != s.data() + digits || begin == p) return false;
  *out = static_cast<long double>(v) * mul * (s[0] == '-' ? -1 : 1);
  return true;
}

std::string FormatBound(long double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.0Lf", v);
  return buf;
}

constexpr std::string_view kEventClasses = "Ag$lshzxeKEtmdn";

// Checks `value` for `p`; on success *normalized is what CONFIG GET will answer.
bool Validate(const Param& p, std::string_view value, std::string* normalized, std::string* error) {
  switch (p.type) {
    case Type::kBool:
      if (resp::EqualsIgnoreCase(value, "yes") || resp::EqualsIgnoreCase(value, "no")) {
        *normalized = resp::EqualsIgnoreCase(value, "yes") ? "yes" : "no";
        return true;
      }
      *error = "argument must be 'yes' or 'no'";
      return false;
    case Type::kInt:
    case Type::kMemory: {
      long double v = 0;
      if (p.type == Type::kInt) {
        long long n = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc() || ptr != value.data() + value.size() || value.empty()) {
          *error = "argument couldn't be parsed into an integer";
          return false;
        }
        v = static_cast<long double>(n);
      } else if (!ParseMemory(value, &v)) {
        *error = "argument must be a memory value";
        return false;
      }
      if (v < p.min || v > p.max) {
        *error = "argument must be between " + FormatBound(p.min) + " and " + FormatBound(p.max) +
                 " inclusive";
        return false;
      }
      *normalized = FormatBound(v);
      return true;
    }
    case Type::kEnum: {
      std::string_view rest = p.choices;
      while (!rest.empty()) {
        const size_t comma = rest.find(", ");
        const std::string_view choice = rest.substr(0, comma);
        if (resp::EqualsIgnoreCase(choice, value)) {
          *normalized = std::string(choice);
          return true;
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
      }
      *error = "argument(s) must be one of the following: " + std::string(p.choices);
      return false;
    }
    case Type::kKeyspaceEvents: {
      bool seen[128] = {};
      for (char c : value) {
        if (kEventClasses.find(c) == std::string_view::npos) {
          *error = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
          return false;
        }
        seen[static_cast<unsigned char>(c)] = true;
      }
      // Redis answers its canonical form: A stands for g$lshzxetd.
      std::string out;
      constexpr std::string_view kAll = "g$lshzxetd";
      bool all = seen[static_cast<unsigned char>('A')];
      if (!all) {
        all = true;
        for (char c : kAll) all &= seen[static_cast<unsigned char>(c)];
      }
      if (all) {
        out = "A";
        if (seen[static_cast<unsigned char>('n')]) out += 'n';
      } else {
        for (char c : std::string_view("g$lshzxetdn")) {
          if (seen[static_cast<unsigned char>(c)]) out += c;
        }
      }
      for (char c : std::string_view("KEm")) {
        if (seen[static_cast<unsigned char>(c)]) out += c;
      }
      *normalized = out;
      return true;
    }
    case Type::kSave: {
      // Pairs of "<seconds> <changes>", or "" for none.
      std::vector<std::string_view> words;
      std::string_view rest = value;
      while (!rest.empty()) {
        const size_t space = rest.find(' ');
        if (space != 0) words.push_back(rest.substr(0, space));
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      }
      if (words.size() % 2 != 0) {
        *error = "Invalid save parameters";
        return false;
      }
      std::string out;
      for (std::string_view w : words) {
        long long n = 0;
        auto [ptr, ec] = std::from_chars(w.data(), w.data() + w.size(), n);
        if (ec != std::errc() || ptr != w.data() + w.size() || n < 0) {
          *error = "Invalid save parameters";
          return false;
        }
        if (!out.empty()) out += ' ';
        out += std::to_string(n);
      }
      *normalized = out;
      return true;
    }
    case Type::kImmutable:
      *error = "can't set immutable config";
      return false;
  }
  return false;
}

}  // namespace

LocalConfig::LocalConfig() {
  for (const Param& p : kParams) values_.emplace(std::string(p.name), std::string(p.initial));
}

int64_t LocalConfig::busy_reply_threshold_ms() const {
  return std::stoll(values_.at("busy-reply-threshold"));
}

std::string_view LocalConfig::Value(std::string_view name) const {
  auto it = values_.find(std::string(name));
  return it == values_.end() ? std::string_view() : std::string_view(it->second);
}

int64_t LocalConfig::IntValue(std::string_view name) const {
  const std::string_view v = Value(name);
  int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

void LocalConfig::Get(CommandContext& ctx) const {
  std::vector<std::pair<std::string_view, const std::string*>> matched;
  for (const Param& p : kParams) {
    for (std::string_view name : {p.name, p.alias}) {
      if (name.empty()) continue;
      for (size_t i = 2; i < ctx.argv.size(); ++i) {
        if (GlobMatch(ctx.argv[i], name, /*nocase=*/true)) {
          matched.emplace_back(name, &values_.at(std::string(p.name)));
          break;
        }
      }
    }
  }
  ctx.out.MapHeader(matched.size());
  for (const auto& [name, value] : matched) {
    ctx.out.Bulk(name);
    ctx.out.Bulk(*value);
  }
}

void LocalConfig::Set(CommandContext& ctx) {
  if (ctx.argv.size() % 2 != 0) {
    ctx.SyntaxError();
    return;
  }
  std::vector<std::pair<const Param*, std::string_view>> pairs;
  for (size_t i = 2; i + 1 < ctx.argv.size(); i += 2) {
    const Param* p = Find(ctx.argv[i]);
    if (p == nullptr) {
      ctx.out.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                    std::string(ctx.argv[i]) + "'");
      return;
    }
    for (const auto& [other, value] : pairs) {
      if (other == p) {
        ctx.out.Error("ERR CONFIG SET failed (possibly related to argument '" +
                      std::string(ctx.argv[i]) + "') - duplicate parameter");
        return;
      }
    }
    pairs.emplace_back(p, ctx.argv[i + 1]);
  }
  std::vector<std::pair<std::string, std::string>> updates;
  for (size_t i = 0; i < pairs.size(); ++i) {
    std::string normalized, error;
    if (!Validate(*pairs[i].first, pairs[i].second, &normalized, &error)) {
      ctx.out.Error("ERR CONFIG SET failed (possibly related to argument '" +
                    std::string(ctx.argv[2 + 2 * i]) + "') - " + error);
      return;
    }
    updates.emplace_back(std::string(pairs[i].first->name), std::move(normalized));
  }
  for (auto& [name, value] : updates) values_[name] = std::move(value);
  if (ctx.scripts != nullptr) {
    ctx.scripts->control().busy_threshold_ms.store(busy_reply_threshold_ms());
  }
  ctx.out.Ok();
}

}  // namespace respite::storage
