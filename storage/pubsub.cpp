// Pub/sub while the local store serves: PUBLISH, SPUBLISH and PUBSUB CHANNELS|NUMSUB|NUMPAT|
// SHARDCHANNELS|SHARDNUMSUB|HELP. They run here (not on the client's io thread) so that they keep
// their place inside MULTI and scripts. SUBSCRIBE and its kin belong to the client's connection
// and are answered by the proxy (proxy/client/client_pubsub.cpp); both meet in the PubSubBroker.

#include <optional>
#include <string>
#include <string_view>

#include "storage/command_context.h"
#include "storage/pubsub_broker.h"

namespace respite::storage {

namespace {

void Publish(CommandContext& ctx, bool shard) {
  ctx.out.Integer(
      ctx.pubsub == nullptr ? 0 : ctx.pubsub->Publish(ctx.argv[1], ctx.argv[2], shard, false));
}
void PublishCommand(CommandContext& ctx) { Publish(ctx, /*shard=*/false); }
void SPublishCommand(CommandContext& ctx) { Publish(ctx, /*shard=*/true); }

void Channels(CommandContext& ctx, bool shard) {
  if (ctx.argv.size() > 3) {
    ctx.out.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(ctx.argv[1].substr(0, 128)) + "'. Try PUBSUB HELP.");
    return;
  }
  std::optional<std::string_view> pattern;
  if (ctx.argv.size() == 3) pattern = ctx.argv[2];
  const std::vector<std::string> names =
      ctx.pubsub == nullptr ? std::vector<std::string>{} : ctx.pubsub->Channels(pattern, shard);
  ctx.out.ArrayHeader(names.size());
  for (const std::string& name : names) ctx.out.Bulk(name);
}
void ChannelsCommand(CommandContext& ctx) { Channels(ctx, /*shard=*/false); }
void ShardChannelsCommand(CommandContext& ctx) { Channels(ctx, /*shard=*/true); }

// A flat array of (channel, count) pairs, in RESP3 too, as Redis answers.
void NumSub(CommandContext& ctx, bool shard) {
  ctx.out.ArrayHeader((ctx.argv.size() - 2) * 2);
  for (size_t i = 2; i < ctx.argv.size(); ++i) {
    ctx.out.Bulk(ctx.argv[i]);
    ctx.out.Integer(ctx.pubsub == nullptr ? 0 : ctx.pubsub->NumSub(ctx.argv[i], shard));
  }
}
void NumSubCommand(CommandContext& ctx) { NumSub(ctx, /*shard=*/false); }
void ShardNumSubCommand(CommandContext& ctx) { NumSub(ctx, /*shard=*/true); }

void NumPatCommand(CommandContext& ctx) {
  ctx.out.Integer(ctx.pubsub == nullptr ? 0 : ctx.pubsub->NumPat());
}

void HelpCommand(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ctx.out.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.out.SimpleString(line);
}

}  // namespace

std::span<const LocalCommandDef> PubSubCommands() {
  static const LocalCommandDef kRows[] = {
      {"publish", &PublishCommand},
      {"spublish", &SPublishCommand},
      {"pubsub|channels", &ChannelsCommand},
      {"pubsub|help", &HelpCommand},
      {"pubsub|numpat", &NumPatCommand},
      {"pubsub|numsub", &NumSubCommand},
      {"pubsub|shardchannels", &ShardChannelsCommand},
      {"pubsub|shardnumsub", &ShardNumSubCommand},
  };
  return kRows;
}

}  // namespace respite::storage
