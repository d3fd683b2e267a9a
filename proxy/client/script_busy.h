#pragma once
// What a command gets while a local script runs past busy-reply-threshold, as Redis answers it:
// -BUSY (naming SCRIPT KILL or FUNCTION KILL), SCRIPT KILL / FUNCTION KILL done at once (or
// -UNKILLABLE once the script wrote), FUNCTION STATS with the running function. Used by the io
// threads for new commands and by the store thread for those queued behind the script.
// Thread: any (ScriptControl is atomics and a mutex).

#include <span>
#include <string>
#include <string_view>

namespace respite::storage {
struct ScriptControl;
}

namespace respite::proxy {

// True with *reply set when the command is answered now; false when it waits for the store as
// usual (commands Redis lets through a busy script, and everything when no script is busy).
bool BusyScriptReply(storage::ScriptControl& script, std::span<const std::string_view> argv,
                     int protocol, std::string* reply);

}  // namespace respite::proxy
