#include "resp/key_specs.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>

#include "resp/ascii.h"

namespace respite::resp {

namespace {

std::span<const KeySpecRow> SpecsOf(std::string_view command) {
  const KeySpecRow* begin = kKeySpecRows;
  const KeySpecRow* end = kKeySpecRows + kKeySpecRowCount;
  const auto by_name = [](const KeySpecRow& row, std::string_view name) {
    return row.command < name;
  };
  const KeySpecRow* first = std::lower_bound(begin, end, command, by_name);
  const KeySpecRow* last = first;
  while (last != end && last->command == command) ++last;
  return {first, last};
}

bool NoMandatoryKeys(std::string_view command) {
  return std::find(kNoMandatoryKeysCommands,
                   kNoMandatoryKeysCommands + kNoMandatoryKeysCommandCount,
                   command) != kNoMandatoryKeysCommands + kNoMandatoryKeysCommandCount;
}

bool ParseNonNegative(std::string_view s, long long* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && *out >= 0;
}

// Redis' walk over the key specs; false when one is unknown or does not fit the arguments.
bool KeysFromSpecs(std::span<const KeySpecRow> rows, std::span<const std::string_view> argv,
                   bool include_not_keys, std::vector<KeyRef>* keys) {
  const int argc = static_cast<int>(argv.size());
  keys->clear();
  for (const KeySpecRow& row : rows) {
    const KeySpec& spec = row.spec;
    if ((spec.flags & kKeyNotKey) && !include_not_keys) continue;
    int first = 0;
    if (spec.begin.type == KeySpec::kIndex) {
      first = spec.begin.pos;
    } else if (spec.begin.type == KeySpec::kKeyword) {
      const int start = spec.begin.pos > 0 ? spec.begin.pos : argc + spec.begin.pos;
      const int end = spec.begin.pos > 0 ? argc - 1 : 1;
      for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (EqualsIgnoreCase(argv[i], spec.begin.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;  // keyword absent: this spec names no keys
    } else {
      return false;
    }
    int last = 0;
    int step = 1;
    if (spec.find.type == KeySpec::kRange) {
      step = spec.find.b;
      if (spec.find.a >= 0) {
        last = first + spec.find.a;
      } else if (spec.find.c == 0) {
        last = argc + spec.find.a;
      } else {
        last = first + ((argc - first) / spec.find.c + spec.find.a);
      }
    } else if (spec.find.type == KeySpec::kKeyNum) {
      step = spec.find.c;
      const int at = first + spec.find.a;
      long long n = 0;
      if (at >= argc || !ParseNonNegative(argv[at], &n) || n > argc) return false;
      first += spec.find.b;
      last = first + static_cast<int>(n) - 1;
    } else {
      return false;
    }
    if (last >= argc || last < first || first >= argc || step < 1) return false;
    for (int i = first; i <= last; i += step)
      keys->push_back(KeyRef{static_cast<size_t>(i), spec.flags});
    if (spec.flags & kKeyIncomplete) return false;
  }
  return true;
}

// SORT: the sorted key, and the destination of the last STORE (BY, GET and LIMIT skipped).
void SortKeys(std::span<const std::string_view> argv, std::vector<KeyRef>* keys) {
  keys->assign(1, KeyRef{1, kKeyRO | kKeyAccess});
  std::optional<size_t> store;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "get") || EqualsIgnoreCase(argv[i], "by")) {
      i += 1;
    } else if (EqualsIgnoreCase(argv[i], "store") && i + 1 < argv.size()) {
      store = i + 1;  // not skipped: Redis reads the next argument as an option too
    }
  }
  if (store) keys->push_back(KeyRef{*store, kKeyOW | kKeyUpdate});
}

// MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 user pw] [KEYS k ...].
void MigrateKeys(std::span<const std::string_view> argv, std::vector<KeyRef>* keys) {
  size_t first = 3;
  size_t num = 1;
  for (size_t i = 6; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "keys")) {
      if (!argv[3].empty()) {
        num = 0;  // a syntax error MIGRATE itself reports
      } else {
        first = i + 1;
        num = argv.size() - first;
      }
      break;
    }
    if (EqualsIgnoreCase(argv[i], "auth")) {
      i += 1;
    } else if (EqualsIgnoreCase(argv[i], "auth2")) {
      i += 2;
    }
  }
  keys->clear();
  for (size_t i = 0; i < num; ++i) {
    keys->push_back(KeyRef{first + i, kKeyRW | kKeyAccess | kKeyDelete});
  }
}

// SET: read too when it has GET.
uint16_t SetFlags(std::span<const std::string_view> argv) {
  for (size_t i = 3; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "get")) return kKeyRW | kKeyAccess | kKeyUpdate;
  }
  return kKeyOW | kKeyUpdate;
}

// BITFIELD: read-only when it has only GETs (and OVERFLOWs).
uint16_t BitfieldFlags(std::span<const std::string_view> argv) {
  bool readonly = true;
  for (size_t i = 2; i < argv.size(); ++i) {
    const size_t rest = argv.size() - i - 1;
    if (EqualsIgnoreCase(argv[i], "get") && rest >= 2) {
      i += 2;
    } else if ((EqualsIgnoreCase(argv[i], "set") || EqualsIgnoreCase(argv[i], "incrby")) &&
               rest >= 3) {
      readonly = false;
      break;
    } else if (EqualsIgnoreCase(argv[i], "overflow") && rest >= 1) {
      i += 1;
    } else {
      readonly = false;  // a syntax error: assume it writes
      break;
    }
  }
  return readonly ? kKeyRO | kKeyAccess : kKeyRW | kKeyAccess | kKeyUpdate;
}

}  // namespace

GetKeysOutcome GetKeys(const CommandSpec& spec, std::span<const std::string_view> argv,
                       std::vector<KeyRef>* keys, bool include_not_keys) {
  keys->clear();
  const std::span<const KeySpecRow> rows = SpecsOf(spec.name);
  const bool has_keys = std::any_of(rows.begin(), rows.end(), [&](const KeySpecRow& r) {
    return (r.spec.flags & kKeyNotKey) == 0 || include_not_keys;
  });
  if (!has_keys) return GetKeysOutcome::kNoKeys;
  if (!spec.ArityOk(argv.size())) return GetKeysOutcome::kBadArity;
  const std::string_view name = spec.name;
  bool found = false;
  if (name == "set" || name == "bitfield") {
    // Key specs whose flags depend on the arguments: the key is argv[1], its flags computed.
    keys->assign(1, KeyRef{1, name == "set" ? SetFlags(argv) : BitfieldFlags(argv)});
    found = true;
  } else if (KeysFromSpecs(rows, argv, include_not_keys, keys)) {
    found = true;
  } else if (name == "sort") {
    SortKeys(argv, keys);
    found = true;
  } else if (name == "sort_ro") {
    keys->assign(1, KeyRef{1, kKeyRO | kKeyAccess});  // BY and GET patterns name no keys here
    found = true;
  } else if (name == "migrate") {
    MigrateKeys(argv, keys);
    found = !keys->empty();
  } else {
    keys->clear();
  }
  if (!found || keys->empty()) {
    keys->clear();
    return NoMandatoryKeys(name) ? GetKeysOutcome::kKeys : GetKeysOutcome::kInvalidArgs;
  }
  return GetKeysOutcome::kKeys;
}

std::vector<std::string_view> KeyFlagNames(uint16_t flags) {
  static constexpr std::string_view kNames[] = {
      "RO",     "RW",     "OW",      "RM",         "access",        "update",
      "insert", "delete", "not_key", "incomplete", "variable_flags"};
  std::vector<std::string_view> out;
  for (size_t bit = 0; bit < std::size(kNames); ++bit) {
    if (flags & (1u << bit)) out.push_back(kNames[bit]);
  }
  return out;
}

}  // namespace respite::resp
