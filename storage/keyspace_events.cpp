#include "storage/keyspace_events.h"

#include <algorithm>
#include <string>

#include "resp/ascii.h"
#include "storage/pubsub_broker.h"

namespace respite::storage {

namespace {

// Redis' notification classes (server.h NOTIFY_*), as bits.
enum : int {
  kKeyspace = 1 << 0,  // K
  kKeyevent = 1 << 1,  // E
  kGeneric = 1 << 2,   // g
  kString = 1 << 3,    // $
  kList = 1 << 4,      // l
  kSet = 1 << 5,       // s
  kHash = 1 << 6,      // h
  kZSet = 1 << 7,      // z
  kExpired = 1 << 8,   // x
  kEvicted = 1 << 9,   // e
  kStream = 1 << 10,   // t
  kKeyMiss = 1 << 11,  // m
  kModule = 1 << 13,   // d
  kNew = 1 << 14,      // n
  kAll =
      kGeneric | kString | kList | kSet | kHash | kZSet | kExpired | kEvicted | kStream | kModule,
};

// How a command's key events become notifications.
enum class Shape {
  kEach,         // the event on every key it wrote; "del" after it for a collection it emptied
  kPerArgument,  // MSET: the event once per key argument (a key named twice gets two)
  kDel,          // DEL, UNLINK, GETDEL: "del" on every key it deleted
  kStore,        // a *STORE destination: the event, or only "del" when the result was empty
  kExpire,       // EXPIRE and kin, GETEX: the event, or only "del" when the time had passed
  kSet,          // SET and kin: "set", then "expire" when it set a time to live
  kMove,         // LMOVE and kin: push on the destination, pop (and "del") on the source
  kSMove,        // SMOVE: "srem" (and "del") on the source, then "sadd" on the destination
  kRename,       // RENAME, RENAMENX: "rename_from" on the source, "rename_to" on the destination
  kCopy,         // COPY: "copy_to" on the destination
  kDbMove,       // MOVE: "move_from" in the source db, "move_to" in the destination db
  kIfChanged,    // BITFIELD: the event when it counted a change; a key it only created (writes
                 // that all failed) gets "new" alone
};

// When the events reach subscribers relative to the command's reply (which matters to a RESP3
// client subscribed to its own events): Redis publishes most of them before it replies, and
// some commands reply first. "new" goes out where Redis adds the key and "expired" where it looks
// the key up: before the reply, but for GETSET.
enum class Timing {
  kBefore,       // every event before the reply
  kAfter,        // the command's events, and "del" for a key it emptied, after the reply
  kAllAfter,     // GETSET: "new" too (Redis adds the key after replying with the old value)
  kExpireAfter,  // EXPIRE and kin: "expire" after the reply, "del" for a time passed before it
  kPopAfter,     // LMOVE and kin: the push before the reply, the pop and "del" after it
  kDelAfter,     // SPOP without a count: "spop" before the reply, "del" after it
};

struct Rule {
  std::string_view command;
  int event_class;
  std::string_view event;  // empty: chosen from the arguments (see EventFor)
  Shape shape;
  Timing timing = Timing::kBefore;
};

constexpr Rule kRules[] = {
    // strings
    {"append", kString, "append", Shape::kEach},
    {"decr", kString, "incrby", Shape::kEach},
    {"decrby", kString, "incrby", Shape::kEach},
    {"getdel", kGeneric, "del", Shape::kDel, Timing::kAfter},
    {"getex", kGeneric, "", Shape::kExpire, Timing::kAfter},
    {"getset", kString, "set", Shape::kEach, Timing::kAllAfter},
    {"incr", kString, "incrby", Shape::kEach},
    {"incrby", kString, "incrby", Shape::kEach},
    {"incrbyfloat", kString, "incrbyfloat", Shape::kEach},
    {"mset", kString, "set", Shape::kPerArgument},
    {"msetnx", kString, "set", Shape::kPerArgument},
    {"psetex", kString, "set", Shape::kSet},
    {"set", kString, "set", Shape::kSet},
    {"setex", kString, "set", Shape::kSet},
    {"setnx", kString, "set", Shape::kEach},
    {"setrange", kString, "setrange", Shape::kEach},
    // keys
    {"copy", kGeneric, "copy_to", Shape::kCopy},
    {"del", kGeneric, "del", Shape::kDel},
    {"expire", kGeneric, "expire", Shape::kExpire, Timing::kExpireAfter},
    {"expireat", kGeneric, "expire", Shape::kExpire, Timing::kExpireAfter},
    {"move", kGeneric, "", Shape::kDbMove},
    {"persist", kGeneric, "persist", Shape::kEach},
    {"pexpire", kGeneric, "expire", Shape::kExpire, Timing::kExpireAfter},
    {"pexpireat", kGeneric, "expire", Shape::kExpire, Timing::kExpireAfter},
    {"rename", kGeneric, "", Shape::kRename},
    {"renamenx", kGeneric, "", Shape::kRename},
    {"restore", kGeneric, "restore", Shape::kExpire},
    {"unlink", kGeneric, "del", Shape::kDel},
    // hashes
    {"hdel", kHash, "hdel", Shape::kEach},
    {"hincrby", kHash, "hincrby", Shape::kEach, Timing::kAfter},
    {"hincrbyfloat", kHash, "hincrbyfloat", Shape::kEach, Timing::kAfter},
    {"hmset", kHash, "hset", Shape::kEach, Timing::kAfter},
    {"hset", kHash, "hset", Shape::kEach, Timing::kAfter},
    {"hsetnx", kHash, "hset", Shape::kEach, Timing::kAfter},
    // lists
    {"blmove", kList, "", Shape::kMove, Timing::kPopAfter},
    {"blmpop", kList, "", Shape::kEach, Timing::kAfter},
    {"blpop", kList, "lpop", Shape::kEach, Timing::kAfter},
    {"brpop", kList, "rpop", Shape::kEach, Timing::kAfter},
    {"brpoplpush", kList, "", Shape::kMove, Timing::kPopAfter},
    {"linsert", kList, "linsert", Shape::kEach},
    {"lmove", kList, "", Shape::kMove, Timing::kPopAfter},
    {"lmpop", kList, "", Shape::kEach, Timing::kAfter},
    {"lpop", kList, "lpop", Shape::kEach, Timing::kAfter},
    {"lpush", kList, "lpush", Shape::kEach, Timing::kAfter},
    {"lpushx", kList, "lpush", Shape::kEach, Timing::kAfter},
    {"lrem", kList, "lrem", Shape::kEach},
    {"lset", kList, "lset", Shape::kEach, Timing::kAfter},
    {"ltrim", kList, "ltrim", Shape::kEach},
    {"rpop", kList, "rpop", Shape::kEach, Timing::kAfter},
    {"rpoplpush", kList, "", Shape::kMove, Timing::kPopAfter},
    {"rpush", kList, "rpush", Shape::kEach, Timing::kAfter},
    {"rpushx", kList, "rpush", Shape::kEach, Timing::kAfter},
    {"sort", kList, "sortstore", Shape::kStore},
    // sets
    {"sadd", kSet, "sadd", Shape::kEach},
    {"sdiffstore", kSet, "sdiffstore", Shape::kStore, Timing::kAfter},
    {"sinterstore", kSet, "sinterstore", Shape::kStore, Timing::kAfter},
    {"smove", kSet, "", Shape::kSMove},
    {"spop", kSet, "spop", Shape::kEach, Timing::kDelAfter},
    {"srem", kSet, "srem", Shape::kEach},
    {"sunionstore", kSet, "sunionstore", Shape::kStore, Timing::kAfter},
    // bitmaps
    {"bitfield", kString, "setbit", Shape::kIfChanged, Timing::kAfter},
    {"bitop", kString, "set", Shape::kStore},
    {"setbit", kString, "setbit", Shape::kEach},
    // hyperloglogs (PFMERGE publishes "pfadd" too, even when no register changed)
    {"pfadd", kString, "pfadd", Shape::kIfChanged},
    {"pfmerge", kString, "pfadd", Shape::kEach},
    // sorted sets
    {"bzmpop", kZSet, "", Shape::kEach, Timing::kAfter},
    {"bzpopmax", kZSet, "zpopmax", Shape::kEach, Timing::kAfter},
    {"bzpopmin", kZSet, "zpopmin", Shape::kEach, Timing::kAfter},
    {"zadd", kZSet, "", Shape::kEach, Timing::kAfter},
    {"zdiffstore", kZSet, "zdiffstore", Shape::kStore, Timing::kAfter},
    {"zincrby", kZSet, "zincr", Shape::kEach, Timing::kAfter},
    {"zinterstore", kZSet, "zinterstore", Shape::kStore, Timing::kAfter},
    {"zmpop", kZSet, "", Shape::kEach, Timing::kAfter},
    {"zpopmax", kZSet, "zpopmax", Shape::kEach, Timing::kAfter},
    {"zpopmin", kZSet, "zpopmin", Shape::kEach, Timing::kAfter},
    {"zrangestore", kZSet, "zrangestore", Shape::kStore, Timing::kAfter},
    {"zrem", kZSet, "zrem", Shape::kEach},
    {"zremrangebylex", kZSet, "zremrangebylex", Shape::kEach},
    {"zremrangebyrank", kZSet, "zremrangebyrank", Shape::kEach},
    {"zremrangebyscore", kZSet, "zremrangebyscore", Shape::kEach},
    {"zunionstore", kZSet, "zunionstore", Shape::kStore, Timing::kAfter},
    // geo (GEOADD runs as ZADD)
    {"geoadd", kZSet, "zadd", Shape::kEach, Timing::kAfter},
    {"georadius", kZSet, "georadiusstore", Shape::kStore},
    {"georadiusbymember", kZSet, "georadiusstore", Shape::kStore},
    {"geosearchstore", kZSet, "geosearchstore", Shape::kStore},
    // streams (an XADD that also trimmed announces "xtrim" after "xadd", as a named key event)
    {"xadd", kStream, "xadd", Shape::kEach, Timing::kAfter},
    {"xdel", kStream, "xdel", Shape::kEach},
    {"xsetid", kStream, "xsetid", Shape::kEach, Timing::kAfter},
    {"xtrim", kStream, "xtrim", Shape::kEach},
    {"xgroup|create", kStream, "xgroup-create", Shape::kEach, Timing::kAfter},
    // xgroup-createconsumer: announced where a consumer is created (XGROUP CREATECONSUMER,
    // XREADGROUP, XCLAIM, XAUTOCLAIM), as a named key event.
    {"xgroup|delconsumer", kStream, "xgroup-delconsumer", Shape::kEach},
    {"xgroup|destroy", kStream, "xgroup-destroy", Shape::kEach, Timing::kAfter},
    {"xgroup|setid", kStream, "xgroup-setid", Shape::kEach, Timing::kAfter},
};

const Rule* FindRule(std::string_view command) {
  for (const Rule& rule : kRules) {
    if (rule.command == command) return &rule;
  }
  return nullptr;
}

bool HasWord(std::span<const std::string_view> argv, std::string_view word) {
  return std::any_of(argv.begin() + 1, argv.end(),
                     [&](std::string_view a) { return resp::EqualsIgnoreCase(a, word); });
}

// The event of commands whose name depends on their arguments.
std::string_view EventFor(const Rule& rule, std::span<const std::string_view> argv) {
  if (!rule.event.empty()) return rule.event;
  const std::string_view c = rule.command;
  if (c == "zadd") return HasWord(argv, "incr") ? "zincr" : "zadd";
  if (c == "lmpop" || c == "blmpop") return HasWord(argv, "left") ? "lpop" : "rpop";
  if (c == "zmpop" || c == "bzmpop") return HasWord(argv, "min") ? "zpopmin" : "zpopmax";
  if (c == "getex") return HasWord(argv, "persist") ? "persist" : "expire";
  return {};
}

// What one key went through during the command.
struct KeyHistory {
  int db;
  std::string_view key;
  bool created = false;      // did not exist (or had expired) before the command
  bool written = false;      // any write, its deletion included
  bool deleted = false;      // gone at the end
  bool was_deleted = false;  // deleted at some point
  bool announced = false;    // "new" published
};

}  // namespace

void KeyspaceNotifier::Configure(std::string_view classes) {
  int flags = 0;
  for (char c : classes) {
    switch (c) {
      case 'A':
        flags |= kAll;
        break;
      case 'g':
        flags |= kGeneric;
        break;
      case '$':
        flags |= kString;
        break;
      case 'l':
        flags |= kList;
        break;
      case 's':
        flags |= kSet;
        break;
      case 'h':
        flags |= kHash;
        break;
      case 'z':
        flags |= kZSet;
        break;
      case 'x':
        flags |= kExpired;
        break;
      case 'e':
        flags |= kEvicted;
        break;
      case 'K':
        flags |= kKeyspace;
        break;
      case 'E':
        flags |= kKeyevent;
        break;
      case 't':
        flags |= kStream;
        break;
      case 'm':
        flags |= kKeyMiss;
        break;
      case 'd':
        flags |= kModule;
        break;
      case 'n':
        flags |= kNew;
        break;
      default:
        break;
    }
  }
  flags_ = flags;
  enabled_ = (flags & (kKeyspace | kKeyevent)) != 0 && (flags & ~(kKeyspace | kKeyevent)) != 0;
}

void KeyspaceNotifier::Publish(int event_class, std::string_view event, int db,
                               std::string_view key, PubSubBroker& broker, bool after_reply) const {
  if ((flags_ & event_class) == 0) return;
  const std::string at = "@" + std::to_string(db) + "__:";
  if (flags_ & kKeyspace) {
    broker.Publish("__keyspace" + at + std::string(key), event, false, after_reply);
  }
  if (flags_ & kKeyevent) {
    broker.Publish("__keyevent" + at + std::string(event), key, false, after_reply);
  }
}

void KeyspaceNotifier::Notify(std::string_view command, std::span<const std::string_view> argv,
                              std::vector<KeyEvent>* events, PubSubBroker& broker, bool changed,
                              bool own_reply) const {
  // Keys that expired on the way come first: Redis deletes them when it looks them up.
  std::vector<KeyHistory> keys;
  std::vector<const KeyEvent*> named;
  for (const KeyEvent& e : *events) {
    if (e.kind == KeyEventKind::kExpired) {
      Publish(kExpired, "expired", e.db, e.key, broker, false);
      continue;
    }
    if (e.kind == KeyEventKind::kNamed) {
      named.push_back(&e);
      continue;
    }
    auto it = std::find_if(keys.begin(), keys.end(),
                           [&](const KeyHistory& h) { return h.db == e.db && h.key == e.key; });
    if (it == keys.end()) {
      keys.push_back(KeyHistory{e.db, e.key});
      it = keys.end() - 1;
    }
    // Created before anything deleted it: it did not exist (or had expired) before the command.
    if (e.kind == KeyEventKind::kCreated && !it->was_deleted) it->created = true;
    if (e.kind == KeyEventKind::kDeleted) it->was_deleted = true;
    it->written = true;
    it->deleted = e.kind == KeyEventKind::kDeleted;
  }
  const Rule* rule = command.empty() ? nullptr : FindRule(command);
  const Timing timing = rule != nullptr && own_reply ? rule->timing : Timing::kBefore;
  // What goes out after the reply: the command's events, "del" for a key it emptied, "new".
  const bool events_after = timing == Timing::kAfter || timing == Timing::kAllAfter;
  const bool del_after = events_after || timing == Timing::kPopAfter ||
                         (timing == Timing::kDelAfter && argv.size() == 2);
  const bool new_after = timing == Timing::kAllAfter;
  if (rule != nullptr && !keys.empty()) {
    const std::string_view event = EventFor(*rule, argv);
    const auto history = [&](std::string_view key) -> KeyHistory* {
      for (KeyHistory& h : keys) {
        if (h.key == key) return &h;
      }
      return nullptr;
    };
    const auto emptied = [&](const KeyHistory* h) {
      if (h != nullptr && h->deleted) Publish(kGeneric, "del", h->db, h->key, broker, del_after);
    };
    // "new" as Redis publishes it: when the key is added, before the command's event for it.
    const auto publish_at = [&](KeyHistory* h, int event_class, std::string_view name, bool after) {
      if (h->created && !h->deleted && !h->announced) {
        h->announced = true;
        Publish(kNew, "new", h->db, h->key, broker, new_after);
      }
      Publish(event_class, name, h->db, h->key, broker, after);
    };
    const auto publish = [&](KeyHistory* h, int event_class, std::string_view name) {
      publish_at(h, event_class, name, events_after);
    };
    switch (rule->shape) {
      case Shape::kEach:
        for (KeyHistory& h : keys) {
          publish(&h, rule->event_class, event);
          emptied(&h);
        }
        break;
      case Shape::kPerArgument:
        for (size_t i = 1; i < argv.size(); i += 2) {
          if (KeyHistory* h = history(argv[i]); h != nullptr) publish(h, rule->event_class, event);
        }
        break;
      case Shape::kDel:
        for (const KeyHistory& h : keys) {
          if (h.deleted) Publish(kGeneric, "del", h.db, h.key, broker, events_after);
        }
        break;
      case Shape::kStore:
      case Shape::kExpire:
        for (KeyHistory& h : keys) {
          if (h.deleted) {
            publish(&h, kGeneric, "del");
          } else {
            publish_at(&h, rule->event_class, event,
                       events_after || timing == Timing::kExpireAfter);
          }
        }
        break;
      case Shape::kSet: {
        const bool ttl = command == "setex" || command == "psetex" || HasWord(argv, "ex") ||
                         HasWord(argv, "px") || HasWord(argv, "exat") || HasWord(argv, "pxat");
        for (KeyHistory& h : keys) {
          publish(&h, kString, "set");
          if (ttl) Publish(kGeneric, "expire", h.db, h.key, broker, events_after);
        }
        break;
      }
      case Shape::kMove: {
        // LMOVE src dst from to; RPOPLPUSH and BRPOPLPUSH pop right and push left.
        const bool rpoplpush = command == "rpoplpush" || command == "brpoplpush";
        const bool pop_left = !rpoplpush && resp::EqualsIgnoreCase(argv[3], "left");
        const bool push_left = rpoplpush || resp::EqualsIgnoreCase(argv[4], "left");
        KeyHistory* src = history(argv[1]);
        if (KeyHistory* dst = history(argv[2]); dst != nullptr) {
          publish(dst, kList, push_left ? "lpush" : "rpush");
        }
        if (src != nullptr) {
          publish_at(src, kList, pop_left ? "lpop" : "rpop", timing == Timing::kPopAfter);
          emptied(src);
        }
        break;
      }
      case Shape::kSMove: {
        KeyHistory* src = history(argv[1]);
        if (src != nullptr) {
          publish(src, kSet, "srem");
          emptied(src);
        }
        if (KeyHistory* dst = history(argv[2]); dst != nullptr && dst != src) {
          publish(dst, kSet, "sadd");
        }
        break;
      }
      case Shape::kRename: {
        // Redis adds the destination (as new, even when it replaced a key) before it publishes
        // either event.
        KeyHistory* dst = history(argv[2]);
        if (dst != nullptr) {
          dst->announced = true;
          Publish(kNew, "new", dst->db, dst->key, broker);
        }
        if (KeyHistory* src = history(argv[1]); src != nullptr) {
          Publish(kGeneric, "rename_from", src->db, src->key, broker);
        }
        if (dst != nullptr) Publish(kGeneric, "rename_to", dst->db, dst->key, broker);
        break;
      }
      case Shape::kIfChanged:
        for (KeyHistory& h : keys) {
          if (changed) {
            publish(&h, rule->event_class, event);
          } else if (h.created) {
            Publish(kNew, "new", h.db, h.key, broker, false);
          }
        }
        break;
      case Shape::kDbMove: {
        // The key's history in the destination db is the one it was not deleted from.
        KeyHistory* src = nullptr;
        KeyHistory* dst = nullptr;
        for (KeyHistory& h : keys) (h.deleted ? src : dst) = &h;
        if (src == nullptr || dst == nullptr) break;
        Publish(kNew, "new", dst->db, dst->key, broker);
        Publish(kGeneric, "move_from", src->db, src->key, broker);
        Publish(kGeneric, "move_to", dst->db, dst->key, broker);
        break;
      }
      case Shape::kCopy:
        // The destination is added as new, even when it replaced a key.
        if (KeyHistory* dst = history(argv[2]); dst != nullptr) {
          Publish(kNew, "new", dst->db, dst->key, broker);
          Publish(kGeneric, "copy_to", dst->db, dst->key, broker);
        }
        break;
    }
  }
  // Every named event is a stream's today: "xgroup-createconsumer" where a consumer is looked
  // up (before the reply), "xtrim" after "xadd".
  for (const KeyEvent* e : named) {
    Publish(kStream, e->event, e->db, e->key, broker,
            events_after && e->event != "xgroup-createconsumer");
  }
  events->clear();
}

}  // namespace respite::storage
