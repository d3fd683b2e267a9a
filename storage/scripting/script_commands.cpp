// The scripting family's registration table: EVAL, EVALSHA, their _RO forms, SCRIPT, FUNCTION
// and FCALL.

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
void FunctionLoad(CommandContext& ctx) { ctx.scripts->FunctionLoad(ctx); }
void FunctionList(CommandContext& ctx) { ctx.scripts->FunctionList(ctx); }
void FunctionDelete(CommandContext& ctx) { ctx.scripts->FunctionDelete(ctx); }
void FunctionFlush(CommandContext& ctx) { ctx.scripts->FunctionFlush(ctx); }
void FunctionStats(CommandContext& ctx) { ctx.scripts->FunctionStats(ctx); }
void FunctionKill(CommandContext& ctx) { ctx.scripts->FunctionKill(ctx); }
void FunctionDump(CommandContext& ctx) { ctx.scripts->FunctionDump(ctx); }
void FunctionRestore(CommandContext& ctx) { ctx.scripts->FunctionRestore(ctx); }
void Fcall(CommandContext& ctx) { ctx.scripts->Fcall(ctx, /*read_only=*/false); }
void FcallRo(CommandContext& ctx) { ctx.scripts->Fcall(ctx, true); }

constexpr LocalCommandDef kRows[] = {
    {"eval", &Eval},
    {"evalsha", &EvalSha},
    {"eval_ro", &EvalRo},
    {"evalsha_ro", &EvalShaRo},
    {"script|load", &ScriptLoad},
    {"script|exists", &ScriptExists},
    {"script|flush", &ScriptFlush},
    {"script|kill", &ScriptKill},
    {"function|load", &FunctionLoad},
    {"function|list", &FunctionList},
    {"function|delete", &FunctionDelete},
    {"function|flush", &FunctionFlush},
    {"function|stats", &FunctionStats},
    {"function|kill", &FunctionKill},
    {"function|dump", &FunctionDump},
    {"function|restore", &FunctionRestore},
    {"fcall", &Fcall},
    {"fcall_ro", &FcallRo},
};

}  // namespace

std::span<const LocalCommandDef> ScriptCommands() { return kRows; }

}  // namespace respite::storage
