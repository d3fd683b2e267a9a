// The scripting family's registration table: EVAL, EVALSHA, their _RO forms and SCRIPT.

#include "storage/command_context.h"
#include "storage/scripting/script_runner.h"

namespace respite::storage {

namespace {

void Eval(CommandContext& ctx) { ctx.scripts->Eval(ctx, /*by_sha=*/false, /*read_only=*/false); }
void EvalSha(CommandContext& ctx) { ctx.scripts->Eval(ctx, true, false); }
void EvalRo(CommandContext& ctx) { ctx.scripts->Eval(ctx, false, true); }
void EvalShaRo(CommandContext& ctx) { ctx.scripts->Eval(ctx, true, true); }
void ScriptLoad(CommandContext& ctx) { ctx.scripts->ScriptLoad(ctx); }
void ScriptExists(CommandContext& ctx) { ctx.scripts->ScriptExists(ctx); }
void ScriptFlush(CommandContext& ctx) { ctx.scripts->ScriptFlush(ctx); }
void ScriptKill(CommandContext& ctx) { ctx.scripts->ScriptKill(ctx); }

constexpr LocalCommandDef kRows[] = {
    {"eval", &Eval},
    {"evalsha", &EvalSha},
    {"eval_ro", &EvalRo},
    {"evalsha_ro", &EvalShaRo},
    {"script|load", &ScriptLoad},
    {"script|exists", &ScriptExists},
    {"script|flush", &ScriptFlush},
    {"script|kill", &ScriptKill},
};

}  // namespace

std::span<const LocalCommandDef> ScriptCommands() { return kRows; }

}  // namespace respite::storage
