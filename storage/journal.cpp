#include "storage/journal.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "storage/encoding.h"

namespace respite::storage {

namespace {

constexpr char kFormat = 1;
constexpr uint8_t kGrouped = 1;
constexpr uint8_t kGroupEnd = 2;
constexpr size_t kHmacBytes = 32;
constexpr size_t kKeyBytes = 32;
constexpr std::string_view kIdKey = "journal:id";
constexpr std::string_view kAppliedKey = "journal:applied_through";
// The lowest seq a new entry may take, persisted by Reset() (which leaves no entry to count from).
constexpr std::string_view kSeqFloorKey = "journal:seq_floor";

std::string SeqKey(uint64_t seq) {
  std::string k;
  PutU64(&k, seq);
  return k;
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

Status ReadOrCreateKey(const std::string& path, std::string* key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[kKeyBytes + 1];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n != static_cast<ssize_t>(kKeyBytes)) {
      return Status::Corruption("journal key " + path + " is not " + std::to_string(kKeyBytes) +
                                " bytes");
    }
    key->assign(buf, kKeyBytes);
    return Status::Ok();
  }
  if (errno != ENOENT) return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
  unsigned char fresh[kKeyBytes];
  if (RAND_bytes(fresh, sizeof fresh) != 1) return Status::IoError("no randomness for the key");
  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  const bool ok =
      ::write(fd, fresh, sizeof fresh) == static_cast<ssize_t>(sizeof fresh) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::IoError("cannot write " + path);
  key->assign(reinterpret_cast<char*>(fresh), sizeof fresh);
  return Status::Ok();
}

}  // namespace

// HMAC-SHA256 (RFC 2104) under the journal key, keyed once: the SHA-256 states after the inner
// and outer padded keys are kept, and each MAC starts from copies of them (a struct copy), so an
// entry costs its own bytes' compression rounds and nothing more. OpenSSL 3 deprecates the
// low-level SHA-256 calls for EVP, whose context copies allocate; these are the same primitives.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
class Journal::Mac {
 public:
  explicit Mac(const std::string& key) {
    unsigned char block[SHA256_CBLOCK] = {};
    if (key.size() > sizeof block) {
      SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
    } else {
      std::memcpy(block, key.data(), key.size());
    }
    unsigned char pad[SHA256_CBLOCK];
    for (size_t i = 0; i < sizeof pad; ++i) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&inner_);
    SHA256_Update(&inner_, pad, sizeof pad);
    for (size_t i = 0; i < sizeof pad; ++i) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&outer_);
    SHA256_Update(&outer_, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
  }
  ~Mac() {
    OPENSSL_cleanse(&inner_, sizeof inner_);
    OPENSSL_cleanse(&outer_, sizeof outer_);
  }
  std::string Compute(uint64_t seq, std::string_view body) const {
    std::string out;
    ComputeInto(seq, body, &out);
    return out;
  }
  // Appends the MAC of (seq, body) to *out; `body` may be out's own contents.
  void ComputeInto(uint64_t seq, std::string_view body, std::string* out) const {
    unsigned char prefix[8];
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(seq >> (56 - 8 * i));
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx = inner_;
    SHA256_Update(&ctx, prefix, sizeof prefix);
    SHA256_Update(&ctx, body.data(), body.size());
    SHA256_Final(digest, &ctx);
    ctx = outer_;
    SHA256_Update(&ctx, digest, sizeof digest);
    SHA256_Final(digest, &ctx);
    out->append(reinterpret_cast<const char*>(digest), sizeof digest);
  }

 private:
  SHA256_CTX inner_;
  SHA256_CTX outer_;
};
#pragma GCC diagnostic pop

Journal::Journal(Engine& engine, std::string key, JournalLimits limits)
    : engine_(engine), mac_(std::make_unique<Mac>(key)), limits_(limits) {}

Journal::~Journal() = default;

Result<std::unique_ptr<Journal>> Journal::Open(Engine& engine, const std::string& key_path,
                                               JournalLimits limits) {
  std::string key;
  if (Status s = ReadOrCreateKey(key_path, &key); !s.ok()) return s;
  std::unique_ptr<Journal> journal(new Journal(engine, std::move(key), limits));
  if (Status s = journal->Load(); !s.ok()) return s;
  return journal;
}

Status Journal::Load() {
  std::string value;
  Status s = engine_.Get(Family::kDefault, kIdKey, &value);
  if (s.not_found()) {
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) return Status::IoError("no randomness for the id");
    id_ = Hex(raw, sizeof raw);
    engine_.Put(Family::kDefault, kIdKey, id_);
    if (Status c = engine_.Commit(); !c.ok()) return c;
  } else if (!s.ok()) {
    return s;
  } else {
    id_ = value;
  }
  s = engine_.Get(Family::kDefault, kAppliedKey, &value);
  if (s.ok() && value.size() == 8) applied_through_ = GetU64(value);
  // Sequences never go back: past every entry and everything ever applied upstream.
  next_seq_ = std::max(next_seq_, applied_through_ + 1);
  s = engine_.Get(Family::kDefault, kSeqFloorKey, &value);
  if (s.ok() && value.size() == 8) seq_floor_ = GetU64(value);
  next_seq_ = std::max(next_seq_, seq_floor_);
  auto it = engine_.NewIterator(Family::kJournal, {}, {});
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t seq = GetU64(it->key());
    if (first_seq_ == 0) first_seq_ = seq;
    ++entries_;
    bytes_ += it->key().size() + it->value().size();
    next_seq_ = std::max(next_seq_, seq + 1);
  }
  if (Status st = it->status(); !st.ok()) return st;
  auto dl = engine_.NewIterator(Family::kDeadLetter, {}, {});
  for (dl->SeekToFirst(); dl->Valid(); dl->Next()) ++dead_letters_;
  return dl->status();
}

std::string Journal::Encode(const JournalEntry& e) const {
  std::string value;
  EncodeTo(&value, e.seq, e.group, e.group_end, e.wall_ms, e.db, e.argv);
  return value;
}

void Journal::EncodeTo(std::string* out, uint64_t seq, uint64_t group, bool group_end,
                       int64_t wall_ms, int db, const std::vector<std::string>& argv) const {
  size_t size = 23 + kHmacBytes;
  for (const std::string& a : argv) size += 4 + a.size();
  std::string& body = *out;
  body.clear();
  body.reserve(size);
  body.push_back(kFormat);
  body.push_back(static_cast<char>((group != 0 ? kGrouped : 0) | (group_end ? kGroupEnd : 0)));
  PutU64(&body, group);
  PutU64(&body, static_cast<uint64_t>(wall_ms));
  body.push_back(static_cast<char>(db));
  PutU32(&body, static_cast<uint32_t>(argv.size()));
  for (const std::string& a : argv) {
    PutU32(&body, static_cast<uint32_t>(a.size()));
    body.append(a);
  }
  // The MAC is computed over the finished body, then appended to it.
  mac_->ComputeInto(seq, body, &body);
}

bool Journal::Decode(uint64_t seq, std::string_view value, JournalEntry* out) const {
  if (value.size() < 23 + kHmacBytes || value[0] != kFormat) return false;
  const std::string_view body = value.substr(0, value.size() - kHmacBytes);
  const std::string expected = mac_->Compute(seq, body);
  if (CRYPTO_memcmp(expected.data(), value.data() + body.size(), kHmacBytes) != 0) return false;
  const auto flags = static_cast<uint8_t>(body[1]);
  out->seq = seq;
  out->group = (flags & kGrouped) ? GetU64(body.substr(2)) : 0;
  out->group_end = (flags & kGroupEnd) != 0;
  out->wall_ms = static_cast<int64_t>(GetU64(body.substr(10)));
  out->db = static_cast<unsigned char>(body[18]);
  const uint32_t argc = GetU32(body.substr(19));
  size_t pos = 23;
  out->argv.clear();
  for (uint32_t i = 0; i < argc; ++i) {
    if (pos + 4 > body.size()) return false;
    const uint32_t len = GetU32(body.substr(pos));
    pos += 4;
    if (pos + len > body.size()) return false;
    out->argv.emplace_back(body.substr(pos, len));
    pos += len;
  }
  return pos == body.size() && !out->argv.empty();
}

bool Journal::Admits(std::span<const std::string_view> argv) const {
  if (bytes_ + sealed_.bytes + pending_.bytes >= limits_.max_bytes) return false;
  size_t size = 64;
  for (std::string_view a : argv) size += 4 + a.size();
  return size <= limits_.max_entry_bytes;
}

void Journal::Append(std::span<const std::vector<std::string>> argvs, std::span<const int> dbs,
                     int64_t wall_ms) {
  if (argvs.empty()) return;
  uint64_t seq = pending_.next_seq != 0  ? pending_.next_seq
                 : sealed_.next_seq != 0 ? sealed_.next_seq
                                         : next_seq_;
  const uint64_t group = argvs.size() > 1 ? seq : 0;
  for (size_t i = 0; i < argvs.size(); ++i, ++seq) {
    const bool group_end = group != 0 && i + 1 == argvs.size();
    EncodeTo(&encoded_, seq, group, group_end, wall_ms, dbs[i], argvs[i]);
    engine_.PutUnindexed(Family::kJournal, SeqKey(seq), encoded_);
    pending_.bytes += 8 + encoded_.size();
    ++pending_.entries;
  }
  pending_.next_seq = seq;
}

void Journal::Apply(const Uncommitted& u) {
  if (u.entries > 0 && first_seq_ == 0) first_seq_ = next_seq_;
  if (u.next_seq != 0) next_seq_ = u.next_seq;
  entries_ += u.entries;
  bytes_ += u.bytes;
}

void Journal::OnCommit() {
  Apply(sealed_);  // a commit settles the batch in flight first
  Apply(pending_);
  sealed_ = {};
  pending_ = {};
}

void Journal::OnRollback() { pending_ = {}; }

void Journal::SealPending() {
  sealed_ = pending_;
  pending_ = {};
}

void Journal::OnSealedCommit() {
  Apply(sealed_);
  sealed_ = {};
}

void Journal::OnSealedRollback() {
  sealed_ = {};
  pending_ = {};
}

Status Journal::Read(uint64_t from, size_t max_entries, size_t max_bytes,
                     std::vector<JournalEntry>* out, size_t* corrupt) {
  out->clear();
  *corrupt = 0;
  size_t bytes = 0;
  size_t whole = 0;                        // entries up to the last complete group
  if (entries_ == 0) return Status::Ok();  // nothing but tombstones of replayed entries
  auto it = engine_.NewIterator(Family::kJournal, SeqKey(std::max(from, first_seq_)), {});
  std::vector<std::pair<uint64_t, std::string>> bad;  // moved once the iterator is gone
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t seq = GetU64(it->key());
    JournalEntry e;
    if (!Decode(seq, it->value(), &e)) {
      bad.emplace_back(seq, std::string(it->value()));
      continue;
    }
    bytes += it->value().size();
    const bool closes = e.group == 0 || e.group_end;
    out->push_back(std::move(e));
    if (closes) whole = out->size();
    if (closes && (out->size() >= max_entries || bytes >= max_bytes)) break;
  }
  if (Status s = it->status(); !s.ok()) return s;
  it.reset();
  out->resize(whole);  // a group cut short by the end of the journal is never half-replayed
  // Never replay what cannot be trusted; keep it, with the reason, for the operator.
  for (auto& [seq, raw] : bad) {
    constexpr std::string_view kReason = "ERR journal entry failed its integrity check";
    std::string value;
    PutU32(&value, static_cast<uint32_t>(kReason.size()));
    value.append(kReason);
    PutU64(&value, 0);
    value.append(raw);
    engine_.Put(Family::kDeadLetter, SeqKey(seq), value);
    engine_.Delete(Family::kJournal, SeqKey(seq));
    ++dead_letters_;
    --entries_;
    bytes_ -= std::min(bytes_, 8 + raw.size());
  }
  *corrupt = bad.size();
  if (!bad.empty()) {
    if (Status s = engine_.Commit(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status Journal::RemoveThrough(uint64_t last) {
  // Point deletes of the applied entries, not a range delete: RocksDB 7.8 re-sorts every range
  // tombstone of the mutable memtable for each new iterator, so one range per replayed batch
  // made replay slower and slower. Reads start at first_seq_, past these tombstones.
  uint64_t removed = 0, removed_bytes = 0;
  auto it = engine_.NewIterator(Family::kJournal, SeqKey(first_seq_), SeqKey(last + 1));
  std::vector<std::string> keys;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++removed;
    removed_bytes += it->key().size() + it->value().size();
    keys.emplace_back(it->key());
  }
  if (Status s = it->status(); !s.ok()) return s;
  it.reset();
  for (const std::string& k : keys) engine_.Delete(Family::kJournal, k);
  if (last > applied_through_) {
    std::string applied;
    PutU64(&applied, last);
    engine_.Put(Family::kDefault, kAppliedKey, applied);  // committed with the deletes
  }
  if (Status s = engine_.Commit(); !s.ok()) return s;
  applied_through_ = std::max(applied_through_, last);
  entries_ -= std::min(entries_, removed);
  bytes_ -= std::min(bytes_, removed_bytes);
  if (entries_ == 0) {
    first_seq_ = 0;
  } else if (removed > 0) {
    first_seq_ = last + 1;
  }
  return Status::Ok();
}

Status Journal::RemoveEntries(std::span<const uint64_t> seqs) {
  uint64_t removed = 0, removed_bytes = 0;
  bool first_removed = false;
  std::string value;
  for (const uint64_t seq : seqs) {
    const std::string key = SeqKey(seq);
    if (!engine_.Get(Family::kJournal, key, &value).ok()) continue;  // gone already
    ++removed;
    removed_bytes += key.size() + value.size();
    first_removed = first_removed || seq == first_seq_;
    engine_.Delete(Family::kJournal, key);
  }
  if (removed == 0) return Status::Ok();
  // Sequences never go back, even past a restart with these gone: a slot's cursor upstream
  // covers them, and a new entry under it would be taken as applied.
  const uint64_t highest = *std::max_element(seqs.begin(), seqs.end());
  if (highest >= seq_floor_) {
    seq_floor_ = highest + 1;
    std::string floor;
    PutU64(&floor, seq_floor_);
    engine_.Put(Family::kDefault, kSeqFloorKey, floor);  // committed with the deletes
  }
  if (Status s = engine_.Commit(); !s.ok()) return s;
  entries_ -= std::min(entries_, removed);
  bytes_ -= std::min(bytes_, removed_bytes);
  if (entries_ == 0) {
    first_seq_ = 0;
  } else if (first_removed) {
    auto it = engine_.NewIterator(Family::kJournal, SeqKey(first_seq_), {});
    it->SeekToFirst();
    if (it->Valid()) first_seq_ = GetU64(it->key());
  }
  return Status::Ok();
}

void Journal::DeadLetterEntry(const JournalEntry& entry, std::string_view error, int64_t now_ms) {
  std::string value;
  PutU32(&value, static_cast<uint32_t>(error.size()));
  value.append(error);
  PutU64(&value, static_cast<uint64_t>(now_ms));
  value.append(Encode(entry));
  engine_.Put(Family::kDeadLetter, SeqKey(entry.seq), value);
  ++dead_letters_;
}

Status Journal::RejectEntry(const JournalEntry& entry, std::string_view error, int64_t now_ms) {
  std::string value;
  if (engine_.Get(Family::kJournal, SeqKey(entry.seq), &value).ok()) {
    --entries_;
    bytes_ -= std::min<uint64_t>(bytes_, 8 + value.size());
  }
  DeadLetterEntry(entry, error, now_ms);
  engine_.Delete(Family::kJournal, SeqKey(entry.seq));
  return engine_.Commit();
}

Status Journal::ReadDeadLetters(size_t max, std::vector<DeadLetter>* out, size_t max_bytes) {
  out->clear();
  size_t bytes = 0;
  auto it = engine_.NewIterator(Family::kDeadLetter, {}, {});
  for (it->SeekToFirst(); it->Valid() && out->size() < max && bytes < max_bytes; it->Next()) {
    const std::string_view v = it->value();
    bytes += v.size();
    if (v.size() < 12) continue;
    const uint32_t err_len = GetU32(v);
    if (v.size() < 12 + err_len) continue;
    DeadLetter dl;
    dl.error.assign(v.substr(4, err_len));
    dl.failed_ms = static_cast<int64_t>(GetU64(v.substr(4 + err_len)));
    const std::string_view raw = v.substr(12 + err_len);
    if (!Decode(GetU64(it->key()), raw, &dl.entry)) {
      dl.entry.seq = GetU64(it->key());  // a corrupt entry: only its place is known
    }
    out->push_back(std::move(dl));
  }
  return it->status();
}

int64_t Journal::OldestWallMs() {
  if (entries_ == 0) return 0;
  if (oldest_for_seq_ == first_seq_ && oldest_wall_ms_ != 0) return oldest_wall_ms_;
  auto it = engine_.NewIterator(Family::kJournal, SeqKey(first_seq_), {});
  it->SeekToFirst();
  JournalEntry e;
  if (it->Valid() && Decode(GetU64(it->key()), it->value(), &e)) {
    oldest_for_seq_ = first_seq_;
    oldest_wall_ms_ = e.wall_ms;
  }
  return oldest_wall_ms_;
}

Status Journal::ForEach(const std::function<bool(uint64_t seq, std::string_view value)>& visit) {
  if (entries_ == 0) return Status::Ok();
  auto it = engine_.NewIterator(Family::kJournal, SeqKey(first_seq_), {});
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().size() != 8) continue;  // not an entry key; nothing else is stored here
    if (!visit(GetU64(it->key()), it->value())) break;
  }
  return it->status();
}

Status Journal::Reset() {
  seq_floor_ = std::max(seq_floor_, next_seq_);
  std::string floor;
  PutU64(&floor, next_seq_);
  engine_.Put(Family::kDefault, kSeqFloorKey, floor);
  // Keys are 8-byte sequences: [empty, 9 x 0xff) covers them all. DeleteRange commits the floor
  // first, so a crash part-way leaves sequences safe and a reset that can simply be run again.
  const std::string end(9, '\xff');
  if (Status s = engine_.DeleteRange(Family::kJournal, {}, end); !s.ok()) return s;
  if (Status s = engine_.DeleteRange(Family::kDeadLetter, {}, end); !s.ok()) return s;
  entries_ = 0;
  bytes_ = 0;
  first_seq_ = 0;
  dead_letters_ = 0;
  return Status::Ok();
}

Status Journal::RetryDeadLetters(int64_t wall_ms, uint64_t* moved, uint64_t* left) {
  *moved = 0;
  if (left != nullptr) *left = 0;
  std::vector<DeadLetter> letters;
  // No more than the journal has room for is read (and moved): a million dead letters must not
  // all come into memory, nor past journal.max_bytes into the journal.
  const uint64_t room = limits_.max_bytes > bytes_ ? limits_.max_bytes - bytes_ : 0;
  if (Status s = ReadDeadLetters(dead_letters_ + 1024, &letters, room); !s.ok()) return s;
  uint64_t corrupt = 0;
  for (const DeadLetter& dl : letters) {
    if (dl.entry.argv.empty()) {
      ++corrupt;
      continue;  // corrupt: nothing trustworthy to replay
    }
    std::vector<std::string_view> views(dl.entry.argv.begin(), dl.entry.argv.end());
    if (!Admits(views)) break;  // full: this one and the rest stay dead letters
    Append(std::span(&dl.entry.argv, 1), std::span(&dl.entry.db, 1), wall_ms);
    engine_.Delete(Family::kDeadLetter, SeqKey(dl.entry.seq));
    ++*moved;
  }
  if (Status s = engine_.Commit(); !s.ok()) {
    OnRollback();
    *moved = 0;
    return s;
  }
  OnCommit();
  dead_letters_ -= std::min<uint64_t>(dead_letters_, *moved);
  if (left != nullptr) *left = dead_letters_ > corrupt ? dead_letters_ - corrupt : 0;
  return Status::Ok();
}

}  // namespace respite::storage
