#include "proxy/admin/admin_commands.h"

#include <strings.h>

#include <charconv>
#include <chrono>
#include <vector>

#include "proxy/admin/admin_http.h"
#include "proxy/admin/admin_routes.h"
#include "proxy/admin/status_report.h"
#include "proxy/failover/failover.h"
#include "proxy/metrics.h"
#include "proxy/server.h"
#include "proxy/store_executor.h"
#include "proxy/time_util.h"
#include "resp/reply_writer.h"
#include "storage/journal.h"
#include "storage/local_store.h"

namespace respite::proxy {

namespace {

constexpr const char* kUsage =
    "ERR usage: RESPITE STATUS | MODE [auto|forward|local] | SYNC | JOURNAL LEN | "
    "JOURNAL PEEK [count] | JOURNAL DEADLETTERS [count] | JOURNAL RETRY | TOKEN token";
constexpr size_t kMaxListed = 1000;
// PEEK and DEADLETTERS stop after about this many bytes of entries (entries may be 64 MB each).
constexpr size_t kMaxListedBytes = 16u << 20;

bool Is(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// An entry as [seq, db, wall_ms, [argv...]].
void WriteEntry(resp::ReplyWriter& w, const storage::JournalEntry& e) {
  w.ArrayHeader(4);
  w.Integer(static_cast<int64_t>(e.seq));
  w.Integer(e.db);
  w.Integer(e.wall_ms);
  w.ArrayHeader(e.argv.size());
  for (const std::string& a : e.argv) w.Bulk(a);
}

}  // namespace

void RunRespiteCommand(Server& server, std::span<const std::string_view> argv, int protocol,
                       AdminGrant* grant, std::string* reply, StoreQuery* query) {
  resp::ReplyWriter w(reply, protocol);
  if (argv.size() < 2) return w.Error(kUsage);
  const std::string_view sub = argv[1];
  const std::string& token = server.config().admin_token;
  if (Is(sub, "token") && argv.size() == 3) {
    if (token.empty()) return w.Error("ERR RESPITE TOKEN called without an admin_token set");
    if (!AdminTokenMatches(token, argv[2])) {
      server.metrics().CountAuthFailure();
      return w.Error("WRONGPASS invalid admin token");
    }
    grant->token_given = true;
    return w.Ok();
  }
  const bool changes_state = (Is(sub, "mode") && argv.size() == 3) ||
                             (Is(sub, "sync") && argv.size() == 2) ||
                             (Is(sub, "journal") && argv.size() == 3 && Is(argv[2], "retry"));
  if (changes_state) {
    const std::string why = AdminActionRefusal(token, grant->token_given, grant->peer_loopback);
    if (!why.empty()) {
      return w.Error("NOPERM RESPITE " + std::string(sub) + " changes respite's state: " + why +
                     (token.empty() ? "" : " (RESPITE TOKEN <token>)"));
    }
  }
  if (Is(sub, "status") && argv.size() == 2) {
    return w.Verbatim("txt", RenderInfoSection(CollectStatus(server)));
  }
  if (Is(sub, "mode") && argv.size() == 2) {
    return w.Bulk(Failover::Name(server.failover().mode()));
  }
  if (Is(sub, "mode") && argv.size() == 3) {
    std::string lower(argv[2]);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::string error = SetModeByName(server, lower); !error.empty()) {
      return w.Error("ERR " + error);
    }
    return w.Ok();
  }
  if (Is(sub, "sync") && argv.size() == 2) {
    return w.SimpleString(server.failover().RequestSync());
  }
  if (!Is(sub, "journal") || argv.size() < 3) return w.Error(kUsage);
  if (server.store() == nullptr) return w.Error("ERR the local store is not open");
  const std::string_view what = argv[2];
  size_t count = 10;
  if (argv.size() == 4) {
    auto [end, ec] = std::from_chars(argv[3].data(), argv[3].data() + argv[3].size(), count);
    if (ec != std::errc() || end != argv[3].data() + argv[3].size()) {
      return w.Error("ERR value is not an integer or out of range");
    }
    count = std::min(count, kMaxListed);
  } else if (argv.size() > 4) {
    return w.Error(kUsage);
  }
  if (Is(what, "len") && argv.size() == 3) {
    return w.Integer(static_cast<int64_t>(server.store()->stats().journal_entries.load()));
  }
  if (Is(what, "peek")) {
    *query = [count, protocol](storage::LocalStore& store) {
      std::vector<storage::JournalEntry> entries;
      size_t corrupt = 0;
      std::string out;
      resp::ReplyWriter writer(&out, protocol);
      storage::Status s = store.journal().Read(0, count, kMaxListedBytes, &entries, &corrupt);
      if (!s.ok()) {
        writer.Error("ERR reading the journal: " + s.ToString());
        return out;
      }
      if (entries.size() > count) entries.resize(count);  // whole groups may overshoot
      writer.ArrayHeader(entries.size());
      for (const auto& e : entries) WriteEntry(writer, e);
      return out;
    };
    return;
  }
  if (Is(what, "deadletters")) {
    *query = [count, protocol](storage::LocalStore& store) {
      std::vector<storage::DeadLetter> letters;
      std::string out;
      resp::ReplyWriter writer(&out, protocol);
      storage::Status s = store.journal().ReadDeadLetters(count, &letters, kMaxListedBytes);
      if (!s.ok()) {
        writer.Error("ERR reading the dead letters: " + s.ToString());
        return out;
      }
      writer.ArrayHeader(letters.size());
      for (const auto& dl : letters) {
        writer.ArrayHeader(3);
        writer.Bulk(dl.error);
        writer.Integer(dl.failed_ms);
        WriteEntry(writer, dl.entry);
      }
      return out;
    };
    return;
  }
  if (Is(what, "retry") && argv.size() == 3) {
    *query = [protocol](storage::LocalStore& store) {
      uint64_t moved = 0, left = 0;
      std::string out;
      resp::ReplyWriter writer(&out, protocol);
      storage::Status s = store.journal().RetryDeadLetters(WallMs(), &moved, &left);
      if (!s.ok()) {
        writer.Error("ERR moving dead letters back: " + s.ToString());
      } else if (left > 0 && store.journal().full()) {
        writer.Error("ERR moved " + std::to_string(moved) + " dead letters back; the journal is " +
                     "full (journal.max_bytes): " + std::to_string(left) +
                     " stay dead letters until it drains, then RETRY again");
      } else {
        writer.Integer(static_cast<int64_t>(moved));
      }
      return out;
    };
    return;
  }
  w.Error(kUsage);
}

}  // namespace respite::proxy
