// `respite journal stat|dump|verify|compact|deadletters|reset`: the journal of a stopped respite.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>

#include "cli/format.h"
#include "cli/tool.h"

namespace respite::cli {

namespace {

using storage::JournalEntry;
using storage::Status;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "12.3 s" for a duration in ms.
std::string Seconds(int64_t ms) {
  if (ms < 0) ms = 0;
  return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + " s";
}

// Bytes of the files under `dir` (what the store takes on disk).
uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

std::string JsonArgv(const std::vector<std::string>& argv) {
  std::string out = "[";
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += JsonString(argv[i]);
  }
  out.push_back(']');
  return out;
}

// An entry's fields after its seq, as JSON members ("db":0,...,"argv":[...]).
std::string EntryJson(const JournalEntry& e) {
  return "\"db\":" + std::to_string(e.db) + ",\"wall_ms\":" + std::to_string(e.wall_ms) +
         ",\"time\":" + JsonString(FormatTime(e.wall_ms)) +
         ",\"group\":" + std::to_string(e.group) +
         ",\"group_end\":" + (e.group_end ? "true" : "false") + ",\"argv\":" + JsonArgv(e.argv);
}

// An entry's fields after its seq, as text: `2024-05-01T12:00:00.123Z db=0 group=11,end "SET"
// "k" "v"`. Only the arguments are quoted, so the metadata can never be mistaken for one.
std::string EntryText(const JournalEntry& e) {
  std::string out = FormatTime(e.wall_ms) + " db=" + std::to_string(e.db);
  if (e.group != 0) out += " group=" + std::to_string(e.group) + (e.group_end ? ",end" : "");
  for (const std::string& a : e.argv) out += " " + RedisQuote(a);
  return out;
}

int Stat(const ToolArgs& args, OpenedStore& store) {
  storage::Journal& journal = *store.journal;
  uint64_t last_seq = 0;
  int64_t oldest_ms = 0;
  bool first = true;
  Status s = journal.ForEach([&](uint64_t seq, std::string_view value) {
    if (first) {
      first = false;
      JournalEntry e;
      if (journal.Decode(seq, value, &e)) oldest_ms = e.wall_ms;
    }
    last_seq = seq;
    return true;
  });
  if (!s.ok()) return Fail(args, "reading the journal: " + s.ToString());
  const int64_t age_ms = oldest_ms != 0 ? NowMs() - oldest_ms : 0;
  const uint64_t store_bytes = DirBytes(store.store_dir);
  if (args.json) {
    Print(args.out, "{\"data_dir\":" + JsonString(args.data_dir) +
                        ",\"journal_id\":" + JsonString(journal.id()) +
                        ",\"pending_entries\":" + std::to_string(journal.pending_entries()) +
                        ",\"pending_bytes\":" + std::to_string(journal.pending_bytes()) +
                        ",\"first_seq\":" + std::to_string(journal.first_seq()) +
                        ",\"last_seq\":" + std::to_string(last_seq) + ",\"oldest_wall_ms\":" +
                        std::to_string(oldest_ms) + ",\"oldest_age_ms\":" + std::to_string(age_ms) +
                        ",\"applied_through\":" + std::to_string(journal.applied_through()) +
                        ",\"dead_letters\":" + std::to_string(journal.dead_letters()) +
                        ",\"store_bytes\":" + std::to_string(store_bytes) + "}\n");
    return kExitOk;
  }
  std::string oldest = "-";
  if (oldest_ms != 0) {
    oldest = FormatTime(oldest_ms) + " (" + Seconds(age_ms) + " ago)";
  } else if (journal.pending_entries() > 0) {
    oldest = "unreadable (run respite journal verify)";
  }
  Print(args.out, "data dir: " + args.data_dir + "\njournal id: " + journal.id() +
                      "\npending entries: " + std::to_string(journal.pending_entries()) +
                      "\npending bytes: " + std::to_string(journal.pending_bytes()) +
                      "\nfirst seq: " + std::to_string(journal.first_seq()) +
                      "\nlast seq: " + std::to_string(last_seq) + "\noldest entry: " + oldest +
                      "\napplied through: " + std::to_string(journal.applied_through()) +
                      "\ndead letters: " + std::to_string(journal.dead_letters()) +
                      "\nstore bytes on disk: " + std::to_string(store_bytes) + "\n");
  return kExitOk;
}

int Dump(const ToolArgs& args, OpenedStore& store) {
  storage::Journal& journal = *store.journal;
  uint64_t corrupt = 0;
  Status s = journal.ForEach([&](uint64_t seq, std::string_view value) {
    JournalEntry e;
    if (!journal.Decode(seq, value, &e)) {
      ++corrupt;
      const std::string size = std::to_string(value.size());
      Print(args.out, args.json ? "{\"seq\":" + std::to_string(seq) +
                                      ",\"corrupt\":true,\"bytes\":" + size + "}\n"
                                : std::to_string(seq) + " CORRUPT: failed its integrity check (" +
                                      size + " bytes)\n");
      return true;
    }
    Print(args.out, args.json ? "{\"seq\":" + std::to_string(seq) + "," + EntryJson(e) + "}\n"
                              : std::to_string(seq) + " " + EntryText(e) + "\n");
    return true;
  });
  if (!s.ok()) return Fail(args, "reading the journal: " + s.ToString());
  if (corrupt > 0) {
    return Fail(args, std::to_string(corrupt) +
                          " entries failed their integrity check; respite never replays them (it "
                          "moves them to the dead letters when it reaches them)");
  }
  return kExitOk;
}

int Verify(const ToolArgs& args, OpenedStore& store) {
  storage::Journal& journal = *store.journal;
  uint64_t good = 0;
  uint64_t bad = 0;
  Status s = journal.ForEach([&](uint64_t seq, std::string_view value) {
    JournalEntry e;
    if (journal.Decode(seq, value, &e)) {
      ++good;
    } else {
      ++bad;
      Print(args.out,
            "seq " + std::to_string(seq) + ": failed its integrity check (HMAC or format)\n");
    }
    return true;
  });
  if (!s.ok()) return Fail(args, "reading the journal: " + s.ToString());
  Print(args.out, "checked " + std::to_string(good + bad) + " entries: " + std::to_string(good) +
                      " ok, " + std::to_string(bad) + " corrupt; " +
                      std::to_string(journal.dead_letters()) + " dead letters\n");
  if (bad > 0)
    return Fail(args, "journal verify failed: " + std::to_string(bad) + " corrupt entries");
  return kExitOk;
}

int Compact(const ToolArgs& args, OpenedStore& store) {
  const uint64_t before = DirBytes(store.store_dir);
  const uint64_t data_before = store.engine->ApproximateSize();
  if (Status s = store.engine->CompactAll(); !s.ok()) {
    return Fail(args, "compaction failed: " + s.ToString());
  }
  const uint64_t after = DirBytes(store.store_dir);
  const uint64_t data_after = store.engine->ApproximateSize();
  Print(args.out, "before: " + std::to_string(before) + " bytes on disk (" +
                      std::to_string(data_before) +
                      " bytes of data)\nafter: " + std::to_string(after) + " bytes on disk (" +
                      std::to_string(data_after) + " bytes of data)\n");
  return kExitOk;
}

int DeadLetters(const ToolArgs& args, OpenedStore& store) {
  std::vector<storage::DeadLetter> letters;
  if (Status s = store.journal->ReadDeadLetters(std::numeric_limits<size_t>::max(), &letters);
      !s.ok()) {
    return Fail(args, "reading the dead letters: " + s.ToString());
  }
  for (const storage::DeadLetter& d : letters) {
    // An entry that failed its integrity check keeps only its place (no argv).
    const bool readable = !d.entry.argv.empty();
    if (args.json) {
      std::string line = "{\"seq\":" + std::to_string(d.entry.seq) +
                         ",\"failed_ms\":" + std::to_string(d.failed_ms) +
                         ",\"error\":" + JsonString(d.error) +
                         ",\"readable\":" + (readable ? "true" : "false");
      if (readable) line += "," + EntryJson(d.entry);
      Print(args.out, line + "}\n");
    } else {
      std::string line = std::to_string(d.entry.seq) +
                         " failed=" + (d.failed_ms != 0 ? FormatTime(d.failed_ms) : "-") +
                         " error=" + RedisQuote(d.error);
      if (readable) {
        line += " entry: " + EntryText(d.entry);
      } else {
        line += " (entry unreadable)";
      }
      Print(args.out, line + "\n");
    }
  }
  if (!args.json && letters.empty()) Print(args.out, "no dead letters\n");
  return kExitOk;
}

int Reset(const ToolArgs& args, OpenedStore& store) {
  storage::Journal& journal = *store.journal;
  const std::string what = std::to_string(journal.pending_entries()) + " pending entries (" +
                           std::to_string(journal.pending_bytes()) + " bytes) and " +
                           std::to_string(journal.dead_letters()) + " dead letters";
  if (!args.yes) {
    return Fail(args, "journal reset deletes " + what +
                          ", which will never reach upstream Redis; run it again with --yes to "
                          "delete them");
  }
  if (Status s = journal.Reset(); !s.ok()) return Fail(args, "reset failed: " + s.ToString());
  Print(args.out, "deleted " + what + "\n");
  return kExitOk;
}

struct Subcommand {
  std::string_view name;
  unsigned flags;
  int (*run)(const ToolArgs&, OpenedStore&);
};

constexpr Subcommand kSubcommands[] = {
    {"stat", kFlagJson, &Stat},
    {"dump", kFlagJson, &Dump},
    {"verify", 0, &Verify},
    {"compact", 0, &Compact},
    {"deadletters", kFlagJson, &DeadLetters},
    {"reset", kFlagYes, &Reset},
};

}  // namespace

int RunJournalTool(std::span<const std::string> args, const std::vector<std::string>& environ,
                   std::FILE* out, std::FILE* err) {
  ToolArgs parsed;
  parsed.out = out;
  parsed.err = err;
  if (args.empty()) {
    Print(err, "respite: journal needs a command\n" + Usage());
    return kExitUsage;
  }
  if (args[0] == "-h" || args[0] == "--help") {
    Print(out, Usage());
    return kExitOk;
  }
  for (const Subcommand& sub : kSubcommands) {
    if (args[0] != sub.name) continue;
    if (int code = ParseToolArgs(args.subspan(1), sub.flags, 0, environ, &parsed); code >= 0) {
      return code;
    }
    OpenedStore store;
    if (int code = OpenStore(parsed, &store); code != kExitOk) return code;
    return sub.run(parsed, store);
  }
  Print(err, "respite: unknown journal command " + args[0] + "\n" + Usage());
  return kExitUsage;
}

}  // namespace respite::cli
