#pragma once
// Keyspace notifications (notify-keyspace-events) for what the local store does to keys, as
// Redis 7.0 publishes them: "__keyspace@<db>__:<key>" with the event, "__keyevent@<db>__:<event>"
// with the key, filtered by the configured classes. The keyspace records what each command did
// to which key (KeyEvent); a table of Redis' event names per command turns that into events:
// "new" for a created key, the command's event, "del" for a collection it emptied, "expired" for
// keys that expired on access or in the active cycle. Thread: the store executor only.

#include <span>
#include <string_view>
#include <vector>

#include "storage/keyspace.h"

namespace respite::storage {

class PubSubBroker;

class KeyspaceNotifier {
 public:
  // `classes`: the canonical notify-keyspace-events value ("" turns notifications off).
  void Configure(std::string_view classes);
  // Something would be published: K or E, and at least one class.
  bool enabled() const { return enabled_; }

  // Publishes the events of one command (`argv`, its spec name `command`; empty for the active
  // expiry cycle) from `events`, in the order it caused them, then clears `events`. `changed`:
  // false when the command counted no change (it journals nothing) although it wrote a key.
  // `own_reply`: the command's reply goes out alone; false inside EXEC or a script, where
  // Redis' "after the reply" is still inside the EXEC's or script's reply, so before it.
  void Notify(std::string_view command, std::span<const std::string_view> argv,
              std::vector<KeyEvent>* events, PubSubBroker& broker, bool changed = true,
              bool own_reply = true) const;

 private:
  // `after_reply`: see PubSubBroker::Publish.
  void Publish(int event_class, std::string_view event, int db, std::string_view key,
               PubSubBroker& broker, bool after_reply = false) const;
  int flags_ = 0;
  bool enabled_ = false;
};

}  // namespace respite::storage
