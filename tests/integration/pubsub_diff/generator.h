#pragma once
// Seeded pub/sub operations for pubsub_diff_test.cpp: each step is one or a few commands sent back
// to back on one of kConnections connections. Channels and patterns come from small pools that
// overlap (glob classes, ranges, negation, escapes, keyspace channels, empty and binary names), so
// subscriptions meet publishers often. Writes only set TTLs of 1000 s or more: nothing expires
// during a run, so no "expired" event depends on timing.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace respite::test::pubsub_diff {

using Argv = std::vector<std::string>;

// What the test knows of a connection, read from Redis' replies (the reference side).
struct ConnModel {
  int protocol = 2;
  int64_t subscriptions = 0;        // channels and patterns: Redis counts them together
  int64_t shard_subscriptions = 0;  // shard channels, counted apart
  bool subscribed() const { return subscriptions + shard_subscriptions > 0; }
};

// One step: `commands` written at once on connection `conn`.
struct Op {
  size_t conn = 0;
  std::vector<Argv> commands;
  // Whether Redis leaves an order unspecified in the replies on `conn` (PUBSUB CHANNELS and
  // SHARDCHANNELS: dict order; UNSUBSCRIBE and SUNSUBSCRIBE without names: dict order too).
  bool unordered_channels = false;
  bool unordered_unsubscribe = false;
};

class Generator {
 public:
  // Connections 0-3 mostly subscribe, 4-5 mostly publish; any of them may run anything.
  static constexpr size_t kConnections = 6;
  static constexpr size_t kSubscribers = 4;

  explicit Generator(uint64_t seed) : rng_(seed * 0x9E3779B97F4A7C15ull + 0x5b) {}

  Op Next(const std::vector<ConnModel>& model) {
    Op op;
    const int roll = Pick(100);
    if (roll < 30) {
      Subscription(&op);
    } else if (roll < 52) {
      op.conn = Publisher();
      op.commands.push_back({Pick(4) == 0 ? "SPUBLISH" : "PUBLISH", Channel(), Message()});
    } else if (roll < 62) {
      Introspection(&op);
    } else if (roll < 72) {
      op.conn = Publisher();
      op.commands.push_back(Write());
    } else if (roll < 76) {
      op.conn = Any();
      op.commands.push_back(Pick(2) == 0 ? Argv{"PING"} : Argv{"PING", Message()});
    } else if (roll < 80) {
      // Refused in RESP2's subscribed context, answered otherwise (deterministically).
      static const Argv kPlain[] = {
          {"GET", "k0"}, {"ECHO", "e"}, {"EXISTS", "k1"}, {"PUBSUB", "NUMPAT"}, {"SET", "k2", "v"}};
      op.conn = Subscriber();
      op.commands.push_back(kPlain[Pick(std::size(kPlain))]);
    } else if (roll < 84) {
      op.conn = Any();
      static const Argv kHello[] = {{"HELLO", "3"}, {"HELLO", "2"}, {"HELLO"}, {"HELLO", "4"}};
      op.commands.push_back(kHello[Pick(4) == 0 ? Pick(std::size(kHello)) : Pick(2)]);
    } else if (roll < 90) {
      Multi(&op, model);
    } else if (roll < 92) {
      op.conn = Any();
      op.commands.push_back({"RESET"});
    } else if (roll < 95) {
      static const char* kFlags[] = {"",    "KEA", "K$",   "Eg", "KEg$lshz", "El",
                                     "Khn", "KEn", "zzz?", "K",  "AKE",      "Esg"};
      op.conn = Any();
      op.commands.push_back(
          {"CONFIG", "SET", "notify-keyspace-events", kFlags[Pick(std::size(kFlags))]});
    } else if (roll < 97) {
      op.conn = Publisher();
      op.commands.push_back({"SELECT", Pick(2) == 0 ? "0" : "1"});
    } else {
      // Wrong arities and unknown subcommands.
      static const Argv kBad[] = {{"SUBSCRIBE"},    {"PSUBSCRIBE"},           {"SSUBSCRIBE"},
                                  {"PUBLISH", "c"}, {"SPUBLISH", "c"},        {"PUBSUB"},
                                  {"PUBSUB", "x"},  {"PUBSUB", "NUMPAT", "x"}};
      op.conn = Any();
      op.commands.push_back(kBad[Pick(std::size(kBad))]);
    }
    return op;
  }

 private:
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  size_t Subscriber() { return Pick(5) == 0 ? Any() : Pick(kSubscribers); }
  size_t Publisher() { return Pick(5) == 0 ? Any() : kSubscribers + Pick(2); }
  size_t Any() { return Pick(kConnections); }

  std::string Channel() {
    static const std::vector<std::string> kChannels = {"news",
                                                       "news.it",
                                                       "news.sport",
                                                       "hello",
                                                       "hallo",
                                                       "hxllo",
                                                       "h-llo",
                                                       "a*b",
                                                       "a\\",
                                                       "[",
                                                       "x]",
                                                       "",
                                                       "__keyspace@0__:k0",
                                                       "__keyevent@0__:set",
                                                       "__keyevent@1__:del",
                                                       std::string("b\0\r\n\xff", 5)};
    return kChannels[Pick(kChannels.size())];
  }
  std::string Pattern() {
    static const std::vector<std::string> kPatterns = {"*",
                                                       "news.*",
                                                       "n*",
                                                       "h?llo",
                                                       "h[ae]llo",
                                                       "h[^e]llo",
                                                       "h[a-e]llo",
                                                       "h[e-a]l*",
                                                       "a\\*b",
                                                       "a\\",
                                                       "[",
                                                       "[]",
                                                       "[a-]",
                                                       "x\\]",
                                                       "\\[",
                                                       "**",
                                                       "?",
                                                       "__key*__:*",
                                                       "news.[!s]*",
                                                       "*llo",
                                                       "",
                                                       "h*",
                                                       "__keyspace@0__:k*",
                                                       "__keyevent@*__:set",
                                                       "*[\\-]*",
                                                       "b*"};
    return kPatterns[Pick(kPatterns.size())];
  }
  std::string Message() {
    switch (Pick(8)) {
      case 0:
        return "";
      case 1:
        return std::string("m\0\r\n", 4);
      case 2:
        return std::string(300, 'x');
      default:
        return "m" + std::to_string(counter_++);
    }
  }

  // A SUBSCRIBE-family command with 1-4 names (duplicates possible), or an UN- form with 0-3.
  void Subscription(Op* op) {
    op->conn = Subscriber();
    const size_t which = Pick(6);
    static const char* kNames[] = {"SUBSCRIBE",   "PSUBSCRIBE",   "SSUBSCRIBE",
                                   "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"};
    // Subscribing twice as often as leaving keeps subscribers subscribed.
    const size_t kind = which < 4 ? which % 3 : 3 + Pick(3);
    Argv argv = {kNames[kind]};
    const bool pattern = kind == 1 || kind == 4;
    const size_t count = kind < 3 ? 1 + Pick(4) : (Pick(3) == 0 ? 0 : 1 + Pick(3));
    for (size_t i = 0; i < count; ++i) argv.push_back(pattern ? Pattern() : Channel());
    if (count == 0 && (kind == 3 || kind == 5)) op->unordered_unsubscribe = true;
    op->commands.push_back(std::move(argv));
  }

  void Introspection(Op* op) {
    op->conn = Any();
    Argv argv = {"PUBSUB"};
    switch (Pick(6)) {
      case 0:
      case 1:
        argv.push_back(Pick(2) == 0 ? "CHANNELS" : "SHARDCHANNELS");
        if (Pick(3) != 0) argv.push_back(Pattern());
        op->unordered_channels = true;
        break;
      case 2:
      case 3:
        argv.push_back(Pick(2) == 0 ? "NUMSUB" : "SHARDNUMSUB");
        for (size_t i = Pick(4); i > 0; --i) argv.push_back(Channel());
        break;
      case 4:
        argv.push_back("NUMPAT");
        break;
      default:
        argv.push_back("HELP");
        break;
    }
    op->commands.push_back(std::move(argv));
  }

  // Writes on three keys of db 0 (or 1 after SELECT): each fires keyspace events when enabled.
  // Some Redis publishes before its reply, some after (LPUSH, HSET, GETSET, ...), some split
  // (LMOVE: the push before, the pop after; EXPIRE in the past: "del" before).
  Argv Write() {
    const std::string key = "k" + std::to_string(Pick(3));
    const std::string other = "k" + std::to_string(Pick(3));
    switch (Pick(24)) {
      case 0:
        return {"SET", key, Message()};
      case 1:
        return {"DEL", key};
      case 2:
        return {"INCR", key};
      case 3:
        return {"LPUSH", key, "a", "b"};
      case 4:
        return {"RPOP", key};
      case 5:
        return {"HSET", key, "f", "v"};
      case 6:
        return {"SADD", key, "m"};  // one member: SPOP's reply is not random
      case 7:
        return {"EXPIRE", key, Pick(4) == 0 ? "-1" : "1000"};
      case 8:
        return {"PERSIST", key};
      case 9:
        return {"RENAME", key, other};
      case 10:
        return {"APPEND", key, "z"};
      case 11:
        return {"GETDEL", key};
      case 12:
        return {"GETSET", key, "g"};
      case 13:
        return Pick(2) == 0 ? Argv{"GETEX", key, "PERSIST"} : Argv{"GETEX", key, "EX", "100"};
      case 14:
        return {"HINCRBY", key, "f", "1"};
      case 15:
        return {"LMOVE", key, other, "LEFT", "RIGHT"};
      case 16:
        return Pick(2) == 0 ? Argv{"SPOP", key} : Argv{"SPOP", key, "2"};
      case 17:
        return {"ZADD", key, "1", "m"};
      case 18:
        return {"XADD", key, std::to_string(counter_++) + "-*", "f", "v"};  // ids as on Redis
      case 19:
        return {"SUNIONSTORE", other, key};
      case 20:
        return {"LSET", key, "0", "x"};
      case 21:
        return {"SETEX", key, "100", "v"};
      case 22:
        return {"LPOP", key, "2"};
      default:
        return {"HDEL", key, "f"};
    }
  }

  // MULTI, one to three commands, EXEC (or DISCARD). Not on a RESP3 connection that is
  // subscribed: Redis 7.0 writes a push to the publishing client itself inside EXEC's array.
  void Multi(Op* op, const std::vector<ConnModel>& model) {
    op->conn = Publisher();
    if (model[op->conn].protocol == 3 && model[op->conn].subscribed()) {
      op->commands.push_back({"PUBLISH", Channel(), Message()});
      return;
    }
    op->commands.push_back({"MULTI"});
    for (size_t i = 1 + Pick(3); i > 0; --i) {
      switch (Pick(5)) {
        case 0:
          op->commands.push_back(Write());
          break;
        case 1:
          op->commands.push_back({"SPUBLISH", Channel(), Message()});
          break;
        case 2:
          op->commands.push_back({"PUBSUB", "NUMSUB", Channel()});
          break;
        default:
          op->commands.push_back({"PUBLISH", Channel(), Message()});
          break;
      }
    }
    op->commands.push_back({Pick(8) == 0 ? "DISCARD" : "EXEC"});
  }

  std::mt19937_64 rng_;
  uint64_t counter_ = 0;
};

}  // namespace respite::test::pubsub_diff
