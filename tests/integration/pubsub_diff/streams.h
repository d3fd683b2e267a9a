#pragma once
// What one connection received in one step of pubsub_diff_test.cpp, as a list of top-level RESP
// values (replies and pushes, in arrival order), and its normal form for comparison: byte for
// byte, except where Redis leaves an order or a value unspecified:
// - PUBSUB CHANNELS / SHARDCHANNELS replies are sorted (dict order);
// - the confirmations of UNSUBSCRIBE / SUNSUBSCRIBE without names have their names sorted, counts
//   left in place (dict order);
// - consecutive pmessages of one message (several matching patterns) are sorted (dict order);
// - HELLO's "id" and "version" values are blanked (connection ids and versions differ).

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/pubsub_diff/generator.h"
#include "tests/storage/differential/normalize.h"
#include "tests/storage/reply_tree.h"

namespace respite::test::pubsub_diff {

using storage::ReplyTree;

// Moves the complete values at the front of *pending into *frames (raw bytes each).
inline void TakeFrames(std::string* pending, std::vector<std::string>* frames) {
  size_t pos = 0;
  while (pos < pending->size()) {
    ReplyTree tree;
    size_t end = pos;
    if (!storage::ParseReplyAt(*pending, &end, &tree)) break;  // incomplete (or garbage)
    frames->push_back(pending->substr(pos, end - pos));
    pos = end;
  }
  pending->erase(0, pos);
}

inline bool Parse(std::string_view frame, ReplyTree* tree) {
  return storage::diff::Parse(frame, tree);
}

// An array or push of three whose first element is `kind` ("message", "subscribe", ...).
inline bool IsKind(const ReplyTree& t, std::string_view kind, size_t size = 3) {
  return (t.type == '*' || t.type == '>') && !t.null && t.elements.size() == size &&
         t.elements[0].text == kind;
}

// The reply to "PING <marker>": a bulk string, or ["pong", marker] in RESP2's subscribed context.
inline bool IsBarrier(std::string_view frame, std::string_view marker) {
  ReplyTree t;
  if (!Parse(frame, &t)) return false;
  if (t.type == '$') return t.text == marker;
  return IsKind(t, "pong", 2) && t.elements[1].text == marker;
}

inline bool IsHello(const ReplyTree& t) {
  return (t.type == '%' || t.type == '*') && t.elements.size() == 14 &&
         t.elements[0].text == "server";
}

// The normal form of one connection's frames in one step; `issuer`: the step's commands ran on
// this connection.
inline std::string Normalize(const std::vector<std::string>& frames, const Op& op, bool issuer) {
  std::vector<std::string> out = frames;
  std::vector<ReplyTree> trees(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (!Parse(out[i], &trees[i])) continue;
    ReplyTree& t = trees[i];
    if (IsHello(t)) {
      for (size_t k = 0; k + 1 < t.elements.size(); k += 2) {
        if (t.elements[k].text == "id" || t.elements[k].text == "version") {
          t.elements[k + 1].text = "*";
        }
      }
      out[i] = storage::diff::Serialize(t);
    } else if (issuer && op.unordered_channels && t.type == '*') {
      out[i] = storage::diff::Canonical(out[i], /*pairs=*/false);
    }
  }
  if (issuer && op.unordered_unsubscribe) {
    for (const char* kind : {"unsubscribe", "sunsubscribe"}) {
      std::vector<size_t> at;
      std::vector<std::string> names;
      for (size_t i = 0; i < trees.size(); ++i) {
        if (IsKind(trees[i], kind) && !trees[i].elements[1].null) {
          at.push_back(i);
          names.push_back(trees[i].elements[1].text);
        }
      }
      std::sort(names.begin(), names.end());
      for (size_t j = 0; j < at.size(); ++j) {
        ReplyTree t = trees[at[j]];
        t.elements[1].text = names[j];
        out[at[j]] = storage::diff::Serialize(t);
      }
    }
  }
  // Runs of pmessages for one (channel, message): one per matching pattern, in dict order.
  for (size_t i = 0; i < out.size();) {
    size_t j = i;
    const auto same = [&](size_t a, size_t b) {
      return IsKind(trees[a], "pmessage", 4) && IsKind(trees[b], "pmessage", 4) &&
             trees[a].type == trees[b].type &&
             trees[a].elements[2].text == trees[b].elements[2].text &&
             trees[a].elements[3].text == trees[b].elements[3].text;
    };
    while (j + 1 < out.size() && same(i, j + 1)) ++j;
    std::sort(out.begin() + static_cast<long>(i), out.begin() + static_cast<long>(j) + 1);
    i = j + 1;
  }
  std::string joined;
  for (const std::string& f : out) joined += f;
  return joined;
}

// Follows a connection's state from the reference side's frames for one step.
inline void Track(const std::vector<std::string>& frames, bool issuer, ConnModel* model) {
  for (const std::string& frame : frames) {
    ReplyTree t;
    if (!Parse(frame, &t)) continue;
    for (const char* kind : {"subscribe", "psubscribe", "unsubscribe", "punsubscribe"}) {
      if (IsKind(t, kind) && t.elements[2].type == ':') {
        model->subscriptions = std::stoll(t.elements[2].text);
      }
    }
    for (const char* kind : {"ssubscribe", "sunsubscribe"}) {
      if (IsKind(t, kind) && t.elements[2].type == ':') {
        model->shard_subscriptions = std::stoll(t.elements[2].text);
      }
    }
    if (!issuer) continue;
    if (t.type == '+' && t.text == "RESET") *model = ConnModel{};
    if (IsHello(t)) {
      for (size_t k = 0; k + 1 < t.elements.size(); k += 2) {
        if (t.elements[k].text == "proto") model->protocol = std::stoi(t.elements[k + 1].text);
      }
    }
  }
}

}  // namespace respite::test::pubsub_diff
